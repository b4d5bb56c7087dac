#!/usr/bin/env bash
# Runs one load scenario of SPEC.md §9 against hasse and then against the machine's ceiling (the
# harness's trivial pre-serialised writer), each pinned to core 0 with the harness on core 1, and
# appends both JSON results to bench/results.jsonl (or $OUT).
#
#   bench/run.sh CLIENTS RATE DURATION      e.g. bench/run.sh 1000 100 20s
#   HARNESS=shared bench/run.sh …           the same with the shared reference harness
#
# hasse runs `serve` against the harness's fake Home Assistant with auth none, rate limits off
# and client limits raised to 20,000, everything else at its defaults (SPEC.md §9).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000} RATE=${2:-100} DUR=${3:-20s}
OUT=${OUT:-bench/results.jsonl}
. bench/lib.sh
start_hasse
taskset -c "$HARNESS_CPUS" "$H" fanout -publisher hass -hass-addr "$HA" -url "$HASSE" -n "$N" -rate "$RATE" -duration "$DUR" \
	-pid "$PID" -label hasse -out "$OUT" | grep -v '^{'
stop
start_ceiling
taskset -c "$HARNESS_CPUS" "$H" fanout -publisher raw -url "$CEILING" -n "$N" -rate "$RATE" -duration "$DUR" \
	-pid "$PID" -label ceiling -out "$OUT" | grep -v '^{'
stop
