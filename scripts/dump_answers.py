"""Dump what the pipeline answers, for byte-identity checks across refactors.

For every question in eval/questions.jsonl: the answer object of ``qa ask --json``
without ``timings_ms``; then ``qa eval --json`` without timings.
Both go through the command line, so the dump does not depend on module layout.

    python scripts/dump_answers.py OUT.txt [--index index]
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

_TIMING_KEYS = ("ms", "latency", "seconds", "elapsed", "time", "started", "finished", "date", "at")


def _timing(key: str) -> bool:
    k = key.lower()
    return any(k == t or k.endswith("_" + t) or k.startswith(t + "_") for t in _TIMING_KEYS)


def _strip(value):
    """Drop timing fields anywhere in a JSON value (they differ run to run)."""
    if isinstance(value, dict):
        return {k: _strip(v) for k, v in value.items() if not _timing(k)}
    if isinstance(value, list):
        return [_strip(v) for v in value]
    return value


def main() -> None:
    out = Path(sys.argv[1])
    index = sys.argv[sys.argv.index("--index") + 1] if "--index" in sys.argv else "index"
    py = sys.executable
    questions = [json.loads(line)["question"] for line in Path("eval/questions.jsonl").read_text().splitlines()
                 if line.strip()]
    env_index = {"QA_INDEX_DIR": index}
    import os

    env = {**os.environ, **env_index}
    asked = subprocess.run([py, "-m", "qa.cli", "ask", "--json"], input="\n".join(questions) + "\n",
                           capture_output=True, text=True, env=env, check=True)
    lines = []
    for line in asked.stdout.splitlines():
        obj = json.loads(line)
        obj.pop("timings_ms", None)
        lines.append(json.dumps(obj, ensure_ascii=False, sort_keys=True))
    with tempfile.TemporaryDirectory() as tmp:
        ev = subprocess.run([py, "-m", "qa.cli", "eval", "--json", "--index", index, "--out", tmp,
                             "--no-plots", "-q"], capture_output=True, text=True, env=env)
        if ev.returncode not in (0, 1):
            sys.exit(f"qa eval failed ({ev.returncode}): {ev.stderr[-2000:]}")
        report = _strip(json.loads(ev.stdout))
    lines.append(json.dumps(report, ensure_ascii=False, sort_keys=True, indent=1))
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{len(questions)} answers and the eval report -> {out}")


if __name__ == "__main__":
    main()
