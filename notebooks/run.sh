#!/usr/bin/env bash
# Executes the notebooks headless, as `make notebooks` and CI do, and fails
# if any cell fails. Run setup.sh first.
#
#   notebooks/run.sh [NOTEBOOK.ipynb ...]
#
# With no arguments it runs every numbered notebook in this directory. The
# executed copies, with their outputs, go to $NOTEBOOKS_OUT (default
# out/notebooks at the repository's root), never over the committed files,
# which are kept without outputs.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
out=${NOTEBOOKS_OUT:-$here/../out/notebooks}
mkdir -p "$out"
out=$(cd "$out" && pwd)

if ! command -v jupyter >/dev/null; then
	echo "run.sh: jupyter is not installed: run notebooks/setup.sh first" >&2
	exit 1
fi
# The kernel compiles every cell with go, and runs goimports and gopls.
gobin=$(go env GOBIN)
export PATH=${gobin:-$(go env GOPATH)/bin}:$(go env GOROOT)/bin:$PATH

if (($#)); then
	notebooks=("$@")
else
	notebooks=("$here"/[0-9]*.ipynb)
fi

# check_outputs fails on a cell whose program failed. GoNB reports a
# compile error to Jupyter as an error, which fails nbconvert, but a
# program that exits non-zero (log.Fatal, a panic) or a failed ! command
# only leaves "exit status N" on the cell's stderr.
check_outputs() {
	python3 - "$1" <<'EOF'
import json, re, sys

path = sys.argv[1]
failed = re.compile(r"^(exit status \d+|signal: .+)$", re.M)
with open(path) as f:
    cells = json.load(f)["cells"]
bad = 0
for n, cell in enumerate(cells, 1):
    for o in cell.get("outputs", []):
        text = "".join(o.get("text", "")) if o["output_type"] == "stream" and o["name"] == "stderr" else ""
        if o["output_type"] == "error" or failed.search(text):
            bad += 1
            print(f"cell {n} failed:\n{''.join(cell['source'])}\n--- output:\n{text or o}", file=sys.stderr)
sys.exit(1 if bad else 0)
EOF
}

status=0
for nb in "${notebooks[@]}"; do
	name=$(basename "$nb" .ipynb)
	log=$out/$name.log
	start=$SECONDS
	# nbconvert starts the kernel in the notebook's own directory, which
	# is how a notebook finds the repository root (its parent).
	if jupyter nbconvert --to notebook --execute \
		--ExecutePreprocessor.timeout=600 --ExecutePreprocessor.kernel_name=gonb \
		--output-dir "$out" "$nb" >"$log" 2>&1 &&
		check_outputs "$out/$name.ipynb" 2>>"$log"; then
		echo "ok    $name ($((SECONDS - start))s)"
	else
		echo "FAIL  $name ($((SECONDS - start))s): the end of $log follows" >&2
		# Show the compiler's or the program's complaint and the failed
		# cell, not the kernel's info lines or nbconvert's Python stack.
		awk '/^[IW][0-9][0-9][0-9][0-9] /{next}
			/^Traceback \(most recent call last\):/{skip=1}
			/CellExecutionError:/{skip=0}
			!skip' "$log" | tail -n 60 >&2
		status=1
	fi
done
if ((status == 0)); then
	echo "executed notebooks are in $out"
fi
exit $status
