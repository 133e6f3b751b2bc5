#!/usr/bin/env bash
# Start a local vLLM server with the 12 GB profile (or the one you pass), in the foreground.
set -euo pipefail

usage() {
    cat <<'USAGE'
usage: scripts/vllm_start.sh [OPTIONS] [VLLM_ARGS...]

Starts `vllm serve` with a2ia's 12 GB profile (Qwen2.5-7B-Instruct-AWQ, 16,384-token context,
tool calling on) and keeps it running until Ctrl-C. It runs `a2ia-cli vllm start --profile 12`,
the same code as `a2ia-cli --backend vllm --start-server`; every option passes through, and a
later --profile wins (--profile auto sizes the server to the GPU found).

Environment: A2IA_CLI (the a2ia-cli to run; default .venv/bin/a2ia-cli, else on PATH),
A2IA_VLLM_COMMAND (the vllm executable), A2IA_VLLM_URL (host and port, default :8000).

The options of a2ia-cli vllm start:
USAGE
}

root=$(cd "$(dirname "$0")/.." && pwd)
cli=${A2IA_CLI:-}
if [ -z "$cli" ]; then
    if [ -x "$root/.venv/bin/a2ia-cli" ]; then
        cli="$root/.venv/bin/a2ia-cli"
    elif command -v a2ia-cli >/dev/null 2>&1; then
        cli=$(command -v a2ia-cli)
    else
        echo "error: a2ia-cli not found" >&2
        echo "  fix: scripts/install.sh, then scripts/vllm_setup.sh" >&2
        exit 1
    fi
fi

for arg in "$@"; do
    case "$arg" in
        -h|--help) usage; "$cli" vllm start --help; exit 0 ;;
        --) break ;;
    esac
done
exec "$cli" vllm start --profile 12 "$@"
