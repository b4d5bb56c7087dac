# Sourced by the scripts of bench/: builds hasse and the load harness into $BIN (removed on exit,
# with every process the script started), and starts hasse and the ceiling as SPEC.md §9 says.
#
#   HARNESS=own (default)  the project's harness, bench/harness
#   HARNESS=shared         the outside reference harness, from the folder SSEBENCH names (it is
#                          not in this repository), which the README's table is checked against;
#                          it takes the same flags
#
# Addresses, for running beside other work: HA (the fake Home Assistant, default
# 127.0.0.1:18123), HASSE_ADDR (127.0.0.1:13000), CEILING_ADDR (127.0.0.1:18090). Cores:
# SERVER_CPUS (the servers', default 0) and HARNESS_CPUS (the harness's, default 1), as taskset -c
# takes them.

BIN=$(mktemp -d)
trap 'pkill -P $$ 2>/dev/null; rm -rf "$BIN"' EXIT
HARNESS=${HARNESS:-own}
HA=${HA:-127.0.0.1:18123}
HASSE_ADDR=${HASSE_ADDR:-127.0.0.1:13000}
CEILING_ADDR=${CEILING_ADDR:-127.0.0.1:18090}
HASSE=http://$HASSE_ADDR/subscribe_events?domain=light
CEILING=http://$CEILING_ADDR/sse
SERVER_CPUS=${SERVER_CPUS:-0}
HARNESS_CPUS=${HARNESS_CPUS:-1}
go build -o "$BIN/hasse" ./cmd/hasse

# build_harness NAME: builds harness NAME (own or shared) as $BIN/harness-NAME.
build_harness() {
	case $1 in
	own) go build -o "$BIN/harness-own" ./bench/harness ;;
	shared)
		local dir=${SSEBENCH:-}
		if [ -z "$dir" ] || [ ! -d "$dir" ]; then
			echo "HARNESS=shared: set SSEBENCH to the folder of the reference harness (now: ${dir:-unset}), or leave HARNESS unset for the project's own" >&2
			exit 2
		fi
		(cd "$dir" && go build -o "$BIN/harness-shared" .)
		;;
	*)
		echo "HARNESS=$1: want own or shared" >&2
		exit 2
		;;
	esac
}
build_harness "$HARNESS"
H=$BIN/harness-$HARNESS # the harness the scripts run

# start_hasse [VAR=value…]: hasse serve on $SERVER_CPUS against the Home Assistant on $HA, listening on
# $HASSE_ADDR, with auth none, rate limits off and client limits raised to 20,000, everything else
# at its defaults but the statistics history (off) and the log level (warn); the arguments
# override these. Sets PID; returns once hasse listens.
start_hasse() {
	env HA_URL="ws://$HA/api/websocket" HA_TOKEN=bench MCP_SSE_AUTH=none \
		MCP_RATE_LIMIT_ENABLED=false MCP_SSE_MAX_CLIENTS=20000 MCP_SSE_MAX_CLIENTS_PER_USER=20000 \
		MCP_HTTP_ADDR="$HASSE_ADDR" MCP_SSE_STATS_DB=off MCP_LOG_LEVEL=warn "$@" \
		taskset -c "$SERVER_CPUS" "$BIN/hasse" serve >>"$BIN/hasse.log" 2>&1 &
	PID=$!
	until curl -s -o /dev/null "http://$HASSE_ADDR/health"; do sleep 0.1; done
}

# start_ceiling [HARNESS]: the ceiling writer of the harness (default $HARNESS) on $SERVER_CPUS,
# listening on $CEILING_ADDR. Sets PID; returns once it listens.
start_ceiling() {
	taskset -c "$SERVER_CPUS" "$BIN/harness-${1:-$HARNESS}" ceiling -addr "$CEILING_ADDR" >>"$BIN/ceiling.log" 2>&1 &
	PID=$!
	until curl -s -o /dev/null -X POST -d '{}' "http://$CEILING_ADDR/publish"; do sleep 0.1; done
}

# stop: stops the server started last.
stop() {
	kill "$PID"
	wait "$PID" 2>/dev/null || true
}

# bench LABEL ARGS…: one harness run on $HARNESS_CPUS against the server $PID, its JSON line appended
# to $RUN.
bench() {
	local label=$1
	shift
	echo "== $label"
	taskset -c "$HARNESS_CPUS" "$H" "$@" -pid "$PID" -label "$label" -out "$RUN" | grep -v '^{'
}

# footprint: hasse's RSS after FOOTPRINT_WARM (default 2m) of `hasse simulate --rate 400` on
# $HARNESS_CPUS, with no client (rss_before_kb), then with 1,000 idle clients held for 10 s
# (rss_after_kb), whose filter matches nothing the home sends. hasse runs as start_hasse says,
# but with its statistics history on, as by default.
footprint() {
	local sim=${SIM_ADDR:-127.0.0.1:18124} simpid
	taskset -c "$HARNESS_CPUS" "$BIN/hasse" simulate --rate 400 --listen "$sim" --token bench --user-token bench-user --seed 1 \
		>>"$BIN/simulate.log" 2>&1 &
	simpid=$!
	until curl -s -o /dev/null "http://$sim/api/"; do sleep 0.1; done
	HA=$sim start_hasse MCP_SSE_STATS_DB="$BIN/hasse-stats.db"
	echo "== ${FOOTPRINT_WARM:-2m} of a busy home (hasse simulate --rate 400) before the footprint"
	sleep "${FOOTPRINT_WARM:-2m}"
	bench "hasse footprint" conns -url "http://$HASSE_ADDR/subscribe_events?entity_id=sensor.bench_idle" -n 1000 -hold 10s
	stop
	kill "$simpid"
	wait "$simpid" 2>/dev/null || true
}

# free_port FROM: the first port from FROM up that nothing on 127.0.0.1 accepts connections on.
free_port() {
	local p=$1
	while (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; do p=$((p + 1)); done
	echo "$p"
}
