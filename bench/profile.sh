#!/usr/bin/env bash
# Profiles hasse under SPEC.md §9's 1,000 clients × 100 events/s with perf (Debian's linux-perf):
# hasse serve on core 0, the harness on core 1, perf recording hasse for 10 s in the middle of a
# 16 s run. Prints where the CPU goes: by binary (kernel or hasse) and the top functions.
#
#   bench/profile.sh
set -euo pipefail
cd "$(dirname "$0")/.."
command -v perf >/dev/null || { echo "perf not found: apt-get install linux-perf" >&2; exit 1; }
. bench/lib.sh
start_hasse
(sleep 4 && perf record -F 999 -g -p "$PID" -o "$BIN/perf.data" -- sleep 10 >/dev/null 2>&1) &
PERF=$!
taskset -c "$HARNESS_CPUS" "$H" fanout -publisher hass -hass-addr "$HA" -url "$HASSE" -n 1000 -rate 100 -duration 16s \
	-pid "$PID" | grep -v '^{'
wait "$PERF"
kill "$PID"
perf report -i "$BIN/perf.data" --no-children --sort dso --stdio -g none 2>/dev/null | grep '%' | head -4
perf report -i "$BIN/perf.data" --children --sort sym --stdio -g none 2>/dev/null | grep '\[\.\]' |
	grep -v 'goexit\|WaitGroup\|mstart\|errgroup' | head -30
