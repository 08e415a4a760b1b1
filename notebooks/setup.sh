#!/usr/bin/env bash
# Installs what the notebooks need on a fresh Debian machine, and nothing
# when it is all there already, so `make notebooks` can always call it:
#
#   - Jupyter and nbconvert from Debian's packages (run.sh executes the
#     notebooks headless with nbconvert; jupyter-notebook is for reading
#     and editing them in a browser);
#   - GoNB, the Go kernel, with goimports and gopls, which it runs on
#     every cell, built from the Go module proxy at the versions pinned in
#     tools/go.mod (a module of its own, so the project's go.mod stays
#     untouched);
#   - the "gonb" kernel registered with Jupyter for the current user.
#
# It needs Go on PATH, and root or sudo only when a Debian package is
# missing.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)

debs=(jupyter-notebook jupyter-nbconvert jupyter-client python3-nbclient)

missing=()
for p in "${debs[@]}"; do
	if [[ $(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null) != installed ]]; then
		missing+=("$p")
	fi
done
if ((${#missing[@]})); then
	sudo=()
	if ((EUID != 0)); then
		sudo=(sudo)
	fi
	echo "setup: installing ${missing[*]} from Debian" >&2
	"${sudo[@]}" apt-get update -qq
	DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v go >/dev/null; then
	echo "setup: go is not on PATH: install Go 1.26 first" >&2
	exit 1
fi
gobin=$(go env GOBIN)
gobin=${gobin:-$(go env GOPATH)/bin}

# "go install tool" builds gonb, goimports and gopls at the versions
# tools/go.mod pins, checked against tools/go.sum; once they are built it
# only checks the build cache. Unlike "go install pkg@version" it never
# asks the proxy for gonb's list of versions (to look for a deprecation
# notice), which not every proxy serves.
(cd "$here/tools" && go install tool)

# gonb --install writes kernel.json with the absolute path of the binary
# that ran it, or, when that binary is under /tmp, of a copy it makes in
# the kernel's directory: register again unless it runs the one built.
kernel=${JUPYTER_DATA_DIR:-$HOME/.local/share/jupyter}/kernels/gonb
registered() {
	grep -qF "\"$gobin/gonb\"" "$kernel/kernel.json" 2>/dev/null ||
		{ grep -qF "\"$kernel/gonb\"" "$kernel/kernel.json" 2>/dev/null && cmp -s "$kernel/gonb" "$gobin/gonb"; }
}
if ! registered; then
	echo "setup: registering the gonb kernel with Jupyter" >&2
	# gonb checks that goimports and gopls are on PATH before registering.
	if ! log=$(PATH=$gobin:$PATH "$gobin/gonb" --install 2>&1); then
		echo "$log" >&2
		exit 1
	fi
fi
