# otelcol-mnm: the OpenTelemetry Collector side of MNM.
#   make run    the demo: a simulated Proxmox cluster, a stand-in controller and otelcol-mnm
#   make test   everything CI runs

GO      ?= go
TOOLS   := $(GO) tool -modfile=$(CURDIR)/internal/tools/go.mod
BIN     := _build/otelcol-mnm
# Prometheus 3 as MNM's stack runs it, for the end-to-end test (Debian ships 2.42).
PROMETHEUS3 := _build/prometheus3
# The one version of the binary (otelcol-mnm --version), the packages and CHANGELOG.md's check.
VERSION := $(shell cat $(CURDIR)/VERSION)
# make package ARCHS=amd64 for one
ARCHS   ?= amd64 arm64
PKGS    := ./...
# Every fuzz target runs briefly in `make test` (longer: make fuzz FUZZTIME=5m). A count rather than a
# duration: a duration can end with a spurious "context deadline exceeded" while the fuzzer minimises.
FUZZTIME ?= 30000x

.PHONY: all generate check-generate build lint test unit fuzz rules validate e2e bench run clean \
	version check-version package package-test controller-route prometheus3

all: build

## generate: regenerate mdatagen code and documentation of every component
generate:
	$(GO) generate ./receiver/... ./exporter/...

## check-generate: fail if `make generate` changes anything committed
check-generate: generate
	@if [ -n "$$(git status --porcelain -- receiver exporter)" ]; then \
		echo "make generate changed files; run it and commit the result:"; git status --porcelain -- receiver exporter; exit 1; fi

## build: build the otelcol-mnm Collector with ocb into _build/
build: $(BIN)

# ocb reads the environment variable "dist.version" as its manifest's dist.version.
$(BIN): VERSION builder-config.yaml go.mod go.sum $(shell find receiver exporter -name '*.go' -not -name '*_test.go' 2>/dev/null)
	env 'dist.version=$(VERSION)' $(TOOLS) builder --config builder-config.yaml

## version: print the version (the VERSION file)
version:
	@echo $(VERSION)

## check-version: VERSION is MAJOR.MINOR.PATCH[-pre] and CHANGELOG.md has its section, or Unreleased unless RELEASE=1
check-version:
	@packaging/check-version.sh $(VERSION) CHANGELOG.md

## package: the .deb and .tar.gz of every ARCHS (amd64 arm64) in _build/dist
package: check-version
	VERSION=$(VERSION) ARCHS='$(ARCHS)' GO=$(GO) packaging/package.sh

## package-test: build the amd64 .deb, then install, upgrade, remove and purge it here (root, Debian)
package-test:
	VERSION=$(VERSION) GO=$(GO) packaging/test-package.sh

## lint: gofmt, go vet and staticcheck
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)
	$(GO) vet -tags e2e ./test/e2e/
	$(TOOLS) staticcheck $(PKGS)

## unit: unit tests of every package (race detector on)
unit:
	$(GO) test -race -count=1 $(PKGS)

## fuzz: run every fuzz target for FUZZTIME
fuzz:
	@for pkg in $$($(GO) list $(PKGS)); do \
		for f in $$($(GO) test -list '^Fuzz' $$pkg 2>/dev/null | grep '^Fuzz'); do \
			echo "fuzz $$pkg $$f"; $(GO) test -run='^$$' -fuzz="^$$f$$" -fuzztime=$(FUZZTIME) -parallel=1 $$pkg || exit 1; \
		done; done

## rules: promtool checks and unit tests of the shipped Prometheus config and alert rules
rules:
	cd config/prometheus && promtool check config prometheus.yml && \
		promtool check rules rules/proxmox.rules.yml && promtool test rules rules/proxmox.rules.test.yml

## validate: otelcol-mnm validate on every shipped configuration
VALIDATE_ENV := PROXMOX_ENDPOINT=https://pve.example.com:8006 PROXMOX_TOKEN_ID='monitor@pve!mnm' PROXMOX_TOKEN_SECRET=x \
	MNM_CONTROLLER_ENDPOINT=http://127.0.0.1:8080 MNM_CONTROLLER_SECRET=x MNM_QUEUE_DIR=$(CURDIR)/_build/queue \
	MNM_REMOTE_WRITE_URL=http://127.0.0.1:9090/api/v1/write MNM_PROMETHEUS_OTLP_URL=http://127.0.0.1:9090/api/v1/otlp
validate: $(BIN)
	@$(BIN) components > _build/components.txt && for c in proxmox mnmendpoint otlp prometheus prometheus_remote_write debug otlp_grpc otlp_http \
		batch memory_limiter file_storage health_check pprof; do \
		grep -q "name: $$c$$" _build/components.txt || { echo "otelcol-mnm components lacks $$c"; exit 1; }; done
	$(VALIDATE_ENV) $(BIN) validate --config config/otelcol-mnm.yaml
	$(VALIDATE_ENV) $(BIN) validate --config config/demo.yaml
	$(VALIDATE_ENV) $(BIN) validate --config config/otelcol-mnm.yaml --config config/otelcol-mnm-remotewrite.yaml
	$(VALIDATE_ENV) $(BIN) validate --config config/otelcol-mnm.yaml --config config/otelcol-mnm-otlp.yaml

## controller-route: pytest of the MNM controller's upsert route (integrations/mnm-controller; Debian's
## python3-fastapi, python3-httpx, python3-pytest)
controller-route:
	integrations/mnm-controller/run-tests.sh

## prometheus3: build Prometheus v3.4.0 (module v0.304.0, pinned in internal/tools/prometheus) into _build/
prometheus3: $(PROMETHEUS3)

$(PROMETHEUS3): internal/tools/prometheus/go.mod internal/tools/prometheus/go.sum
	cd internal/tools/prometheus && $(GO) build -trimpath \
		-ldflags '-X github.com/prometheus/common/version.Version=3.4.0' \
		-o $(CURDIR)/$@ github.com/prometheus/prometheus/cmd/prometheus

## e2e: end-to-end test: otelcol-mnm, the simulator, a stand-in controller, Debian's Prometheus 2.42 and Prometheus 3
e2e: $(BIN) $(PROMETHEUS3)
	OTELCOL_MNM_BIN=$(CURDIR)/$(BIN) PROMETHEUS3_BIN=$(CURDIR)/$(PROMETHEUS3) \
		$(GO) test -count=1 -v -timeout 15m -tags e2e ./test/e2e/

## test: everything CI runs
test: check-version check-generate lint unit fuzz rules controller-route validate package-test e2e

## bench: the scale benchmarks of docs/performance.md
bench:
	$(GO) test -run='^$$' -bench=. -benchmem -benchtime=5x ./receiver/proxmoxreceiver/

## run: the demo (see README.md)
run: $(BIN)
	$(GO) run ./cmd/mnm-demo -collector $(BIN)

clean:
	rm -rf _build
