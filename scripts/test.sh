#!/usr/bin/env bash
# Sets everything up and runs the whole test suite (slow and PostgreSQL suites
# included; the tests start their own private PostgreSQL server), plus ruff.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
export HF_HUB_OFFLINE=1
.venv/bin/ruff check .
exec .venv/bin/python -m pytest "$@"
