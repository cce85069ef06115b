#!/usr/bin/env bash
# Runs every Fuzz target of the module for FUZZTIME each (default 30s).
# go test -fuzz takes one target of one package at a time; targets are found
# by reading the test files, so no test binary (and no TestMain) runs twice.
set -euo pipefail
cd "$(dirname "$0")/.."
FUZZTIME=${FUZZTIME:-30s}
n=0
for dir in $(grep -rlE '^func Fuzz[A-Za-z0-9_]*\(' --include='*_test.go' . | xargs -r -n1 dirname | sort -u); do
  for target in $(grep -hoE '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go | cut -d' ' -f2 | sort -u); do
    echo "fuzz: $dir $target ($FUZZTIME)"
    go test -run '^$' -fuzz "^${target}\$" -fuzztime "$FUZZTIME" "$dir"
    n=$((n + 1))
  done
done
[ "$n" -gt 0 ] || { echo "fuzz: no Fuzz targets found" >&2; exit 1; }
echo "fuzz: the C fast path (libFuzzer, $FUZZTIME)"
bash scripts/cfuzz.sh fuzz "$FUZZTIME"
echo "fuzz: $n Go targets and the C target passed"
