#!/usr/bin/env bash
# Installs the real third-party MCP servers the tests connect to, apart from a2ia's own venv
# (as a person would run them with uvx / npx): .mcp-servers/venv (PyPI: mcp-server-time,
# mcp-server-git) and .mcp-servers/npm (@modelcontextprotocol/server-everything, if npm exists).
set -euo pipefail
cd "$(dirname "$0")/.."
dir=.mcp-servers
python=${PYTHON:-python3}
[ -x "$dir/venv/bin/python" ] || "$python" -m venv "$dir/venv"
"$dir/venv/bin/python" -m pip install --quiet --upgrade "mcp-server-time" "mcp-server-git"
if command -v npm >/dev/null 2>&1; then
    npm install --silent --no-audit --no-fund --prefix "$dir/npm" @modelcontextprotocol/server-everything >/dev/null 2>&1 \
        || echo "note: npm could not install @modelcontextprotocol/server-everything; its tests will skip"
else
    echo "note: npm not found; the server-everything tests will skip"
fi
