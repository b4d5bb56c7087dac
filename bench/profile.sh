#!/usr/bin/env bash
# Profiles hasse under SPEC.md §9's 1,000 clients × 100 events/s with perf (Debian's linux-perf):
# hasse serve on core 0, the harness on core 1, perf recording hasse for 10 s in the middle of a
# 16 s run. Prints where the CPU goes: by binary (kernel or hasse) and the top functions.
#
#   bench/profile.sh
set -euo pipefail
cd "$(dirname "$0")/.."
command -v perf >/dev/null || { echo "perf not found: apt-get install linux-perf" >&2; exit 1; }
BIN=$(mktemp -d)
trap 'pkill -P $$ 2>/dev/null; rm -rf "$BIN"' EXIT
go build -o "$BIN/hasse" ./cmd/hasse
(cd ../shared/bench/ssebench && go build -o "$BIN/ssebench" .)
env HA_URL=ws://127.0.0.1:18123/api/websocket HA_TOKEN=bench MCP_SSE_AUTH=none MCP_RATE_LIMIT_ENABLED=false \
	MCP_SSE_MAX_CLIENTS=20000 MCP_SSE_MAX_CLIENTS_PER_USER=20000 MCP_HTTP_ADDR=127.0.0.1:13000 \
	MCP_SSE_STATS_DB=off MCP_LOG_LEVEL=warn taskset -c 0 "$BIN/hasse" serve >"$BIN/hasse.log" 2>&1 &
PID=$!
(sleep 4 && perf record -F 999 -g -p "$PID" -o "$BIN/perf.data" -- sleep 10 >/dev/null 2>&1) &
PERF=$!
taskset -c 1 "$BIN/ssebench" fanout -publisher hass -hass-addr 127.0.0.1:18123 \
	-url 'http://127.0.0.1:13000/subscribe_events?domain=light' -n 1000 -rate 100 -duration 16s -pid "$PID" | grep -v '^{'
wait "$PERF"
kill "$PID"
perf report -i "$BIN/perf.data" --no-children --sort dso --stdio -g none 2>/dev/null | grep '%' | head -4
perf report -i "$BIN/perf.data" --children --sort sym --stdio -g none 2>/dev/null | grep '\[\.\]' |
	grep -v 'goexit\|WaitGroup\|mstart\|errgroup' | head -30
