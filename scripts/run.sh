#!/usr/bin/env bash
# Sets everything up, brings the database schema up to date, and watches ./inbox
# with the embedded defaults (SQLite in ./var, the bundled Whisper tiny.en model).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
export HF_HUB_OFFLINE=1
.venv/bin/chartdrop db upgrade
# The watcher and the review desk (http://127.0.0.1:8750/) in one process.
exec .venv/bin/chartdrop watch --serve "$@"
