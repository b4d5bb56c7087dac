#!/usr/bin/env bash
# The 100,000-client scenario (issue #18): several `hasse serve` instances on one Redis, each
# holding its share of the clients under the per-process descriptor limit, the clients held by
# as many harness processes (`harness listen`), every client subscribed to the lights; the
# harness's fake Home Assistant (`harness publish`) sends ONE event at a time, RATE a second, for
# DURATION, each stamped with its publish time. It passes when every client connects and gets
# every event (zero loss) and the p99, over the events, from publish to the LAST client that
# receives it is at most P99_MAX. Each instance's RSS is read from /proc/PID/status when started,
# with its clients, and after the events. One JSON line (`"cmd":"scale"`) is appended to
# bench/results.jsonl (or $OUT); a summary for people is printed. The exit status is 1 when the
# run does not pass. Every process's JSON lines and the result, with the summary for people,
# go to bench/runs/<time>-scale.jsonl (or $RUN): `go run ./bench/harness merge FILE` prints the
# result again.
#
#   bench/scale.sh [CLIENTS [DURATION]]          default 100000 60s (about 3 minutes in all)
#   INSTANCES=2 LISTENERS=2 bench/scale.sh 3000 10s
#
# Settings:
#   INSTANCES     hasse serve instances (default: as many as PER_PROCESS needs)
#   LISTENERS     harness processes holding the clients (default: likewise); each spreads its
#                 clients evenly over every instance
#   PER_PROCESS   most clients one process holds (default: the hard limit on open files, which Go
#                 raises every process to, less a tenth for headroom: 18,000 of 20,000)
#   RATE          events a second, one at a time (default 1)
#   P99_MAX       pass bound on publish → last client (default 2s)
#   DRAIN         longest wait, in seconds, after the last publish for every client to have every
#                 event (default 30)
#   SERVER_CPUS   cores of the instances and Redis (taskset -c, default 0)
#   HARNESS_CPUS  cores of the harness processes (default 1)
#   SCALE_PORT    the first port tried for Redis, the fake Home Assistant and the instances,
#                 each on the next free one from there (default 13100)
#
# Every instance runs `serve` with MCP_REDIS_URL on its own Redis (redis-server on a free
# port, no persistence), MCP_REDIS_INSTANCE=nodeI, auth none, rate limits off and client limits
# raised to the descriptor limit, everything else at its defaults. Loopback clients come from
# 127.0.0.1 … 127.0.0.250, so that no source address runs short of ephemeral ports.
set -euo pipefail
cd "$(dirname "$0")/.."
CLIENTS=${1:-100000} DUR=${2:-60s}
RATE=${RATE:-1} P99_MAX=${P99_MAX:-2s} DRAIN=${DRAIN:-30}
OUT=${OUT:-bench/results.jsonl}
RUN=${RUN:-bench/runs/$(date -u +%Y%m%dT%H%M%SZ)-scale.jsonl}
if [ "${HARNESS:-own}" != own ]; then
	echo "HARNESS=$HARNESS: the scale run needs the project's harness (listen, publish, merge); leave HARNESS unset" >&2
	exit 2
fi
command -v redis-server >/dev/null || {
	echo "no redis-server: scripts/install-deps.sh installs it" >&2
	exit 2
}
. bench/lib.sh

