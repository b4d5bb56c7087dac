# make test: everything the test suite needs is installed if missing, then vet, the unit and
# integration tests with the race detector, the end-to-end tests with real clients, and the tier
# against a real Home Assistant. It reads nothing outside the repository, except the verbatim seed
# tier (see e2e), which runs only where the seed documents are found.

GO ?= go

# The seed documents (SPEC.md §11): the folder HASSE_SEEDS names, or else ../shared/seeds beside the
# checkout; empty where neither is.
SEEDS := $(abspath $(or $(HASSE_SEEDS),$(wildcard ../shared/seeds)))

.PHONY: test deps vet unit e2e realha realha-divergence bench fuzz build test-stress

test: deps vet unit e2e realha

build:
	$(GO) build -o bin/hasse ./cmd/hasse

deps:
	@scripts/install-deps.sh

vet:
	$(GO) vet ./...
	$(GO) vet -tags e2e ./...
	$(GO) vet -tags 'e2e seeds' ./cmd/hasse/
	$(GO) vet -tags realha ./...
	$(GO) vet -tags 'realha divergence' ./internal/realha/

unit:
	$(GO) test -race ./...

# Real clients against `hasse demo`: our own EventSource client (e2e/clients) in Node with
# eventsource@2 and @4 and in headless Chromium, Chromium's EventSource resuming and over HTTP/2,
# the dashboard (screenshots land in build/), Home Assistant's JS client against the simulator, and
# curl. Where the seed documents are found, the verbatim seed tier runs too (-tags seeds: their
# example clients, read from the documents at test time); where not, one line says so. -count=1:
# Go's test cache cannot see the Node scripts and browser these tests run, so it must not answer.
e2e:
	HASSE_SEEDS='$(SEEDS)' $(GO) test -race -count=1 -tags 'e2e$(if $(SEEDS), seeds)' -run 'Seed|Curl|Browser|HomeAssistantJS|EventSource' ./cmd/hasse/
ifeq ($(SEEDS),)
	@echo "e2e: the verbatim seed tier did not run: no seed documents in ../shared/seeds; run it with HASSE_SEEDS=<folder of the seed documents> make e2e"
endif

# A real `hasse serve` binary against a real Home Assistant 2024.3.3 (installed by make deps into a
# cached venv, scripts/install-ha.sh), started by the tests on loopback.
realha:
	$(GO) test -race -tags realha -count=1 -timeout 15m ./internal/hatest/ ./internal/realha/

# The real-Home-Assistant tests of divergences not fixed yet (internal/realha/diverge_*_test.go);
# each moves into the tier, its extra build tag dropped, with its fix.
realha-divergence:
	$(GO) test -race -tags 'realha divergence' -count=1 -timeout 15m -run '^TestDiverge' -v ./internal/realha/

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./internal/...

# Every fuzz target in the tree (found by scripts/fuzz.sh, so none is forgotten), FUZZTIME each;
# FUZZ=regexp picks some by name. New crashers land in testdata/fuzz and must be committed.
FUZZTIME ?= 1m
fuzz:
	GO=$(GO) FUZZTIME=$(FUZZTIME) scripts/fuzz.sh

# The proof that the suite does not flake under load: two `go test -race` at once (5 rounds),
# `make test` beside another run (3), then `make test` alone (5). ROUNDS=1 or PHASES=pair to try it.
test-stress:
	GO=$(GO) scripts/test-stress.sh
