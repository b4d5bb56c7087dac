#!/usr/bin/env bash
# The soak of SPEC.md §9: 1,000 clients × 50 events/s for DURATION (default 10m) against hasse
# (core 0; the harness on core 1), with hasse's RSS and heap sampled every 30 s, to show whether
# memory stays flat once the replay ring (MCP_SSE_REPLAY_SIZE events) has filled.
#
#   bench/soak.sh [DURATION]
set -euo pipefail
cd "$(dirname "$0")/.."
DUR=${1:-10m}
. bench/lib.sh
start_hasse
(
	start=$(date +%s)
	while sleep 30; do
		rss=$(awk '/VmRSS/ {print $2}' /proc/$PID/status 2>/dev/null) || break
		heap=$(curl -s "http://$HASSE_ADDR/metrics" | awk '/^go_memstats_heap_inuse_bytes / {printf "%.0f", $2/1024}')
		echo "t=$(( $(date +%s) - start ))s rss_kb=$rss heap_inuse_kb=$heap"
	done
) &
taskset -c "$HARNESS_CPUS" "$H" fanout -publisher hass -hass-addr "$HA" -url "$HASSE" -n 1000 -rate 50 -duration "$DUR" \
	-pid "$PID" -label "hasse soak" -out bench/results.jsonl | grep -v '^{'
