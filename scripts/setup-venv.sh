#!/usr/bin/env bash
# Creates .venv with the Python packages the conformance tests use (official Alibaba Cloud OSS SDKs,
# pytest, confluent-kafka). Idempotent: a venv whose stamp matches the requirements is reused.
set -euo pipefail
cd "$(dirname "$0")/.."
req=scripts/requirements-test.txt
stamp=.venv/.requirements.sha256
want=$(sha256sum "$req" | cut -d' ' -f1)
if [ -x .venv/bin/python ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi
if ! python3 -m venv .venv 2>/dev/null; then
  apt-get install -y -qq python3-venv >/dev/null
  python3 -m venv .venv
fi
.venv/bin/python -m pip install -q --disable-pip-version-check -r "$req"
echo "$want" > "$stamp"
