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

test: lint dynamodb-local ## every test, DynamoDB Local included (fetched into .local/ once)
	$(GO) test -count=1 -race ./...

dynamodb-local: $(LOCAL_DIR)/dynamodb-local/DynamoDBLocal.jar ## fetch DynamoDB Local into .local/ (once)
$(LOCAL_DIR)/dynamodb-local/DynamoDBLocal.jar:
	bash infra/dynamolocal/fetch.sh "$(LOCAL_DIR)/dynamodb-local"

# Built, then exec'd by the recipe's shell, so Ctrl-C and SIGTERM reach the program itself.
run: ## the whole API on http://127.0.0.1:3000, no Docker (Linux/WSL2): FRESH=1 PORT= HOST= POOL= DATA_DIR= DYNAMODB_ENDPOINT= (docs/local.md)
	@$(GO) build -o $(LOCAL_DIR)/bin/run ./infra/cmd/run && exec $(LOCAL_DIR)/bin/run

sam-local: ## the API under SAM's emulator instead (needs Docker and the SAM CLI)
	sam build && sam local start-api
