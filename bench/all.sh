#!/usr/bin/env bash
# Runs every load scenario of SPEC.md §9 against hasse and against the machine's ceiling (the
# harness's trivial pre-serialised writer) in one session, each server pinned to core 0 and the
# harness to core 1, writes the JSON results to bench/runs/<time>.jsonl (and appends them to
# bench/results.jsonl), then prints a table of both side by side.
#
#   bench/all.sh            footprint, idle clients, 1,000 × 100/s, 10,000 × 10/s, the rate search (~9 min)
#   bench/all.sh --soak     and the 10-minute soak at 1,000 × 50/s (hasse only)
#   HARNESS=shared bench/all.sh   the same with the shared reference harness (runs/<time>-shared.jsonl)
#
# hasse runs `serve` against the harness's fake Home Assistant with auth none, rate limits off
# and client limits raised to 20,000, everything else at its defaults (SPEC.md §9). The footprint
# (bench/footprint.sh, first) runs it against `hasse simulate --rate 400` instead, with its
# statistics history on as by default, for FOOTPRINT_WARM (default 2m) of a busy home.
set -euo pipefail
cd "$(dirname "$0")/.."
SOAK=${1:-}
mkdir -p bench/runs
. bench/lib.sh
RUN=bench/runs/$(date -u +%Y%m%dT%H%M%SZ)$([ "$HARNESS" = own ] || echo "-$HARNESS").jsonl

fanout() { # LABEL N RATE DURATION [more flags]
	local label=$1 n=$2 rate=$3 dur=$4
	shift 4
	start_hasse
	bench "hasse $label" fanout -publisher hass -hass-addr "$HA" -url "$HASSE" -n "$n" -rate "$rate" -duration "$dur" "$@"
	stop
	start_ceiling
	bench "ceiling $label" fanout -publisher raw -url "$CEILING" -n "$n" -rate "$rate" -duration "$dur" "$@"
	stop
}

footprint
start_hasse
bench "hasse idle" conns -url "$HASSE" -n 19500 -hold 10s
stop
start_ceiling
bench "ceiling idle" conns -url "$CEILING" -n 19500 -hold 10s
stop
fanout "1000x100" 1000 100 20s
fanout "10000x10" 10000 10 20s
fanout "search" 1000 100 10s -search
if [ "$SOAK" = --soak ]; then
	start_hasse
	bench "hasse soak" fanout -publisher hass -hass-addr "$HA" -url "$HASSE" -n 1000 -rate 50 -duration 10m
	stop
fi
cat "$RUN" >>bench/results.jsonl
go run ./bench/report "$RUN"
