#!/usr/bin/env bash
# loadtest.sh measures "churn serve" on loopback: it builds the binary,
# generates snapshots and trains a small model into a temporary
# directory, starts the server on a free 127.0.0.1 port, and runs wrk
# against /healthz and against one account's score. It passes when the
# score route sustains at least half the requests per second of /healthz
# with a p99 latency under 5 ms.
#
# Usage: serve/loadtest.sh   (from anywhere; needs go, curl and wrk)
#
# wrk runs on the same machine, so the server is given one core fewer
# than the machine has (GOMAXPROCS): on 2 cores, a server that also
# spreads over both spends its tail latency waiting for wrk to yield the
# CPU, which measures the test rig rather than the server.
#
# Environment: DURATION (default 10s), THREADS (2), CONNECTIONS (32),
# ACCOUNTS (3000), SERVER_PROCS (cores - 1, at least 1), CHURN_BIN (a
# prebuilt churn binary instead of building one).
set -euo pipefail

duration=${DURATION:-10s}
threads=${THREADS:-2}
connections=${CONNECTIONS:-32}
accounts=${ACCOUNTS:-3000}
cores=$(nproc)
server_procs=${SERVER_PROCS:-$((cores > 1 ? cores - 1 : 1))}
min_ratio=0.5
max_p99_ms=5

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
tmp=$(mktemp -d)
server=
cleanup() {
	if [[ -n $server ]]; then
		kill "$server" 2>/dev/null || true
		wait "$server" 2>/dev/null || true
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT

for tool in curl wrk; do
	command -v "$tool" >/dev/null || { echo "loadtest: $tool is not installed" >&2; exit 2; }
done

bin=${CHURN_BIN:-}
if [[ -z $bin ]]; then
	echo "building churn..."
	(cd "$repo" && go build -o "$tmp/churn" ./cmd/churn)
	bin=$tmp/churn
fi
if ! "$bin" help | grep -q '^\s*serve\b'; then
	echo "loadtest: $bin has no serve command (register runServe in cmd/churn/main.go)" >&2
	exit 2
fi

echo "generating $accounts accounts and training a gbm model..."
"$bin" gen --out "$tmp/snapshots.csv" --accounts "$accounts" --weeks 80 --seed 1 >/dev/null
"$bin" train --snapshots "$tmp/snapshots.csv" --horizon 8 --model gbm --trees 100 \
	--no-plots --out "$tmp/model" >/dev/null

# Port 0 lets the kernel pick a free port, with no race against other
# processes; the server logs the address it got.
echo "starting churn serve with GOMAXPROCS=$server_procs on $cores cores..."
GOMAXPROCS=$server_procs "$bin" serve --model "$tmp/model" --snapshots "$tmp/snapshots.csv" \
	--addr 127.0.0.1:0 --access-log "$tmp/access.log" --drain 0 2>"$tmp/serve.log" &
server=$!
addr=
for _ in $(seq 600); do
	addr=$(sed -n 's/.*msg=serving addr=\([0-9.:]*\).*/\1/p' "$tmp/serve.log")
	[[ -n $addr ]] && break
	kill -0 "$server" 2>/dev/null || { echo "loadtest: the server exited:" >&2; cat "$tmp/serve.log" >&2; exit 1; }
	sleep 0.1
done
[[ -n $addr ]] || { echo "loadtest: the server did not start:" >&2; cat "$tmp/serve.log" >&2; exit 1; }
base=http://$addr
curl -fsS "$base/readyz" >/dev/null

id=$(curl -fsS "$base/v1/ranking?limit=1" | sed -n 's/.*"accounts":\[{"account_id":"\([^"]*\)".*/\1/p')
[[ -n $id ]] || { echo "loadtest: no account in the ranking" >&2; exit 1; }
score_path=/v1/accounts/$id/score
curl -fsS "$base$score_path" | grep -q '"contributions":{' || { echo "loadtest: $score_path has no contributions" >&2; exit 1; }

# run URL: runs wrk and sets rps, p99_ms and failed (non-2xx responses
# and socket errors).
run() {
	local out
	out=$(wrk -t"$threads" -c"$connections" -d"$duration" --latency "$1")
	echo "$out" | sed 's/^/    /'
	rps=$(echo "$out" | awk '/^Requests\/sec:/ {print $2}')
	p99_ms=$(echo "$out" | awk '$1 == "99%" {
		v = $2; unit = v; sub(/[0-9.]+/, "", unit); sub(/[a-z]+$/, "", v)
		if (unit == "us") v /= 1000; else if (unit == "s") v *= 1000; else if (unit == "m") v *= 60000
		printf "%.3f", v }')
	failed=$(echo "$out" | awk '/Non-2xx or 3xx responses:/ {n += $NF} /Socket errors:/ {gsub(/,/, ""); n += $4 + $6 + $8 + $10} END {print n + 0}')
}

# Warm up first: the load just finished, and its garbage would be
# collected during the first measurement.
wrk -t1 -c4 -d2s "$base/healthz" >/dev/null
wrk -t1 -c4 -d2s "$base$score_path" >/dev/null

echo "wrk -t$threads -c$connections -d$duration --latency $base/healthz"
run "$base/healthz"
health_rps=$rps health_p99=$p99_ms health_failed=$failed
echo "wrk -t$threads -c$connections -d$duration --latency $base$score_path"
run "$base$score_path"
score_rps=$rps score_p99=$p99_ms score_failed=$failed

# The server's own histogram tells handler time apart from time spent
# waiting for a CPU on a busy machine: the first bucket holding 99% of
# the score requests.
server_p99=$(curl -fsS "$base/metrics" | awk '
	/^churn_http_request_duration_seconds_bucket/ && /route="\/v1\/accounts\/:id\/score"/ && /code="200"/ {
		match($0, /le="[^"]*"/); le = substr($0, RSTART + 4, RLENGTH - 5)
		les[n++] = le; counts[le] = $NF
	}
	END {
		total = counts["+Inf"]
		for (i = 0; i < n; i++) if (counts[les[i]] >= 0.99 * total) { printf "<= %g", les[i] * 1000; exit }
	}')

ratio=$(awk -v a="$score_rps" -v b="$health_rps" 'BEGIN {printf "%.2f", a / b}')
printf '\n%-28s %12s %10s %8s\n' route requests/s p99_ms failed
printf '%-28s %12s %10s %8s\n' /healthz "$health_rps" "$health_p99" "$health_failed"
printf '%-28s %12s %10s %8s\n' "/v1/accounts/{id}/score" "$score_rps" "$score_p99" "$score_failed"
echo "server-side p99 of the score route (handler time, from /metrics): $server_p99 ms"
echo "score/healthz throughput ratio: $ratio (target >= $min_ratio); score p99 ${score_p99} ms (target < $max_p99_ms ms)"

if awk -v r="$ratio" -v p="$score_p99" -v f="$score_failed$health_failed" -v mr="$min_ratio" -v mp="$max_p99_ms" \
	'BEGIN {exit !(r >= mr && p < mp && f == "00")}'; then
	echo PASS
else
	echo FAIL
	exit 1
fi