# Descriptors: each process may hold NOFILE; each client is one in an instance and one in a
# listener. The kernel's table and the loopback ports must hold them all.
NOFILE=$(ulimit -Hn)
[ "$NOFILE" = unlimited ] && NOFILE=1048576
PER_PROCESS=${PER_PROCESS:-$((NOFILE - NOFILE / 10))}
INSTANCES=${INSTANCES:-$(((CLIENTS + PER_PROCESS - 1) / PER_PROCESS))}
LISTENERS=${LISTENERS:-$(((CLIENTS + PER_PROCESS - 1) / PER_PROCESS))}
check_split() { # NAME PROCESSES: exits unless CLIENTS split over PROCESSES fit PER_PROCESS each
	if [ "$2" -lt 1 ] || [ $(((CLIENTS + $2 - 1) / $2)) -gt "$PER_PROCESS" ]; then
		echo "$1=$2: $(((CLIENTS + $2 - 1) / $2)) clients each, more than the $PER_PROCESS one process holds here (PER_PROCESS)" >&2
		exit 2
	fi
}
check_split INSTANCES "$INSTANCES"
check_split LISTENERS "$LISTENERS"
read -r files_open _ files_max </proc/sys/fs/file-nr
read -r port_lo port_hi </proc/sys/net/ipv4/ip_local_port_range
ports=$((port_hi - port_lo + 1))
echo "== $CLIENTS clients: $INSTANCES instances of ≤ $(((CLIENTS + INSTANCES - 1) / INSTANCES)) and $LISTENERS harness processes of ≤ $(((CLIENTS + LISTENERS - 1) / LISTENERS)) (≤ $PER_PROCESS of $NOFILE descriptors each); kernel: $files_open of $files_max files open, $((2 * CLIENTS)) more needed; $((CLIENTS / 250 + 1)) ports of $ports per loopback source address"
if [ $((files_open + 2 * CLIENTS + 1000)) -gt "$files_max" ] || [ $((CLIENTS / 250 + 1)) -gt "$ports" ]; then
	echo "the kernel's file table or the ephemeral ports are too small for $CLIENTS clients" >&2
	exit 2
fi
if [ -r /proc/sys/net/netfilter/nf_conntrack_max ]; then # tracked only where firewall rules ask for it
	tracked=$(cat /proc/sys/net/netfilter/nf_conntrack_count) track_max=$(cat /proc/sys/net/netfilter/nf_conntrack_max)
	if [ $((tracked + CLIENTS)) -gt "$track_max" ]; then
		echo "warning: connection tracking holds $tracked of $track_max; should it track loopback, $CLIENTS more will not fit" >&2
	fi
fi

rss() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; } # utime + stime; the command name, hasse, has no space
HZ=$(getconf CLK_TCK)

# Redis, on a port of its own.
port=$(free_port "${SCALE_PORT:-13100}")
taskset -c "$SERVER_CPUS" redis-server --bind 127.0.0.1 --port "$port" --save '' --appendonly no --dir "$BIN" \
	>>"$BIN/redis.log" 2>&1 &
until redis-cli -p "$port" ping 2>/dev/null | grep -q PONG; do sleep 0.1; done
REDIS=redis://127.0.0.1:$port

# The fake Home Assistant, waiting for the leader's subscription and then for the start file;
# it stays up after the events (-hold), so that the instances send no ha_disconnected meanwhile.
port=$(free_port $((port + 1)))
HA_SCALE=127.0.0.1:$port
taskset -c "$HARNESS_CPUS" "$H" publish -hass-addr "$HA_SCALE" -rate "$RATE" -duration "$DUR" -hass-wait 5m -hold \
	-start-file "$BIN/start" -label "hasse scale" -out "$BIN/publish.jsonl" >>"$BIN/publish.log" 2>&1 &
PUBPID=$!
until curl -s -o /dev/null "http://$HA_SCALE/api/"; do sleep 0.1; done

# The instances; the first to start leads.
PIDS=() URLS=() IDLE=()
for i in $(seq 1 "$INSTANCES"); do
	port=$(free_port $((port + 1)))
	HA=$HA_SCALE HASSE_ADDR=127.0.0.1:$port start_hasse MCP_REDIS_URL="$REDIS" MCP_REDIS_INSTANCE="node$i" \
		MCP_SSE_MAX_CLIENTS="$NOFILE" MCP_SSE_MAX_CLIENTS_PER_USER="$NOFILE"
	PIDS+=("$PID") URLS+=("http://127.0.0.1:$port/subscribe_events?domain=light")
done
for u in "${URLS[@]}"; do
	until curl -s "${u%%/subscribe_events*}/health" | grep -q '"status":"healthy"'; do sleep 0.2; done
done
for pid in "${PIDS[@]}"; do IDLE+=("$(rss "$pid")"); done

