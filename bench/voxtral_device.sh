#!/usr/bin/env bash
# One-shot Voxtral check on a GPU: bf16 parity against fp32, batched speed, load cost -> JSON in one folder.
#
#   here, once, where pip works:  bash bench/voxtral_device.sh --prepare   # transformers wheel into .whl/
#   on the GPU machine:           bash bench/voxtral_device.sh --out "$OUT/voxtral"
#
# The GPU machine's own python3 (CUDA PyTorch) runs it; a CPU-only .venv cannot travel there. The
# wheels in .whl/ (git-ignored) are installed into /tmp first: that machine's transformers may be
# older than pipeline/voxtral needs. Other arguments go to bench/voxtral_device.py (see --help).
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ "${1:-}" == "--prepare" ]]; then
    py=${PYTHON:-.venv/bin/python}
    [[ -x "$py" ]] || py=python3
    version=$("$py" -c 'import transformers; print(transformers.__version__)')
    "$py" -m pip download -q --no-deps --only-binary=:all: "transformers==$version" -d .whl
    ls -l .whl
    exit 0
fi

py=${PYTHON:-}
if [[ -z "$py" ]]; then
    py=python3
    if ! python3 -c 'import torch' 2>/dev/null && [[ -x .venv/bin/python ]]; then py=.venv/bin/python; fi
fi
if compgen -G ".whl/*.whl" >/dev/null; then
    "$py" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
        --target /tmp/voxtral_site .whl/*.whl
    export PYTHONPATH=/tmp/voxtral_site${PYTHONPATH:+:$PYTHONPATH}
fi
export PYTHONUNBUFFERED=1 PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH}
# a hard stop well inside the device tool's 10-minute call, whatever the script's own budget does
exec timeout -k 10 "${VOXTRAL_DEVICE_TIMEOUT:-540}" "$py" bench/voxtral_device.py "$@"
