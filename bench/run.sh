#!/usr/bin/env bash
# Runs one load scenario of SPEC.md §9 against hasse and then against the machine's ceiling (the
# harness's trivial pre-serialised writer), each pinned to core 0 with the harness on core 1, and
# appends both JSON results to bench/results.jsonl.
#
#   bench/run.sh CLIENTS RATE DURATION      e.g. bench/run.sh 1000 100 20s
#
# hasse runs `serve` against the harness's fake Home Assistant with auth none, rate limits off
# and client limits raised to 20,000, everything else at its defaults (SPEC.md §9).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000} RATE=${2:-100} DUR=${3:-20s}
OUT=bench/results.jsonl
. bench/lib.sh
start_hasse
HPID=$PID
taskset -c 1 "$BIN/ssebench" fanout -publisher hass -hass-addr 127.0.0.1:18123 \
	-url 'http://127.0.0.1:13000/subscribe_events?domain=light' -n "$N" -rate "$RATE" -duration "$DUR" \
	-pid "$HPID" -label hasse -out "$OUT" | grep -v '^{'
kill "$HPID"; wait "$HPID" 2>/dev/null || true

taskset -c 0 "$BIN/ssebench" ceiling -addr 127.0.0.1:18090 >"$BIN/ceiling.log" 2>&1 &
CPID=$!
sleep 0.5 # listening
taskset -c 1 "$BIN/ssebench" fanout -publisher raw -url http://127.0.0.1:18090/sse -n "$N" -rate "$RATE" \
	-duration "$DUR" -pid "$CPID" -label ceiling -out "$OUT" | grep -v '^{'
kill "$CPID"; wait "$CPID" 2>/dev/null || true
