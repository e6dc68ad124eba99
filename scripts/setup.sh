#!/usr/bin/env bash
# Installs everything chartdrop needs on a fresh Debian machine: the Debian packages
# (espeak-ng: phonemes for dictation correction and the speech test audio; OCR, file-type
# detection, word lists; PostgreSQL and Chromium for the test suite) and a Python virtual
# environment in .venv with chartdrop and its dependencies.
# Safe to run again: it skips what is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

DEBIAN_PACKAGES=(tesseract-ocr tesseract-ocr-eng ghostscript libmagic1 espeak-ng sox fonts-dejavu-core postgresql chromium hunspell-en-med wamerican)
PYTHON=${PYTHON:-python3}

missing=()
for package in "${DEBIAN_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" \
        || missing+=("$package")
done
if ((${#missing[@]})); then
    echo "setup: installing Debian packages: ${missing[*]}"
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ ! -x .venv/bin/python ]; then
    echo "setup: creating .venv"
    "$PYTHON" -m venv .venv
fi
if ! .venv/bin/python -c "import chartdrop, pytest" 2>/dev/null \
    || [ pyproject.toml -nt .venv/.chartdrop-installed ]; then
    echo "setup: installing chartdrop into .venv"
    log=$(mktemp)
    if ! { .venv/bin/python -m pip install --upgrade pip \
           && .venv/bin/python -m pip install -e ".[test]"; } >"$log" 2>&1; then
        tail -n 40 "$log"; echo "setup: pip install failed (full log: $log)" >&2; exit 1
    fi
    touch .venv/.chartdrop-installed
fi
echo "setup: done"
