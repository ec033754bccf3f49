#!/usr/bin/env bash
# What test/server/tests-runner.test.ts needs beyond Node: pytest for python3 (the repair layer runs the
# user's pytest tests; its tests skip, saying why, without it). Debian's python3-pytest when python3 has
# no pytest; nothing else (localization traces lines with sys.settrace, no coverage package needed).
set -euo pipefail
if python3 -c 'import pytest' 2>/dev/null; then
  echo "pytest: $(python3 -m pytest --version 2>&1 | head -1) (already installed)"
  exit 0
fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
  echo "pytest is missing for python3: install it (apt-get install python3-pytest, or pip install pytest)" >&2
  exit 1
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-pytest >/dev/null
python3 -m pytest --version
