#!/usr/bin/env bash
# Checks the project's harness against the shared reference harness: the same fan-out scenario,
# against the same hasse build and each harness's ceiling, with each harness in turn (ROUNDS
# times, alternating), then a table of every run (go run ./bench/report). The figures must agree
# within the noise between rounds of one harness. On a quiet machine:
#
#   SSEBENCH=<folder of the reference harness> ROUNDS=3 bench/agree.sh 1000 100 20s
#
# The JSON lines go to bench/runs/<time>-agree.jsonl (labels "hasse own 1", "ceiling shared 1", …).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000} RATE=${2:-100} DUR=${3:-20s}
mkdir -p bench/runs
HARNESS=own
. bench/lib.sh
build_harness shared
RUN=bench/runs/$(date -u +%Y%m%dT%H%M%SZ)-agree.jsonl
for round in $(seq "${ROUNDS:-1}"); do
	for h in own shared; do
		echo "== round $round, $h harness: hasse"
		start_hasse
		taskset -c "$HARNESS_CPUS" "$BIN/harness-$h" fanout -publisher hass -hass-addr "$HA" -url "$HASSE" -n "$N" -rate "$RATE" \
			-duration "$DUR" -pid "$PID" -label "hasse $h $round" -out "$RUN" | grep -v '^{'
		stop
		echo "== round $round, $h harness: ceiling"
		start_ceiling "$h"
		taskset -c "$HARNESS_CPUS" "$BIN/harness-$h" fanout -publisher raw -url "$CEILING" -n "$N" -rate "$RATE" \
			-duration "$DUR" -pid "$PID" -label "ceiling $h $round" -out "$RUN" | grep -v '^{'
		stop
	done
done
go run ./bench/report "$RUN"
