# kafka-oss-sink: the two commands most people need are `make demo` and `make test`.
SHELL := /bin/bash
SWIFT ?= swift
BIN := .build/debug/kafka-oss-sink

.PHONY: deps venv build test demo bench chaos clean

## deps: install the Debian packages the build needs (librdkafka-dev, pkg-config, zstd, ...) when missing
deps:
	@bash scripts/install-deps.sh

## venv: the Python environment with the official Alibaba Cloud OSS SDKs for conformance tests
venv: deps
	@bash scripts/setup-venv.sh

## build: debug build of the CLI
build: deps
	$(SWIFT) build

## test: everything CI runs, from a fresh Debian machine: deps, venv, Swift tests, SDK conformance tests
test: deps venv
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build
	.venv/bin/pytest -q Tests/conformance deploy/check_deploy.py

## demo: the whole local stack in one command (mock Kafka, OSS emulator, sample events, the sink)
demo: build
	$(BIN) demo

## bench: the benchmark suite (release build)
bench: deps
	$(SWIFT) build -c release
	.build/release/kafka-oss-sink bench

clean:
	rm -rf .build .venv
