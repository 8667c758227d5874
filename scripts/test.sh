#!/usr/bin/env bash
# Installs fabctl with its development tools into .venv, then runs every check and every test:
# ruff, mypy (strict on domain and application), the import-linter contracts, and pytest.
set -euo pipefail
cd "$(dirname "$0")/.."

python="${PYTHON:-python3}"
[ -x .venv/bin/python ] || "$python" -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[dev]' --config-settings editable_mode=strict

# Azurite (Microsoft's Azure Storage emulator) for the Azure state store's tests: Node.js from apt
# when the machine has none, Azurite from npm into .tools/ (tests/support/azurite_process.py).
AZURITE_VERSION=3.37.0
if ! command -v npm >/dev/null 2>&1; then
    echo "== installing Node.js (apt-get)"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
fi
if [ "$(cat .tools/azurite.version 2>/dev/null)" != "$AZURITE_VERSION" ]; then
    echo "== installing Azurite $AZURITE_VERSION (npm)"
    mkdir -p .tools
    npm install --prefix .tools --no-audit --no-fund --loglevel=error "azurite@$AZURITE_VERSION" >/dev/null
    echo "$AZURITE_VERSION" > .tools/azurite.version
fi

echo "== ruff"; .venv/bin/ruff check src tests && .venv/bin/ruff format --check src tests
echo "== mypy"; .venv/bin/mypy -p fabctl
echo "== import-linter"; .venv/bin/lint-imports
# Four workers on two cores: most of the suite's time is spent waiting on local servers and
# subprocesses, not computing (docs/adr/0023-tests-on-several-workers.md).
echo "== pytest"; .venv/bin/pytest -n 4 "$@"  # a later -n N in "$@" wins
