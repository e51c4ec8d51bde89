#!/usr/bin/env bash
# One command from a fresh clone to an answer: install, index seeds/, ask an example question.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/qa index
.venv/bin/qa ask "${1:-How many STPs are there in England?}"
