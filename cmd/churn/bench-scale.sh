#!/usr/bin/env bash
# bench-scale.sh: the scale benchmark of issue 15, as "make bench-scale"
# runs it. For each size in SCALE_ACCOUNTS it generates WEEKS weeks of
# snapshots, then times validate, features, train --model all, score and
# serve's start-up (launch to the first 200 from /readyz), each under
# /usr/bin/time for its wall time and peak RSS, and prints the sizes side
# by side with the ratio of the last to the first: a step that scales
# linearly in rows has a time ratio near the ratio of sizes.
#
#   BIN             the churn binary (default bin/churn)
#   SCALE_ACCOUNTS  sizes, smallest first (default "100000 1000000")
#   SCALE_WEEKS     weeks of snapshots (default 104)
#   SCALE_DIR       where the data goes (default a fresh folder in TMPDIR),
#                   removed at the end whatever happens
#   SCALE_KEEP      1 keeps the last size's snapshots and model in
#                   SCALE_DIR, to measure a step again by hand
#
# A step that fails (out of memory, say) is reported as failed with the
# end of its log, and the run goes on: the other steps' figures are kept.
#
# It takes a long while at a million accounts (tens of minutes on two
# cores) and needs several GB of disk: run it alone.
set -euo pipefail

BIN=${BIN:-bin/churn}
SIZES=(${SCALE_ACCOUNTS:-100000 1000000})
WEEKS=${SCALE_WEEKS:-104}
STEPS=(gen validate features train score serve reload)

[ -x "$BIN" ] || { echo "bench-scale: $BIN is not an executable: run make build" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "bench-scale: needs GNU time at /usr/bin/time (apt-get install time)" >&2; exit 1; }
command -v curl >/dev/null || { echo "bench-scale: needs curl" >&2; exit 1; }
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")

