# statusgate: `make run` starts the gateway on the embedded SQLite default,
# `make test` runs every test against real SQLite and a throwaway PostgreSQL.
GO ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT ?= $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
LDFLAGS := -X main.version=$(VERSION) -X main.commit=$(COMMIT)

.PHONY: help run build test lint bench fuzz loadtest soak

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

run: ## start the gateway on ./data/statusgate.db (first start prints an admin key)
	$(GO) run ./cmd/statusgate

build: ## build ./bin/statusgate (static, with version and commit)
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o bin/statusgate ./cmd/statusgate

test: ## run the whole suite (SQLite and PostgreSQL; CI=true makes PostgreSQL mandatory)
	$(GO) test -race -count=1 ./...

lint: ## go vet and gofmt
	$(GO) vet ./...
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

loadtest: ## measure the inbound path against a bare Echo + gjson handler (LOADFLAGS="-duration 10s -rounds 3 -database-url postgres://...")
	$(GO) run ./cmd/loadtest $(LOADFLAGS)

soak: ## the crash and outage tests at full length: 10 kills during a burst, a 20 s database outage (both stores)
	STATUSGATE_TEST_CRASH_ROUNDS=10 STATUSGATE_TEST_OUTAGE=20s $(GO) test -count=1 -timeout 30m -v -run '^(TestKillDuringBurstLosesNothing|TestDatabaseOutageUnderLoad)$$' ./cmd/statusgate

bench: ## run the benchmarks (inbound path, extraction, SLA)
	$(GO) test -run='^$$' -bench=. -benchmem ./...

fuzz: ## fuzz extraction and signature parsing for 30s each
	$(GO) test -run='^$$' -fuzz='^FuzzExtract$$' -fuzztime=30s ./mapping
	$(GO) test -run='^$$' -fuzz='^FuzzVerifySignature$$' -fuzztime=30s ./mapping
	$(GO) test -run='^$$' -fuzz='^FuzzParseSignatureHeader$$' -fuzztime=30s ./mapping
