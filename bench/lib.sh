# Sourced by the scripts of bench/: builds hasse and the harness into $BIN (removed on exit, with
# every process the script started) and starts hasse as SPEC.md §9 says.

BIN=$(mktemp -d)
trap 'pkill -P $$ 2>/dev/null; rm -rf "$BIN"' EXIT
go build -o "$BIN/hasse" ./cmd/hasse
(cd ../shared/bench/ssebench && go build -o "$BIN/ssebench" .)

# start_hasse: hasse serve on core 0 against the harness's fake Home Assistant on $HA (default
# 127.0.0.1:18123), listening on 127.0.0.1:13000, with auth none, rate limits off and client
# limits raised to 20,000, everything else at its defaults. Sets PID; returns once it listens.
start_hasse() {
	env HA_URL="ws://${HA:-127.0.0.1:18123}/api/websocket" HA_TOKEN=bench MCP_SSE_AUTH=none \
		MCP_RATE_LIMIT_ENABLED=false MCP_SSE_MAX_CLIENTS=20000 MCP_SSE_MAX_CLIENTS_PER_USER=20000 \
		MCP_HTTP_ADDR=127.0.0.1:13000 MCP_SSE_STATS_DB=off MCP_LOG_LEVEL=warn \
		taskset -c 0 "$BIN/hasse" serve >>"$BIN/hasse.log" 2>&1 &
	PID=$!
	until curl -s -o /dev/null http://127.0.0.1:13000/health; do sleep 0.1; done
}
