# The front door. SAM's BuildMethod: makefile calls the build-<LogicalId> targets with
# ARTIFACTS_DIR set; `make run` builds through the same targets (one build recipe).
SHELL := /bin/bash
GO ?= go
GOARCH ?= arm64
ARTIFACTS_DIR ?= $(CURDIR)/.local/build
LOCAL_DIR := $(CURDIR)/.local
export GOFLAGS := -buildvcs=false

FUNCTIONS := users create refresh verify

.PHONY: help build test lint run sam-local deploy dynamodb-local $(addprefix build-,UsersFunction CreateFunction RefreshFunction VerifyFunction)

help: ## list the targets
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-22s %s\n", $$1, $$2}'

# build-function builds one function package into $(ARTIFACTS_DIR)/bootstrap.
define build-function
	mkdir -p $(ARTIFACTS_DIR)
	CGO_ENABLED=0 GOOS=linux GOARCH=$(GOARCH) $(GO) build -tags lambda.norpc -trimpath -ldflags='-s -w' -o $(ARTIFACTS_DIR)/bootstrap ./functions/$(1)
endef

build-UsersFunction: ## build the users function (SAM target)
	$(call build-function,users)
build-CreateFunction: ## build the create function (SAM target)
	$(call build-function,create)
build-RefreshFunction: ## build the refresh function (SAM target)
	$(call build-function,refresh)
build-VerifyFunction: ## build the verify function (SAM target)
	$(call build-function,verify)

lint: ## gofmt and go vet
	@out="$$(gofmt -l .)"; if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

test: lint dynamodb-local chromium ## every test, DynamoDB Local included (fetched into .local/ once)
	$(GO) test -count=1 -race ./...

dynamodb-local: $(LOCAL_DIR)/dynamodb-local/DynamoDBLocal.jar ## fetch DynamoDB Local into .local/ (once)
$(LOCAL_DIR)/dynamodb-local/DynamoDBLocal.jar:
	bash infra/dynamolocal/fetch.sh "$(LOCAL_DIR)/dynamodb-local"

# The TypeScript client's browser test (infra/clienttest) drives Debian's chromium.
.PHONY: chromium
chromium: ## install Debian's chromium when missing (apt-get, needs root), for the client's browser test
	@command -v chromium >/dev/null || (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium) || { echo "make chromium: could not install Debian's chromium (apt-get install chromium, as root); the client's browser test needs it" >&2; exit 1; }

# Built, then exec'd by the recipe's shell, so Ctrl-C and SIGTERM reach the program itself.
run: ## the whole API on http://127.0.0.1:3000, no Docker (Linux/WSL2): FRESH=1 PORT= HOST= POOL= DATA_DIR= DYNAMODB_ENDPOINT= (docs/local.md)
	@$(GO) build -o $(LOCAL_DIR)/bin/run ./infra/cmd/run && exec $(LOCAL_DIR)/bin/run

sam-local: ## the API under SAM's emulator instead (needs Docker and the SAM CLI)
	sam build && sam local start-api

# deploy runs guided (asking for the stack's parameters and saving the answers into
# samconfig.toml) when samconfig.toml has no region saved for CONFIG_ENV yet, i.e. the
# first time; GUIDED=1 forces the questions, GUIDED=0 skips them (CI). DEPLOY_FLAGS go to
# sam deploy as they are, e.g. --no-confirm-changeset.
CONFIG_ENV ?= default
deploy: ## sam build && sam deploy to AWS: GUIDED=1|0 CONFIG_ENV=default DEPLOY_FLAGS= (docs/operations.md)
	@command -v sam >/dev/null || { echo "make deploy needs the AWS SAM CLI (sam) and AWS credentials"; exit 1; }
	@guided="$(GUIDED)"; \
	if [ -z "$$guided" ]; then \
		guided=1; \
		awk -v sec="[$(CONFIG_ENV).deploy.parameters]" '$$0 == sec { on = 1; next } /^\[/ { on = 0 } on && /^region *=/ { found = 1 } END { exit !found }' samconfig.toml && guided=0; \
	fi; \
	flags="$(DEPLOY_FLAGS)"; [ "$$guided" = 1 ] && flags="--guided $$flags"; \
	echo "sam build --config-env $(CONFIG_ENV) && sam deploy --config-env $(CONFIG_ENV) $$flags"; \
	sam build --config-env $(CONFIG_ENV) && sam deploy --config-env $(CONFIG_ENV) $$flags

# Built, then exec'd like run. BASE_URL=http://host:port measures that server end to end only.
.PHONY: bench
bench: dynamodb-local ## speed, cold starts, sizes, DynamoDB round trips and cost as markdown (docs/performance.md): ARGS=-json BENCH_JSON=1 BASE_URL=
	@$(GO) build -o $(LOCAL_DIR)/bin/bench ./infra/cmd/bench && exec $(LOCAL_DIR)/bin/bench $(ARGS)
