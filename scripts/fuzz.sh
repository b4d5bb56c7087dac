#!/usr/bin/env bash
# Runs every fuzz target in the tree, each for FUZZTIME (default 1m), one after another. The
# targets are found by their declarations (func FuzzXxx in a _test.go file), so a new one is
# never forgotten. FUZZ, a regular expression, picks targets by name (FUZZ=Filter|Glob).
# A crasher lands in the package's testdata/fuzz/<target>/: commit it, so that go test replays
# it from then on. Exits non-zero when any target failed; prints a summary either way.
set -uo pipefail
cd "$(dirname "$0")/.."

FUZZTIME=${FUZZTIME:-1m}
FUZZ=${FUZZ:-.}
GO=${GO:-go}

# "<dir> <target>" for every fuzz target, in a stable order.
targets=$(grep -rEo --include='*_test.go' --exclude-dir=node_modules --exclude-dir=.git \
	'^func Fuzz[A-Za-z0-9_]*\(' . |
	sed -E 's#^(.*)/[^/]*_test\.go:func (Fuzz[A-Za-z0-9_]*)\($#\1 \2#' | sort -u)
if [ -z "$targets" ]; then
	echo "fuzz: no fuzz targets found" >&2
	exit 1
fi

failed=0 ran=0
summary=()
while read -r dir name; do
	[[ $name =~ $FUZZ ]] || continue
	ran=$((ran + 1))
	echo "=== $name ($dir, $FUZZTIME)"
	start=$SECONDS
	if $GO test -run '^$' -fuzz "^${name}\$" -fuzztime "$FUZZTIME" "$dir"; then
		result=ok
	else
		result=FAIL
		failed=$((failed + 1))
	fi
	summary+=("$(printf '%-4s %-20s %-22s %ss' "$result" "$name" "$dir" $((SECONDS - start)))")
done <<<"$targets"

echo
echo "fuzz summary ($ran targets, FUZZTIME=$FUZZTIME):"
printf '  %s\n' "${summary[@]}"
if [ "$ran" -eq 0 ]; then
	echo "fuzz: no target matches FUZZ=$FUZZ" >&2
	exit 1
fi
if [ "$failed" -gt 0 ]; then
	echo "fuzz: $failed of $ran targets failed; their crashers are in testdata/fuzz: commit them" >&2
	exit 1
fi
