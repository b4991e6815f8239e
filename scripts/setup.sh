#!/usr/bin/env bash
# Create .venv/ in the repository root and install the project with everything it needs.
# Idempotent: a second run only checks that everything is there.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT
pip_install() {
  # Quiet unless it fails; some machines' pip configs print harmless 'Location ... is ignored' lines.
  if ! .venv/bin/python -m pip install --disable-pip-version-check -q "$@" >"$log" 2>&1; then
    grep -v "^WARNING: Location" "$log" >&2
    echo "setup: pip install $* failed" >&2
    exit 1
  fi
}

# torch first, pinned: the CPU build. An unpinned torch (asked for by transformers) pulls a
# multi-GB CUDA build.
pip_install "torch==2.13.0"
pip_install -e ".[test,voxtral]"
echo "setup: .venv ready"
