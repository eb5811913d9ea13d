# kafka-oss-sink: the two commands most people need are `make demo` and `make test`.
SHELL := /bin/bash
SWIFT ?= swift
BIN := .build/debug/kafka-oss-sink

.PHONY: deps venv build test demo bench chaos chaos-short clean

## deps: install the Debian packages the build needs (librdkafka-dev, pkg-config, zstd, ...) when missing
deps:
	@bash scripts/install-deps.sh

## venv: the Python environment with the official Alibaba Cloud OSS SDKs for conformance tests
venv: deps
	@bash scripts/setup-venv.sh

## build: debug build of the CLI
build: deps
	$(SWIFT) build

## test: everything CI runs, from a fresh Debian machine: deps, venv, Swift tests, SDK conformance tests.
## Swift suites run one at a time: the integration suites start real servers, and on a 2-core machine
## running them side by side only trades determinism for nothing.
test: deps venv
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build --no-parallel
	.venv/bin/pytest -q Tests/conformance deploy/check_deploy.py
	$(MAKE) chaos-short

## demo: the whole local stack in one command (mock Kafka, OSS emulator, sample events, the sink)
demo: build
	$(BIN) demo

## bench: the benchmark suite, its own executable outside the product (release build in .build-release, so
##        debug builds are not invalidated);
##        prints a table and writes bench-results.json; BENCH_ARGS passes options, e.g. BENCH_ARGS="--only latency"
bench: deps
	$(SWIFT) build -c release --scratch-path .build-release --product kafka-oss-sink-bench
	.build-release/release/kafka-oss-sink-bench $(BENCH_ARGS)

## chaos-short: the CI chaos run (debug binary, ~2 minutes): SIGKILLs, lost OSS responses, 503s, Kafka faults, with
##              small segments sealed on rollover (every finished segment must end sealed at its committed length)
chaos-short: venv
	$(SWIFT) build
	.venv/bin/pytest -q Tests/chaos
	.venv/bin/python scripts/chaos.py --short --retry-void 2 --binary $(BIN) $(CHAOS_ARGS)

## chaos: the long chaos run on the release binary; CHAOS_SEED, CHAOS_DURATION (s), CHAOS_KILLS, CHAOS_RUNS, CHAOS_ARGS;
## CHAOS_BUILD=debug runs it on the debug binary instead; a run the mock cluster crashes is void and run again with
## the next seed (twice at most)
chaos: venv
	if [ "$${CHAOS_BUILD:-release}" = debug ]; then $(SWIFT) build && bin=$(BIN); \
	else $(SWIFT) build -c release --scratch-path .build-release --product kafka-oss-sink && bin=.build-release/release/kafka-oss-sink; fi && \
	.venv/bin/python scripts/chaos.py --binary $$bin \
		--duration $${CHAOS_DURATION:-300} --kills $${CHAOS_KILLS:-12} --runs $${CHAOS_RUNS:-1} \
		--retry-void 2 $${CHAOS_SEED:+--seed $$CHAOS_SEED} $(CHAOS_ARGS)

clean:
	rm -rf .build .venv
