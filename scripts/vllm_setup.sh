#!/usr/bin/env bash
# Install vLLM for a2ia on a machine with an NVIDIA GPU. Run with --help for the options.
set -euo pipefail

usage() {
    cat <<'USAGE'
usage: scripts/vllm_setup.sh [--venv DIR] [--python PYTHON] [--skip-gpu-check] [--help]

Installs vLLM (a2ia's "vllm" extra) so that `a2ia-cli --backend vllm --start-server` and
scripts/vllm_start.sh can serve a model on this machine's GPU.

  1. checks Python (3.10 to 3.13), the NVIDIA driver (nvidia-smi) and the CUDA version it supports;
  2. creates the virtual environment, or uses the existing one (default: .venv, where
     scripts/install.sh puts a2ia, so a2ia finds `vllm` beside itself);
  3. installs a2ia with its vllm extra, and checks that `import vllm` works;
  4. prints the command that starts the server.

options:
  --venv DIR         virtual environment to create or use (default: .venv in the repository)
  --python PYTHON    interpreter for a new venv (default: python3)
  --skip-gpu-check   install even where nvidia-smi finds no GPU (e.g. building an image)
  -h, --help         show this help
USAGE
}

root=$(cd "$(dirname "$0")/.." && pwd)
venv="$root/.venv"
python=${PYTHON:-python3}
check_gpu=1
while [ $# -gt 0 ]; do
    case "$1" in
        --venv) venv=${2:?--venv needs a folder}; shift 2 ;;
        --python) python=${2:?--python needs an interpreter}; shift 2 ;;
        --skip-gpu-check) check_gpu=0; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "error: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done

fail() { echo "error: $1" >&2; [ -z "${2:-}" ] || echo "  fix: $2" >&2; exit 1; }

# 1. Python
command -v "$python" >/dev/null 2>&1 || fail "$python not found" "install Python 3.10-3.13, or pass --python"
version=$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
case "$version" in
    3.10|3.11|3.12|3.13) echo "ok       Python $version ($python)" ;;
    *) fail "Python $version: vLLM needs 3.10 to 3.13" "pass --python python3.12 (or another supported one)" ;;
esac

# 2. NVIDIA driver and CUDA
if [ "$check_gpu" = 1 ]; then
    command -v nvidia-smi >/dev/null 2>&1 \
        || fail "no NVIDIA driver: nvidia-smi is not installed" \
                "install the NVIDIA driver (vLLM needs a GPU); without one use --backend ollama or the embedded engine"
    gpus=$(nvidia-smi --query-gpu=name,memory.total --format=csv,noheader 2>&1) \
        || fail "nvidia-smi failed: $gpus" "check the driver (reboot after installing it)"
    [ -n "$gpus" ] || fail "nvidia-smi lists no GPU" "check the driver"
    cuda=$(nvidia-smi 2>/dev/null | sed -n 's/.*CUDA Version: *\([0-9.]*\).*/\1/p' | head -n 1)
    echo "ok       GPU: $(echo "$gpus" | paste -sd ';' -)"
    if [ -z "$cuda" ]; then
        echo "warning  the driver does not say which CUDA version it supports"
    elif [ "${cuda%%.*}" -lt 12 ]; then
        fail "the driver supports CUDA $cuda; vLLM's wheels need CUDA 12 or newer" "update the NVIDIA driver"
    else
        echo "ok       driver supports CUDA $cuda"
    fi
fi

# 3. The venv and the install
if [ -x "$venv/bin/python" ]; then
    echo "ok       using $venv"
else
    "$python" -m venv "$venv" || fail "cannot create $venv" "install python3-venv"
    echo "ok       created $venv"
fi
"$venv/bin/python" -m pip install --quiet --upgrade pip
"$venv/bin/python" -m pip install --quiet "${root}[vllm]" || fail "pip could not install vLLM" "see pip's message above"
"$venv/bin/python" -c 'import vllm; print("ok       vLLM", vllm.__version__)' \
    || fail "vLLM installed but does not import" "see the error above (a CUDA/PyTorch mismatch is the usual cause)"

# 4. Next
cat <<NEXT

vLLM is installed. Start a server sized to your GPU:
  $root/scripts/vllm_start.sh
or let a2ia start it when it needs it:
  $venv/bin/a2ia-cli --backend vllm --start-server
NEXT
