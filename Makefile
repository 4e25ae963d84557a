# kafkalink — `make help` lists the targets.

# Pinned tool versions (hack/versions.sh is the source the scripts read).
KUBE_VERSION           ?= v1.37.2
ETCD_VERSION           ?= v3.6.16
CONTROLLER_GEN_VERSION ?= v0.23.0

GO        ?= go
BIN_DIR   ?= bin
# An execution count, not a duration: a duration ends the fuzzing engine on a
# deadline, which on a loaded machine now and then reports a spurious
# "context deadline exceeded" failure. 80,000 inputs take about 10 s here.
FUZZTIME  ?= 80000x
# Every fuzz target and its package; `make test` runs each for $(FUZZTIME).
FUZZ_TARGETS ?= $(shell grep -rhoE --include='*_test.go' '^func Fuzz[A-Za-z0-9_]+' pkg | sed 's/^func //' | sort -u)

.DEFAULT_GOAL := help

.PHONY: help
help: ## Show this help.
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[36m%-12s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.PHONY: build
build: ## Build the controller, webhook, REST emulator and kubectl plugin (kubectl-kafkalink) into bin/.
	$(GO) build -o $(BIN_DIR)/ ./cmd/...

.PHONY: krew
krew: ## Build kubectl-kafkalink release archives and their krew manifest into bin/krew (TAG=v0.1.0; PLATFORMS="linux/amd64 ..." to build fewer).
	hack/krew/package.sh $(or $(TAG),$(error TAG is required, e.g. make krew TAG=v0.1.0)) $(BIN_DIR)/krew

.PHONY: testbin
testbin: ## Build the pinned kube-apiserver, etcd and controller-gen (cached under ~/.cache/kafkalink; the first build takes about 19 minutes on 2 cores).
	@hack/install-testbin.sh >/dev/null

.PHONY: test
test: testbin ## Run every test: unit, contract (OpenAPI), fuzz (short) and end-to-end (real apiserver + kubectl).
	KAFKALINK_TESTBIN=$$(hack/install-testbin.sh) $(GO) test -count=1 -timeout 20m $$($(GO) list ./... | grep -v '/test/e2e$$')
	@# The end-to-end suite alone: its load tests (200 parallel kubectl
	@# applies, an apiserver outage) must not share two cores with the
	@# unit packages.
	KAFKALINK_TESTBIN=$$(hack/install-testbin.sh) $(GO) test -count=1 -timeout 20m ./test/e2e
	@$(MAKE) --no-print-directory fuzz

.PHONY: test-unit
test-unit: ## Run the fast tests only (no apiserver).
	$(GO) test -short -count=1 ./...

.PHONY: test-e2e
test-e2e: testbin ## Run the end-to-end suite only.
	KAFKALINK_TESTBIN=$$(hack/install-testbin.sh) $(GO) test -count=1 -timeout 20m -v ./test/e2e/...

.PHONY: fuzz
fuzz: ## Run each fuzz target for FUZZTIME (default 80000 inputs, about 10 s).
	@set -e; for t in $(FUZZ_TARGETS); do \
	  pkg=$$(grep -rlE --include='*_test.go' "^func $$t\(" pkg | head -1 | xargs dirname); \
	  echo "fuzz $$t in ./$$pkg for $(FUZZTIME)"; \
	  $(GO) test -run='^$$' -fuzz="^$$t\$$" -fuzztime=$(FUZZTIME) ./$$pkg; \
	done

.PHONY: bench
bench: ## Run the benchmarks (REST calls, apiserver writes, allocations per admission).
	$(GO) test -run='^$$' -bench=. -benchmem ./...

N ?= 100
.PHONY: bench-webhook
bench-webhook: testbin ## Webhook load: the shipped binary (reference checks on) vs a minimal handler at c=1/16/64, and 64 parallel 3 MiB reviews.
	KAFKALINK_TESTBIN=$$(hack/install-testbin.sh) $(GO) run ./hack/webhook-load $(BENCH_ARGS)

.PHONY: bench-scale
bench-scale: testbin build ## Fleet-scale benchmark against the shipped binaries: N links (default 100) x 10 topics; SCENARIO=fleet|outage|largest.
	KAFKALINK_TESTBIN=$$(hack/install-testbin.sh) $(GO) run ./hack/bench-scale -bin $(BIN_DIR) -n $(N) -scenario $(or $(SCENARIO),fleet) $(BENCH_ARGS)

.PHONY: generate
generate: ## Regenerate clients, deepcopy, CRDs and docs from the Go types.
	hack/update-codegen.sh
	hack/update-crds.sh
	$(GO) run ./hack/gen-api-docs
	$(GO) generate ./...

.PHONY: verify
verify: lint ## Check generated code, CRDs and formatting are current.
	hack/verify-codegen.sh
	hack/verify-crds.sh

.PHONY: lint
lint: ## go vet and gofmt.
	$(GO) vet ./...
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

# run builds only the binaries the local environment runs (controller-gen
# serves generate, verify and test).
.PHONY: run
run: ## Start a local apiserver, the REST emulator, webhook and controller; apply the examples.
	@hack/install-testbin.sh kube-apiserver etcd >/dev/null
	@$(GO) build -o $(BIN_DIR)/kafkalink-run ./hack/run
	@exec $(BIN_DIR)/kafkalink-run $(RUN_ARGS)

.PHONY: clean
clean: ## Remove build output (the testbin cache stays; remove ~/.cache/kafkalink to rebuild it).
	rm -rf $(BIN_DIR) .run
