#!/usr/bin/env bash
# Installs what building and testing govs needs on Debian 12, as root, and
# reserves hugepages for DPDK. Safe to run again: it only changes what is
# missing.
set -euo pipefail

HUGEPAGES=${HUGEPAGES:-1024}     # 2 MiB pages: 2 GiB
GO_MIN_MINOR=26                  # go.mod says go 1.26

say() { echo "deps: $*"; }
die() { echo "deps: ERROR: $*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "run as root (apt-get, hugepages)"

# Packages: DPDK and its headers for cgo, the tools the e2e tests and the
# demo call (ip, ping, nft to black-hole a real server's port, tcpdump for
# debugging, curl), a C toolchain.
# clang and its runtimes build the fast path's libFuzzer target with
# ASan/UBSan (make test runs its corpus); llvm symbolizes their reports.
# keepalived is the VRRP peer of the interop tests (run in namespaces only).
pkgs=(dpdk dpdk-dev libdpdk-dev pkg-config iproute2 iputils-ping nftables tcpdump curl
      build-essential procps ca-certificates clang libclang-rt-14-dev llvm keepalived)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  say "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  say "packages present"
fi
pkg-config --exists libdpdk || die "pkg-config cannot find libdpdk after installing libdpdk-dev"
say "DPDK $(pkg-config --modversion libdpdk)"

# Go is not taken from Debian (bookworm ships 1.19): it must be at
# /usr/local/go or on PATH.
export PATH=/usr/local/go/bin:$PATH
if ! command -v go >/dev/null; then
  die "Go >= 1.${GO_MIN_MINOR} not found: install it from go.dev/dl into /usr/local/go and add /usr/local/go/bin to PATH"
fi
gover=$(go env GOVERSION)                    # e.g. go1.26.8
minor=$(echo "$gover" | sed -E 's/^go1\.([0-9]+).*/\1/')
if ! [[ "$minor" =~ ^[0-9]+$ ]] || [ "$minor" -lt "$GO_MIN_MINOR" ]; then
  die "$gover at $(command -v go) is too old: Go >= 1.${GO_MIN_MINOR} is needed (install it into /usr/local/go)"
fi
say "$gover at $(command -v go)"

# Hugepages for the DPDK EAL.
total=$(awk '/^HugePages_Total:/ {print $2}' /proc/meminfo)
if [ "${total:-0}" -lt "$HUGEPAGES" ]; then
  say "reserving $HUGEPAGES hugepages (had ${total:-0})"
  echo "$HUGEPAGES" > /proc/sys/vm/nr_hugepages || die "cannot write /proc/sys/vm/nr_hugepages (container without privileges?)"
fi
mkdir -p /dev/hugepages
if ! mountpoint -q /dev/hugepages; then
  say "mounting hugetlbfs at /dev/hugepages"
  mount -t hugetlbfs nodev /dev/hugepages || die "cannot mount hugetlbfs at /dev/hugepages"
fi
free=$(awk '/^HugePages_Free:/ {print $2}' /proc/meminfo)
size=$(awk '/^Hugepagesize:/ {print $2}' /proc/meminfo)
if [ "${free:-0}" -le 0 ]; then
  die "HugePages_Free is 0 (total $(awk '/^HugePages_Total:/ {print $2}' /proc/meminfo)): memory too fragmented or used by another DPDK process; free some or reboot"
fi
if [ $((free * size / 1024)) -lt 512 ]; then
  say "WARNING: only $((free * size / 1024)) MiB of hugepages free; the tests want 512 MiB"
fi
say "hugepages: $free free of ${size} kB"
