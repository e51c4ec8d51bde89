"""Ingest benchmark: load + clean + chunk time and peak memory on huge inputs.

    python bench/ingest.py [--sizes one-line-1mb,paragraphs-20mb] [--out bench/ingest.json]

Each case runs in a fresh child process (so peak RSS is its own): a 1 MB text file that
is one long line, and a 20 MB file of paragraphs.  Embedding is not included (it is
linear in passages and measured by `qa bench`); the case reports how many passages a
build would embed.  The figures go into bench/RESULTS.md by hand, with this command.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

_PROSE = (
    "the report says that local services agreed a shared budget in 2019 and utf8 base64 "
    "files were sent to each partner while costs rose by 4.5% over three years as planned"
)
_WORDS = _PROSE.split()

CASES = {
    "one-line-1mb": (1_000_000, False),
    "one-line-185kb": (185_000, False),
    "paragraphs-20mb": (20_000_000, True),
}


def make_text(size: int, paragraphs: bool) -> str:
    out, n, i = [], 0, 0
    while n < size:
        sentence = " ".join(_WORDS[(i + k) % len(_WORDS)] for k in range(17)).capitalize() + ". "
        if paragraphs and i % 6 == 5:
            sentence += "\n\n"
        out.append(sentence)
        n += len(sentence)
        i += 1
    return "".join(out)[:size]


def run_case(path: Path) -> dict:
    """In the child: load, clean and chunk one file; report seconds and peak RSS."""
    from qa.config import Settings
    from qa.index.embedding import WordPieceCounter, model_max_tokens
    from qa.ingest.chunk import Chunker
    from qa.ingest.clean import clean_document
    from qa.ingest.readers import load_file

    settings = Settings()
    counter = WordPieceCounter(settings.model)
    chunker = Chunker(settings.encoding, settings.chunk_tokens, settings.chunk_overlap, counter.count,
                      model_max_tokens(settings.model), counter.starts)
    chunker.tokens("warm up")
    counter.count(["warm up"])
    t0 = time.perf_counter()
    raw = load_file(path)
    t1 = time.perf_counter()
    doc = clean_document(raw)
    t2 = time.perf_counter()
    chunks = chunker.chunk(doc)
    t3 = time.perf_counter()
    return {
        "bytes": path.stat().st_size, "load_s": round(t1 - t0, 2), "clean_s": round(t2 - t1, 2),
        "chunk_s": round(t3 - t2, 2), "total_s": round(t3 - t0, 2), "passages": len(chunks),
        "title_chars": len(doc.title),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", default="one-line-1mb,paragraphs-20mb")
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_case(args.child)))
        return
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.cases.split(","):
            size, paragraphs = CASES[name]
            path = Path(tmp) / f"{name}.txt"
            path.write_text(make_text(size, paragraphs), encoding="utf-8")
            proc = subprocess.run([sys.executable, __file__, "--child", str(path)], capture_output=True,
                                  text=True, check=True)
            results[name] = json.loads(proc.stdout.strip().splitlines()[-1])
            print(name, results[name], flush=True)
    if args.out:
        args.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
