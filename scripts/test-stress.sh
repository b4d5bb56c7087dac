#!/usr/bin/env bash
# The proof that the suite does not flake under load (issue 14), in three phases:
#   pair    PAIR_ROUNDS rounds (default 5) in which two copies of `go test -race -count=1 ./...`
#           run at the same time; both must pass.
#   beside  BESIDE_ROUNDS runs (default 3) of the whole `make test`, one after another, while
#           `go test -race -count=1 ./...` runs beside them again and again; every run of both
#           must pass (a run beside that is cut short when the phase ends does not count).
#   quiet   QUIET_ROUNDS runs (default 5) of `make test` in a row, nothing else of ours beside.
# ROUNDS=n sets all three counts; PHASES picks phases (PHASES="pair quiet"). Try it quickly:
#   ROUNDS=1 PHASES=pair scripts/test-stress.sh
# `make test` runs with GOFLAGS=-count=1, so that every round runs every test rather than
# answering from Go's test cache. The machine should be otherwise quiet for the quiet phase to
# mean anything. Every run's output
# is kept in build/stress/<time>/; the summary at the end gives each run's result and duration,
# and the script exits non-zero when any run failed.
set -uo pipefail
cd "$(dirname "$0")/.."

GO=${GO:-go}
MAKE=${MAKE:-make}
PAIR_ROUNDS=${PAIR_ROUNDS:-${ROUNDS:-5}}
BESIDE_ROUNDS=${BESIDE_ROUNDS:-${ROUNDS:-3}}
QUIET_ROUNDS=${QUIET_ROUNDS:-${ROUNDS:-5}}
PHASES=${PHASES:-pair beside quiet}

logs=build/stress/$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$logs"
summary=()
failures=0

# record phase round what rc seconds log: one line of the summary.
record() {
	local result=pass
	if [ "$4" -ne 0 ]; then
		result=FAIL
		failures=$((failures + 1))
	fi
	summary+=("$(printf '%-7s %-6s %-28s %-5s %6ss  %s' "$1" "$2" "$3" "$result" "$5" "$6")")
	echo "stress: $1 $2 $3: $result in $5s ($6)"
	if [ "$result" = FAIL ]; then
		grep -E '^(--- FAIL|FAIL|panic:)' "$6" | head -20 | sed 's/^/    /'
	fi
}

# timed log cmd...: runs cmd with its output in log; sets rc and took.
timed() {
	local log=$1
	shift
	local start=$SECONDS
	"$@" >"$log" 2>&1
	rc=$?
	took=$((SECONDS - start))
}

unit() { $GO test -race -count=1 ./...; }

# maketest runs the whole `make test`, every test run afresh.
maketest() { GOFLAGS="${GOFLAGS:+$GOFLAGS }-count=1" $MAKE test; }

# background log rcfile cmd...: runs cmd in the background, its output in log, then its exit
# status and duration in rcfile.
background() {
	local log=$1 rcfile=$2
	shift 2
	(
		start=$SECONDS
		"$@" >"$log" 2>&1
		echo "$? $((SECONDS - start))" >"$rcfile"
	) &
}

phase_pair() {
	for round in $(seq 1 "$PAIR_ROUNDS"); do
		for copy in 1 2; do
			background "$logs/pair-$round-$copy.log" "$logs/pair-$round-$copy.rc" unit
		done
		wait
		for copy in 1 2; do
			read -r r t <"$logs/pair-$round-$copy.rc"
			record pair "$round" "go test -race (copy $copy)" "$r" "$t" "$logs/pair-$round-$copy.log"
		done
	done
}

# besideLoop runs the unit tests again and again, each run's result in $logs/beside-load-N.rc.
besideLoop() {
	local n=0
	while :; do
		n=$((n + 1))
		local start=$SECONDS
		unit >"$logs/beside-load-$n.log" 2>&1
		echo "$? $((SECONDS - start))" >"$logs/beside-load-$n.rc"
	done
}

phase_beside() {
	rm -f "$logs"/beside-load-*.rc
	setsid bash -c "$(declare -f unit besideLoop); GO='$GO' logs='$logs' besideLoop" &
	local loader=$!
	for round in $(seq 1 "$BESIDE_ROUNDS"); do
		timed "$logs/beside-$round.log" maketest
		record beside "$round" "make test" "$rc" "$took" "$logs/beside-$round.log"
	done
	kill -- -"$loader" 2>/dev/null # the loop's process group: the run still going is cut short
	wait "$loader" 2>/dev/null
	for f in "$logs"/beside-load-*.rc; do
		[ -e "$f" ] || continue
		local n=${f##*beside-load-}
		n=${n%.rc}
		read -r r t <"$f"
		record beside "load$n" "go test -race beside" "$r" "$t" "$logs/beside-load-$n.log"
	done
}

phase_quiet() {
	for round in $(seq 1 "$QUIET_ROUNDS"); do
		timed "$logs/quiet-$round.log" maketest
		record quiet "$round" "make test" "$rc" "$took" "$logs/quiet-$round.log"
	done
}

for phase in $PHASES; do
	case $phase in
	pair | beside | quiet) "phase_$phase" ;;
	*)
		echo "stress: unknown phase $phase (pair, beside, quiet)" >&2
		exit 2
		;;
	esac
done

echo
echo "stress summary ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, logs in $logs):"
printf '  %s\n' "${summary[@]}"
if [ "$failures" -gt 0 ]; then
	echo "stress: $failures failed runs" >&2
	exit 1
fi
echo "stress: every run passed"
