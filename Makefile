# make test: everything the test suite needs is installed if missing, then vet, the unit and
# integration tests with the race detector, and the end-to-end tests with real clients.

GO ?= go

.PHONY: test deps vet unit e2e bench fuzz build

test: deps vet unit e2e

build:
	$(GO) build -o bin/hasse ./cmd/hasse

deps:
	@scripts/install-deps.sh

vet:
	$(GO) vet ./...
	$(GO) vet -tags e2e ./...

unit:
	$(GO) test -race ./...

# Our own EventSource client (e2e/clients) in Node with eventsource@2 and @4 and in headless
# Chromium, the seed documents' example clients (Node with eventsource@2 and @4, and their browser
# snippets in headless Chromium) and curl against `hasse demo`; a screenshot lands in build/.
e2e:
	$(GO) test -race -tags e2e -run 'Seed|Curl|Browser|HomeAssistantJS|EventSource' ./cmd/hasse/

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./internal/...

# A minute of each fuzz target; new crashers land in testdata/fuzz and must be committed.
fuzz:
	$(GO) test -run '^$$' -fuzz FuzzParse -fuzztime 1m ./internal/filter
	$(GO) test -run '^$$' -fuzz FuzzGlob -fuzztime 1m ./internal/filter
	$(GO) test -run '^$$' -fuzz FuzzAppendMessage -fuzztime 1m ./internal/format
	$(GO) test -run '^$$' -fuzz FuzzNewFrame -fuzztime 1m ./internal/format
	$(GO) test -run '^$$' -fuzz FuzzNormalize -fuzztime 1m ./internal/hass
	$(GO) test -run '^$$' -fuzz FuzzFrame -fuzztime 1m ./internal/hass
	$(GO) test -run '^$$' -fuzz FuzzValidate -fuzztime 1m ./internal/hass
	$(GO) test -run '^$$' -fuzz FuzzFromRequest -fuzztime 1m ./internal/auth
