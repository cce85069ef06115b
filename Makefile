# govs developer entry points. Run as root on Debian 12 for test and demo
# (namespaces, hugepages); scripts/deps.sh installs what they need.

export PATH := /usr/local/go/bin:$(PATH)
GO       ?= go
FUZZTIME ?= 30s

.PHONY: all build test fmt-check vet demo fuzz bench clean

all: build

build:
	$(GO) build -o bin/ ./cmd/...

# -p 1: packages run one at a time, so the e2e tests, cgo tests and netlab
# tests never compete for hugepages, lcores or namespaces. vet has already
# compiled everything in parallel by then.
test: fmt-check vet
	$(GO) test -p 1 -count=1 -timeout 40m ./...

fmt-check:
	@out=$$(gofmt -l $$(find . -name '*.go' -not -path './.git/*')); \
	if [ -n "$$out" ]; then echo "gofmt: these files need formatting:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

demo:
	bash scripts/deps.sh
	$(MAKE) build
	./bin/govs-demo -config configs/demo.yaml

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
