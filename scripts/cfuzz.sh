#!/usr/bin/env bash
# The C fast path's libFuzzer target (dataplane/fastpath/fuzz), built with
# AddressSanitizer and UndefinedBehaviorSanitizer.
#   cfuzz.sh corpus        run every checked-in input once (make test)
#   cfuzz.sh fuzz [TIME]   fuzz for TIME (default 30s), new inputs kept in a
#                          temporary directory, crashes in the current one
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-corpus}
fuzztime=${2:-${FUZZTIME:-30s}}
work=$(mktemp -d /tmp/govs-cfuzz.XXXXXX)
trap 'rm -rf "$work"' EXIT
bin="$work/fp_fuzz"
bash dataplane/fastpath/fuzz/build.sh "$bin"
corpus=dataplane/fastpath/fuzz/corpus
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
case "$mode" in
corpus)
  "$bin" -runs=0 "$corpus"
  echo "cfuzz: $(ls "$corpus" | wc -l) corpus inputs ran clean under ASan/UBSan"
  ;;
fuzz)
  case $fuzztime in
  *m) secs=$((${fuzztime%m} * 60)) ;;
  *s) secs=${fuzztime%s} ;;
  *) secs=$fuzztime ;;
  esac
  mkdir -p "$work/new"
  "$bin" -max_total_time="$secs" -max_len=4096 -print_final_stats=1 "$work/new" "$corpus"
  ;;
*)
  echo "usage: $0 corpus | fuzz [TIME]" >&2
  exit 2
  ;;
esac
