#!/usr/bin/env bash
# Builds the fast path's libFuzzer target with AddressSanitizer and
# UndefinedBehaviorSanitizer (clang from Debian). Usage: build.sh OUT
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:?output binary}
src=(fp_parse fp_ingress fp_conn fp_tcp fp_snapshot fp_sched fp_neigh fp_classify fp_xmit fp_icmp fp_route fp_burst fp_sync fp_harness)
files=()
for s in "${src[@]}"; do files+=("$here/../$s.c"); done
# shellcheck disable=SC2046
clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
  -Wall -Wextra -Werror \
  $(pkg-config --cflags libdpdk) -I"$here/.." \
  "${files[@]}" "$here/fp_fuzz.c" -o "$out"
