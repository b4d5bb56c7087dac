#!/usr/bin/env bash
# Runs one load scenario of SPEC.md §9 against hasse and then against the machine's ceiling (the
# harness's trivial pre-serialised writer), each pinned to core 0 with the harness on core 1,
# prints them side by side and appends both JSON results to bench/results.jsonl (or $OUT).
#
#   bench/run.sh CLIENTS RATE DURATION      e.g. bench/run.sh 1000 100 20s
#   ROUNDS=6 bench/run.sh 1000 100 20s      six pairs, alternated, and hasse's CPU and p99 as
#                                           ratios to the ceiling's, pair by pair: judge CPU on
#                                           these, single runs vary by ±10 %
#   PAD=716 bench/run.sh …                  the ceiling's payload padded so that its writes are as
#                                           long as hasse's (1054 bytes of the harness's events)
#   HARNESS=shared bench/run.sh …           the same with the shared reference harness
#
# hasse runs `serve` against the harness's fake Home Assistant with auth none, rate limits off
# and client limits raised to 20,000, everything else at its defaults (SPEC.md §9).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000} RATE=${2:-100} DUR=${3:-20s}
OUT=${OUT:-bench/results.jsonl}
ROUNDS=${ROUNDS:-1} PAD=${PAD:-0}
. bench/lib.sh
RUN=$BIN/run.jsonl
scenario=${N}x${RATE}
for _ in $(seq 1 "$ROUNDS"); do
	start_hasse
	taskset -c "$HARNESS_CPUS" "$H" fanout -publisher hass -hass-addr "$HA" -url "$HASSE" -n "$N" -rate "$RATE" -duration "$DUR" \
		-pid "$PID" -label "hasse $scenario" -out "$RUN" | grep -v '^{'
	stop
	start_ceiling
	taskset -c "$HARNESS_CPUS" "$H" fanout -publisher raw -url "$CEILING" -n "$N" -rate "$RATE" -duration "$DUR" -pad "$PAD" \
		-pid "$PID" -label "ceiling $scenario" -out "$RUN" | grep -v '^{'
	stop
done
cat "$RUN" >>"$OUT"
go run ./bench/report "$RUN"
