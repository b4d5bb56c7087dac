#!/usr/bin/env bash
# The footprint scenario of SPEC.md §9 on its own (bench/all.sh runs it first): hasse serve on
# core 0 after FOOTPRINT_WARM (default 2m) of `hasse simulate --rate 400`, its RSS with no client
# and with 1,000 idle clients. The JSON line is appended to bench/results.jsonl (or $OUT).
#
#   bench/footprint.sh
#   FOOTPRINT_WARM=10m bench/footprint.sh
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
RUN=$BIN/footprint.jsonl
footprint
cat "$RUN" >>"${OUT:-bench/results.jsonl}"
go run ./bench/report "$RUN"
