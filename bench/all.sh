#!/usr/bin/env bash
# Runs every load scenario of SPEC.md §9 against hasse and against the machine's ceiling (the
# harness's trivial pre-serialised writer) in one session, each server pinned to core 0 and the
# harness to core 1, writes the JSON results to bench/runs/<time>.jsonl (and appends them to
# bench/results.jsonl), then prints a table of both side by side.
#
#   bench/all.sh            idle clients, 1,000 × 100/s, 10,000 × 10/s, the rate search (~6 min)
#   bench/all.sh --soak     and the 10-minute soak at 1,000 × 50/s (hasse only)
#
# hasse runs `serve` against the harness's fake Home Assistant with auth none, rate limits off
# and client limits raised to 20,000, everything else at its defaults (SPEC.md §9).
set -euo pipefail
cd "$(dirname "$0")/.."
SOAK=${1:-}
mkdir -p bench/runs
RUN=bench/runs/$(date -u +%Y%m%dT%H%M%SZ).jsonl
. bench/lib.sh
HA=127.0.0.1:18123
HASSE=http://127.0.0.1:13000/subscribe_events?domain=light
CEILING=http://127.0.0.1:18090/sse

start_ceiling() {
	taskset -c 0 "$BIN/ssebench" ceiling -addr 127.0.0.1:18090 >>"$BIN/ceiling.log" 2>&1 &
	PID=$!
	until curl -s -o /dev/null -X POST -d '{}' http://127.0.0.1:18090/publish; do sleep 0.1; done
}
stop() { kill "$PID"; wait "$PID" 2>/dev/null || true; }
# bench LABEL ARGS…: one harness run on core 1 against the server $PID.
bench() {
	local label=$1
	shift
	echo "== $label"
	taskset -c 1 "$BIN/ssebench" "$@" -pid "$PID" -label "$label" -out "$RUN" | grep -v '^{'
}
fanout() { # LABEL N RATE DURATION [more flags]
	local label=$1 n=$2 rate=$3 dur=$4
	shift 4
	start_hasse
	bench "hasse $label" fanout -publisher hass -hass-addr $HA -url "$HASSE" -n "$n" -rate "$rate" -duration "$dur" "$@"
	stop
	start_ceiling
	bench "ceiling $label" fanout -publisher raw -url "$CEILING" -n "$n" -rate "$rate" -duration "$dur" "$@"
	stop
}

start_hasse
bench "hasse idle" conns -url "$HASSE" -n 19500 -hold 10s
stop
start_ceiling
bench "ceiling idle" conns -url "$CEILING" -n 19500 -hold 10s
stop
fanout "1000x100" 1000 100 20s
fanout "10000x10" 10000 10 20s
fanout "search" 1000 100 10s -search
if [ "$SOAK" = --soak ]; then
	start_hasse
	bench "hasse soak" fanout -publisher hass -hass-addr $HA -url "$HASSE" -n 1000 -rate 50 -duration 10m
	stop
fi
cat "$RUN" >>bench/results.jsonl
go run ./bench/report "$RUN"
