#!/usr/bin/env bash
# The test command: installs everything the tests need into ./.venv, then runs the suite.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install.sh --dev
scripts/mcp_test_servers.sh
.venv/bin/python -m pytest "$@"