WORK=${SCALE_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/churn-bench-scale.XXXXXX")}
mkdir -p "$WORK"
SERVE_PID=
cleanup() {
	if [ -n "$SERVE_PID" ]; then
		kill "$SERVE_PID" 2>/dev/null || true
	fi
	if [ "${SCALE_KEEP:-}" != 1 ]; then
		rm -rf "$WORK"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# measure NAME N CMD...: runs CMD under /usr/bin/time, its output to
# $WORK/N/NAME.log, and records "seconds kilobytes" in $WORK/N/NAME.time,
# or "failed" when it fails.
measure() {
	local name=$1 n=$2
	shift 2
	echo "bench-scale: $n accounts: $name ($(date -u +%H:%M:%S))" >&2
	if ! /usr/bin/time -f '%e %M' -o "$WORK/$n/$name.time" "$@" >"$WORK/$n/$name.log" 2>&1; then
		echo "bench-scale: $n accounts: $name failed ($(tail -1 "$WORK/$n/$name.time")):" >&2
		tail -5 "$WORK/$n/$name.log" >&2
		echo failed >"$WORK/$n/$name.time"
	fi
}

# serve_startup N: starts churn serve on a free port and records the time
# from launch to the first 200 from /readyz with the server's peak RSS
# then (serve), and the time of a reload (POST /v1/admin/reload, which
# answers once the new book serves) with the peak RSS over the start and
# the reload (reload); the server is stopped then.
serve_startup() {
	local n=$1 d=$WORK/$1 port start ready child hwm t0 t1
	port=$((20000 + RANDOM % 20000))
	start=$(date +%s.%N)
	/usr/bin/time -f '%e %M' -o "$d/serve.rusage" "$BIN" serve --model "$d/model" --snapshots "$d/snapshots.parquet" \
		--addr "127.0.0.1:$port" --access-log off --drain 0s >"$d/serve.log" 2>&1 &
	SERVE_PID=$!
	until curl -sf -o /dev/null "http://127.0.0.1:$port/readyz"; do
		if ! kill -0 "$SERVE_PID" 2>/dev/null; then
			echo "bench-scale: $n accounts: serve stopped before it was ready:" >&2
			tail -5 "$d/serve.log" >&2
			echo failed >"$d/serve.time"
			echo failed >"$d/reload.time"
			SERVE_PID=
			return
		fi
		sleep 0.2
	done
	ready=$(date +%s.%N)
	child=$(pgrep -P "$SERVE_PID" || true)
	# VmHWM is the process's peak resident set so far, in kB.
	hwm() { awk '/^VmHWM/ { print $2 }' "/proc/${child:-$SERVE_PID}/status"; }
	echo "$(awk -v a="$start" -v b="$ready" 'BEGIN { printf "%.2f", b - a }') $(hwm)" >"$d/serve.time"
	echo "bench-scale: $n accounts: serve reload ($(date -u +%H:%M:%S))" >&2
	t0=$(date +%s.%N)
	if curl -sf -o /dev/null -X POST "http://127.0.0.1:$port/v1/admin/reload"; then
		t1=$(date +%s.%N)
		echo "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }') $(hwm)" >"$d/reload.time"
	else
		echo "bench-scale: $n accounts: the reload failed" >&2
		echo failed >"$d/reload.time"
	fi
	# /usr/bin/time does not pass signals on: stop the server itself.
	kill -TERM ${child:-$SERVE_PID}
	wait "$SERVE_PID" || true
	SERVE_PID=
}

for n in "${SIZES[@]}"; do
	d=$WORK/$n
	mkdir -p "$d"
	measure gen "$n" "$BIN" gen --accounts "$n" --weeks "$WEEKS" --seed 1 --out "$d/snapshots.parquet"
	measure validate "$n" "$BIN" validate --snapshots "$d/snapshots.parquet"
	measure features "$n" "$BIN" features --snapshots "$d/snapshots.parquet" --out "$d/features"
	measure train "$n" "$BIN" train --snapshots "$d/snapshots.parquet" --model all --out "$d/model"
	measure score "$n" "$BIN" score --snapshots "$d/snapshots.parquet" --model "$d/model" --format csv
	echo "bench-scale: $n accounts: serve start-up" >&2
	serve_startup "$n"
	# Only the figures are kept: the next size needs the disk.
	if [ "${SCALE_KEEP:-}" != 1 ] || [ "$n" != "${SIZES[${#SIZES[@]}-1]}" ]; then
		find "$d" -mindepth 1 ! -name '*.time' -exec rm -rf {} +
	fi
done

first=${SIZES[0]}
last=${SIZES[${#SIZES[@]}-1]}
{
	printf '%-10s' step
	for n in "${SIZES[@]}"; do printf ' %12s %12s' "${n}:wall_s" "${n}:rss_MB"; done
	[ ${#SIZES[@]} -gt 1 ] && printf ' %10s %10s' time_x rss_x
	printf '\n'
	for s in "${STEPS[@]}"; do
		printf '%-10s' "$s"
		for n in "${SIZES[@]}"; do
			read -r secs kb <"$WORK/$n/$s.time"
			if [ "$secs" = failed ]; then
				printf ' %12s %12s' failed failed
			else
				printf ' %12.1f %12.0f' "$secs" "$(awk -v k="$kb" 'BEGIN { print k / 1024 }')"
			fi
		done
		if [ ${#SIZES[@]} -gt 1 ]; then
			read -r s0 k0 <"$WORK/$first/$s.time"
			read -r s1 k1 <"$WORK/$last/$s.time"
			if [ "$s0" = failed ] || [ "$s1" = failed ]; then
				printf ' %10s %10s' - -
			else
				awk -v s0="$s0" -v s1="$s1" -v k0="$k0" -v k1="$k1" 'BEGIN { printf " %10.1f %10.1f", s1 / (s0 > 0 ? s0 : 0.01), k1 / k0 }'
			fi
		fi
		printf '\n'
	done
} | tee "${SCALE_REPORT:-/dev/null}"
echo "(wall in seconds, peak RSS in MB from /usr/bin/time; serve: launch to /readyz 200, peak RSS then; reload: POST /v1/admin/reload, peak RSS over start and reload; x: $last over $first accounts)"
