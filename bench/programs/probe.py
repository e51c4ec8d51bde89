"""A `qa` command, then which of the heavy modules (comma-separated, first argument) it imported.

    python -m bench.programs.probe torch,faiss ask QUESTION --index DIR
"""

import sys

from qa.cli import main

HEAVY = sys.argv[1].split(",")
sys.argv[1:] = sys.argv[2:]
try:
    main(sys.argv[1:])
except SystemExit as exc:
    if exc.code:
        raise
print("MODULES=" + ",".join(m for m in HEAVY if m in sys.modules), file=sys.stderr)
