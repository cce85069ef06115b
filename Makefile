# govs developer entry points. Run as root on Debian 12 for test and demo
# (namespaces, hugepages); scripts/deps.sh installs what they need.

export PATH := /usr/local/go/bin:$(PATH)
GO       ?= go
FUZZTIME ?= 30s

.PHONY: all build test fmt-check vet sanitize demo demo-ha fuzz bench clean

all: build

# govsd -version names the commit even where Go's VCS stamp is off.
COMMIT := $(shell git rev-parse --short=12 HEAD 2>/dev/null)

build:
	$(GO) build -ldflags "-X main.commit=$(COMMIT)" -o bin/ ./cmd/...

# -p 1: packages run one at a time, so the e2e tests, cgo tests and netlab
# tests never compete for hugepages, lcores or namespaces. vet has already
# compiled everything in parallel by then.
# -race on every package but e2e, whose tests drive separate govsd binaries
# that -race on the test would not instrument. The race build is compiled in
# parallel first (-exec true runs nothing): -p 1 would build it serially.
test: fmt-check vet sanitize
	$(GO) test -race -count=1 -exec true $$($(GO) list ./... | grep -v '/e2e$$') >/dev/null
	$(GO) test -race -p 1 -count=1 -timeout 40m $$($(GO) list ./... | grep -v '/e2e$$')
	$(GO) test -p 1 -count=1 -timeout 40m ./e2e

# The C fast path under AddressSanitizer and UndefinedBehaviorSanitizer:
# the frame-level tests (dataplane, dataplane/fastpath: the C code the
# lcores run, through the harness) and every input of the libFuzzer corpus.
SANITIZE_CFLAGS := -fsanitize=undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
sanitize:
	CGO_CFLAGS="$(SANITIZE_CFLAGS)" CGO_LDFLAGS="-fsanitize=undefined" \
		$(GO) test -asan -count=1 ./dataplane ./dataplane/fastpath
	bash scripts/cfuzz.sh corpus

fmt-check:
	@out=$$(gofmt -l $$(find . -name '*.go' -not -path './.git/*')); \
	if [ -n "$$out" ]; then echo "gofmt: these files need formatting:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

demo:
	bash scripts/deps.sh
	$(MAKE) build
	./bin/govs-demo -config configs/demo.yaml

# VRRP failover: two directors, the master SIGKILLed and restarted under
# a client loop (README's "demo-ha"). Same needs as demo; about 10 s.
demo-ha:
	bash scripts/deps.sh
	$(MAKE) build
	./bin/govs-demo -ha -config configs/demo-ha-1.yaml -peer-config configs/demo-ha-2.yaml

# Every Go fuzz target and the C fast path's libFuzzer target, FUZZTIME each.
fuzz:
	FUZZTIME=$(FUZZTIME) bash scripts/fuzz.sh

# The benchmark harness (bench/, DESIGN.md section 5; README's "Benchmarks"):
# govsd against dpdk-testpmd on the same net_pcap replay, RESULT lines on
# stdout and bench/RESULTS.md. Root and hugepages as for `make test`; about
# 15 minutes. BENCH_QUICK=1 runs a ~2-minute subset (64k flows, 1 repeat);
# BENCH_FLAGS passes flags (`go run ./bench -h` lists them).
bench:
	$(GO) run ./bench $(BENCH_FLAGS)

clean:
	rm -rf bin/
	$(GO) clean -testcache
