# ipamd — build, run and check. `make ci` is the one test command (README, .ci/run).

SHELL       := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := build
MAKEFLAGS += --no-print-directory

GO       ?= go
BIN      := bin/ipamd
# Fuzz budget per target as an execution count: a count, unlike a duration, has no wall-clock
# deadline racing the workers' shutdown in Go's fuzz coordinator (golang/go#75804, fixed in
# go1.27: at the end of a -fuzztime duration a target can fail with a bare "context deadline
# exceeded" and no crasher). FUZZTIME=10s still works for a run by hand.
FUZZTIME ?= 100000x
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT   ?= $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
LDFLAGS  := -X main.version=$(VERSION) -X main.commit=$(COMMIT)

# Hashes of every file outside .git and bin/, to detect what `go generate` changes.
SNAPSHOT = find . -path ./.git -prune -o -path ./bin -prune -o -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum

.PHONY: build run test budgets bench bench-baseline bench-store fuzz generate lint ci clean

build:
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/ipamd

run: build
	$(BIN) serve --log-format console

test:
	$(GO) test -race -count=1 -timeout 30m ./...

# Per-message allocation budgets (TestAllocBudgets beside each BenchmarkPerMessage), without
# -race: the race detector changes allocation counts, so `make test` skips them.
budgets:
	$(GO) test -count=1 -run '^TestAllocBudgets$$' $$(grep -rl --include='*_test.go' '^func TestAllocBudgets' . | xargs -n1 dirname | sort -u)

# Micro-benchmarks (codecs, framing, session round trips, metrics), BENCHCOUNT runs each,
# compared by benchstat with the checked-in baseline (docs/bench/baseline.txt, which names its
# machine); `make bench-baseline` records a new one. The store's benchmarks (provisioning,
# conversion: minutes, one run each) are `make bench-store`.
BENCH_PKGS := ./soap/... ./wsdl/ipam ./duplex/nmf ./sessions/... ./client ./internal/loadgen ./test/e2e ./internal/server/metrics
BENCHCOUNT ?= 6
bench:
	@mkdir -p bin
	$(GO) test -run '^$$' -bench . -benchmem -count $(BENCHCOUNT) $(BENCH_PKGS) | tee bin/bench.txt
	$(GO) tool benchstat -ignore baseline-of,machine docs/bench/baseline.txt bin/bench.txt

bench-baseline:
	@mkdir -p docs/bench
	{ echo "baseline-of: $$(git rev-parse --short=12 HEAD)"; echo "machine: $$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $$(nproc) cores, $$($(GO) env GOVERSION)"; \
	  $(GO) test -run '^$$' -bench . -benchmem -count $(BENCHCOUNT) $(BENCH_PKGS); } | tee docs/bench/baseline.txt

bench-store:
	$(GO) test -run '^$$' -bench . -benchmem -benchtime 1x ./store/...

# Runs every native fuzz target (func FuzzX(f *testing.F)) for FUZZTIME (a count or a duration) each.
fuzz:
	@targets=$$($(GO) test -list '^Fuzz' ./... | awk '/^Fuzz/ { names = names " " $$1; next } /^ok/ { n = split(names, a, " "); for (i = 1; i <= n; i++) print $$2 " " a[i]; names = "" }'); \
	if [ -z "$$targets" ]; then echo "fuzz: no fuzz targets"; exit 0; fi; \
	while read -r pkg name; do \
		echo "fuzz: $$pkg $$name ($(FUZZTIME))"; \
		$(GO) test -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZTIME) "$$pkg"; \
	done <<< "$$targets"

# Regenerates everything and fails if that changed any file (generated files are checked in).
generate:
	@before=$$(mktemp); after=$$(mktemp); trap 'rm -f "$$before" "$$after"' EXIT; \
	$(SNAPSHOT) > "$$before"; \
	$(GO) generate ./...; \
	$(SNAPSHOT) > "$$after"; \
	if ! diff "$$before" "$$after" > /dev/null; then \
		echo "generate: 'go generate ./...' changed these files; commit the regenerated versions:"; \
		diff "$$before" "$$after" | awk '/^[<>]/ { print "  " $$3 }' | sort -u; \
		exit 1; \
	fi; \
	echo "generate: no drift"

lint:
	@unformatted=$$(gofmt -l $$(find . -path ./.git -prune -o -name '*.go' -print)); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...
	GOOS=windows $(GO) vet ./...
	@if command -v staticcheck > /dev/null; then echo staticcheck ./...; staticcheck ./...; \
	else echo "lint: staticcheck not installed, skipped"; fi

ci:
	$(MAKE) lint
	$(MAKE) generate
	$(MAKE) test
	$(MAKE) budgets
	$(MAKE) fuzz
	$(MAKE) package-test

# Release artifacts into DIST (docs/release.md): static, reproducible binaries for linux/amd64,
# linux/arm64 and windows/amd64 stamped with VERSION and COMMIT, tar.gz/zip archives with man
# pages and shell completions, .deb and .rpm packages (nfpm, pinned), SHA256SUMS. Every
# timestamp is the commit's (SOURCE_DATE_EPOCH).
.PHONY: dist package-test
DIST              ?= dist
SOURCE_DATE_EPOCH ?= $(shell git log -1 --format=%ct 2>/dev/null || echo 1)
dist:
	$(GO) run ./internal/release/dist -out $(DIST) -version $(VERSION) -commit $(COMMIT) -date $(SOURCE_DATE_EPOCH)

# Builds the artifacts twice and compares the bytes, checks them, and (as root) installs the
# .deb with dpkg -i, checks it, and purges it (test/packaging/run.sh).
package-test:
	test/packaging/run.sh

clean:
	rm -rf bin
