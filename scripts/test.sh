#!/usr/bin/env bash
# Installs fabctl with its development tools into .venv, then runs every check and every test:
# ruff, mypy (strict on domain and application), the import-linter contracts, and pytest.
set -euo pipefail
cd "$(dirname "$0")/.."

python="${PYTHON:-python3}"
[ -x .venv/bin/python ] || "$python" -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[dev]' --config-settings editable_mode=strict

echo "== ruff"; .venv/bin/ruff check src tests && .venv/bin/ruff format --check src tests
echo "== mypy"; .venv/bin/mypy -p fabctl
echo "== import-linter"; .venv/bin/lint-imports
# Four workers on two cores: most of the suite's time is spent waiting on local servers and
# subprocesses, not computing (docs/adr/0023-tests-on-several-workers.md).
echo "== pytest"; .venv/bin/pytest -n 4 "$@"  # a later -n N in "$@" wins
