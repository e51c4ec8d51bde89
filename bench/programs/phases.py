"""Seconds per step of a cold `qa ask`: `python -m bench.programs.phases INDEX_DIR QUESTION`."""

import json
import sys
import time

# The imports are steps being timed, so they sit between the clock readings.
t = [time.perf_counter()]
import qa.cli  # noqa: E402, F401, I001

t.append(time.perf_counter())
from qa.config import Settings  # noqa: E402, I001
from qa.engine import Engine  # noqa: E402

t.append(time.perf_counter())
engine = Engine.load(Settings(index_dir=sys.argv[1]))
t.append(time.perf_counter())
engine.encode_query(sys.argv[2])
t.append(time.perf_counter())
engine.ask(sys.argv[2])
t.append(time.perf_counter())
names = ["import qa.cli", "import qa.engine (numpy, bm25s, models)", "Engine.load (index files)",
         "first query embedding (encoder start)", "ask"]
print(json.dumps({"encoder": engine.query_encoder.kind,
                  **{n: b - a for n, a, b in zip(names, t, t[1:], strict=False)}}))
