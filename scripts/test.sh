#!/usr/bin/env bash
# Run the test suite (lint, unit, API, and browser tests). Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
if [ ! -x /usr/bin/chromium ] && [ "$(id -u)" = "0" ]; then
    # Debian's Chromium for the widget tests; Playwright's own browser download fails offline.
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
.venv/bin/ruff check qa tests bench
# Answer-quality gate: floors in eval/gate.json and no regression past eval/baseline.json.
.venv/bin/qa eval --gate
# The same gate on the PostgreSQL backend, on the server the README starts (qa db, idempotent;
# vectors come from the cache the run above filled, so nothing is embedded twice).
if ! .venv/bin/qa db status >/dev/null; then
    .venv/bin/qa db start >/dev/null
    trap '.venv/bin/qa db stop >/dev/null || true' EXIT   # only a server this run started
fi
QA_BACKEND=postgres .venv/bin/qa eval --gate --quiet --out var/eval-postgres
# The same on a public SQuAD 2.0 article nobody here wrote (floors in eval/gate.json's "squad").
.venv/bin/qa eval --squad eval/squad2 --gate --no-plots -q
# And on the made-up collections of the kinds users bring, each its own corpus ("squad:usercorpora").
.venv/bin/qa eval --squad eval/usercorpora --gate --no-plots -q
# And on made-up encyclopedia articles shaped like SQuAD's, each its own corpus ("squad:articles").
.venv/bin/qa eval --squad eval/articles --gate --no-plots -q
.venv/bin/python -m pytest "$@"
