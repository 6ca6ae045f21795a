# Quarry: make setup | build | run | test | bench (see README.md).
GO            ?= go
DATA          ?= ./data
ADDR          ?=
UNIT_TIMEOUT  ?= 15m
E2E_TIMEOUT   ?= 20m

# Packages that the domain (hub, modelcards) must never depend on (DESIGN.md §3.2).
FORBIDDEN_DEPS := github.com/gofiber github.com/aws database/sql modernc.org/sqlite github.com/valyala net/http
DOMAIN_PKGS    := ./hub ./modelcards
empty :=
space := $(empty) $(empty)
FORBIDDEN_RE   := ^($(subst $(space),|,$(FORBIDDEN_DEPS)))(/|$$)

.PHONY: setup build podman-image run test vet depcheck unit e2e bench clean

## setup: install what git does not carry (Debian packages, Node test clients); idempotent
setup:
	bash scripts/setup.sh

## build: compile bin/quarry
build:
	$(GO) build -o bin/quarry ./cmd/quarry

## podman-image: the trainer container image of bin/quarry (podman runner); rebuilt when the binary changes
podman-image: build
	bash scripts/podman-image.sh --binary bin/quarry

## run: set up, build and serve with data in $(DATA); creates the demo content (demo/amber-mines) on first start
run: setup build
	QUARRY_DEMO_CONTENT=1 bin/quarry serve --data $(DATA) $(if $(ADDR),--addr $(ADDR))

## test: vet, dependency-direction check, unit tests, end-to-end tests (Go + Node clients)
test: setup build podman-image vet depcheck cfnlint unit e2e

vet:
	$(GO) vet ./...

depcheck:
	@deps="$$($(GO) list -deps $(DOMAIN_PKGS))" || exit 1; \
	bad="$$(printf '%s\n' "$$deps" | grep -E '$(FORBIDDEN_RE)' || true)"; \
	if [ -n "$$bad" ]; then \
		echo "depcheck: $(DOMAIN_PKGS) must not depend on:"; echo "$$bad"; exit 1; \
	fi; \
	echo "depcheck: ok ($(DOMAIN_PKGS) import none of $(FORBIDDEN_DEPS))"

unit:
	$(GO) test -timeout $(UNIT_TIMEOUT) $$($(GO) list ./... | grep -v '^quarry/e2e$$')
	$(GO) test -tags awsenv ./infra/internal/awsconf

# e2e tests start bin/quarry; -count=1 because the binary is outside go test's cache key.
e2e: build
	QUARRY_BIN=$(CURDIR)/bin/quarry $(GO) test -count=1 -v -timeout $(E2E_TIMEOUT) ./e2e

## bench: performance figures of issue #2 (not part of test); results in bench/results/
bench: setup build
	bash bench/run.sh

## bench-auth: latency of GET /api/models/{id} with and without a token (issue #3); not part of test
.PHONY: bench-auth
bench-auth: build
	bash bench/auth.sh

## bench-train: wall time and peak memory of a 500-image 3-candidate project, feature throughput (issue #5); not part of test
.PHONY: bench-train
bench-train: build
	bash bench/train.sh

## bench-demo: demo latency, throughput vs transformers.js, memory (issue #4); not part of test
.PHONY: bench-demo
bench-demo: build
	bash bench/demo.sh

clean:
	rm -rf bin bench/results

## build-lambda: the Lambda artifacts of template.yaml: bin/lambda/{api,jobevents}/bootstrap (linux/arm64, no cgo;
## awsenv: AWS region and credentials from the environment only, as Lambda provides them)
.PHONY: build-lambda cfnlint lambda-image
build-lambda:
	CGO_ENABLED=0 GOOS=linux GOARCH=arm64 $(GO) build -trimpath -ldflags='-s -w' -tags lambda.norpc,noecs,awsenv -o bin/lambda/api/bootstrap ./functions/api
	CGO_ENABLED=0 GOOS=linux GOARCH=arm64 $(GO) build -trimpath -ldflags='-s -w' -tags lambda.norpc,awsenv -o bin/lambda/jobevents/bootstrap ./functions/jobevents
	@ls -l bin/lambda/api/bootstrap bin/lambda/jobevents/bootstrap | awk '{print "build-lambda: " $$9 ": " $$5 " bytes"}'

## lambda-image: the demo function's container image (the API with cgo + ONNX Runtime), FROM scratch with podman
lambda-image:
	bash scripts/lambda-image.sh

## cfnlint: validate template.yaml (cfn-lint; missing is an error under CI=true)
cfnlint:
	@if command -v cfn-lint >/dev/null 2>&1; then cfn-lint template.yaml && echo "cfnlint: ok"; \
	elif [ "$$CI" = true ]; then echo "cfnlint: cfn-lint is not installed"; exit 1; \
	else echo "cfnlint: cfn-lint not installed, skipped (pip install cfn-lint)"; fi