# The clients: each listener spreads its share over every instance, starting at a different
# one, so that the instances' shares differ by one at most.
LPIDS=()
for i in $(seq 1 "$LISTENERS"); do
	n=$((CLIENTS / LISTENERS + (i <= CLIENTS % LISTENERS ? 1 : 0)))
	urls=()
	for j in $(seq 0 $((INSTANCES - 1))); do urls+=("${URLS[(i - 1 + j) % INSTANCES]}"); done
	taskset -c "$HARNESS_CPUS" "$H" listen -url "$(IFS=,; echo "${urls[*]}")" -n "$n" -rate "$RATE" -duration "$DUR" \
		-ready "$BIN/ready.$i" -done "$BIN/done.$i" -label "hasse scale" -out "$BIN/listen.$i.jsonl" >>"$BIN/listen.$i.log" 2>&1 &
	LPIDS+=("$!")
done
for i in $(seq 1 "$LISTENERS"); do
	until [ -e "$BIN/ready.$i" ]; do
		kill -0 "${LPIDS[i - 1]}" 2>/dev/null || {
			echo "harness listener $i ended before its clients were connected:" >&2
			cat "$BIN/listen.$i.log" >&2
			exit 1
		}
		sleep 0.2
	done
	sed 's/^/listener '"$i"': /' "$BIN/listen.$i.log"
done
sleep 2 # let the last connections settle
BEFORE=() CPU0=()
for pid in "${PIDS[@]}"; do BEFORE+=("$(rss "$pid")") CPU0+=("$(ticks "$pid")"); done

echo "== $DUR of $RATE event/s, one at a time"
touch "$BIN/start"
until [ -s "$BIN/publish.jsonl" ]; do
	kill -0 "$PUBPID" 2>/dev/null || {
		echo "the publisher failed:" >&2
		cat "$BIN/publish.log" >&2
		exit 1
	}
	sleep 0.1
done
grep -v '^{' "$BIN/publish.log" | grep -v '^fake Home Assistant' || true
drain_end=$(($(date +%s) + DRAIN))
for i in $(seq 1 "$LISTENERS"); do
	until [ -e "$BIN/done.$i" ] || [ "$(date +%s)" -ge "$drain_end" ]; do sleep 0.1; done
done
AFTER=() CPU1=()
for pid in "${PIDS[@]}"; do AFTER+=("$(rss "$pid")") CPU1+=("$(ticks "$pid")"); done
for pid in "${LPIDS[@]}"; do kill -TERM "$pid"; done
for i in $(seq 1 "$LISTENERS"); do
	wait "${LPIDS[i - 1]}" || echo "listener $i ended with status $?" >&2
done
for i in $(seq 0 $((INSTANCES - 1))); do
	printf '{"cmd":"instance","instance":"node%d","url":"%s","pid":%d,"rss_idle_kb":%d,"rss_before_kb":%d,"rss_after_kb":%d,"cpu_s":%s}\n' \
		$((i + 1)) "${URLS[i]}" "${PIDS[i]}" "${IDLE[i]}" "${BEFORE[i]}" "${AFTER[i]}" \
		"$(awk -v a="${CPU0[i]}" -v b="${CPU1[i]}" -v hz="$HZ" 'BEGIN {printf "%.2f", (b - a) / hz}')"
done >"$BIN/instances.jsonl"
for pid in "${PIDS[@]}" "$PUBPID"; do kill "$pid"; done
for pid in "${PIDS[@]}" "$PUBPID"; do wait "$pid" 2>/dev/null || true; done

echo "== result (every process's lines: $RUN)"
cat "$BIN/publish.jsonl" "$BIN"/listen.*.jsonl "$BIN/instances.jsonl" >"$BIN/run.jsonl"
"$H" merge -label "hasse scale" -p99-max "$P99_MAX" -out "$OUT" "$BIN/run.jsonl" | tee "$BIN/result" | grep -v '^{'
mkdir -p "$(dirname "$RUN")"
cat "$BIN/run.jsonl" "$BIN/result" >"$RUN"
grep -q '"pass":true' "$BIN/result"
