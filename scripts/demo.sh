#!/usr/bin/env bash
# From nothing to an audiobook: set up .venv/, then produce the bundled sample with the embedded voice.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/audiobook produce books/the-lighthouse-keepers-cat.md --output output
