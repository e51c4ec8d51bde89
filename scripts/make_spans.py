"""Turn a draft of SQuAD-style questions into ``questions.jsonl`` with exact answer spans.

Used to lay out the made-up encyclopedia articles of ``eval/articles`` (see its README).
A draft line is ``{"question", "answerable", "answers", "evidence"}``: ``evidence`` is a
verbatim stretch of the article (the sentence the question was written from) holding
``answers[0]``; it must occur exactly once, so the span marks that sentence and not another
mention of the same words. Every accepted answer must occur in the article as written.

    python scripts/make_spans.py DRAFT.jsonl eval/articles/NAME   # writes NAME/questions.jsonl

Exits 1 with one line per problem, writing nothing, when a line does not check out.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def make(draft: Path, folder: Path) -> tuple[list[dict], list[str]]:
    docs = sorted((folder / "docs").glob("*.txt"))
    if len(docs) != 1:
        return [], [f"{folder}/docs must hold exactly one .txt article, found {len(docs)}"]
    text = docs[0].read_text(encoding="utf-8")
    source = f"docs/{docs[0].name}"
    out, problems = [], []
    for n, line in enumerate((ln for ln in draft.read_text(encoding="utf-8").splitlines() if ln.strip()), 1):
        d = json.loads(line)
        qid = f"{folder.name}-{n:02d}"
        q = str(d["question"]).strip()
        if not d["answerable"]:
            out.append({"id": qid, "question": q, "answerable": False, "answers": [], "source": None, "span": None})
            continue
        answers, evidence = [str(a) for a in d["answers"]], str(d.get("evidence", ""))
        where = text.find(evidence) if evidence else -1
        if not answers:
            problems.append(f"line {n}: answerable with no answer")
        elif where < 0:
            problems.append(f"line {n}: evidence not found verbatim in {source}: {evidence[:60]!r}")
        elif text.find(evidence, where + 1) >= 0:
            problems.append(f"line {n}: evidence occurs more than once; quote a longer stretch: {evidence[:60]!r}")
        elif answers[0] not in evidence:
            problems.append(f"line {n}: answers[0] {answers[0]!r} is not in its evidence")
        elif missing := [a for a in answers if a not in text]:
            problems.append(f"line {n}: accepted answers not in the article as written: {missing}")
        else:
            start = where + evidence.index(answers[0])
            out.append({"id": qid, "question": q, "answerable": True, "answers": answers, "source": source,
                        "span": [start, start + len(answers[0])]})
    return out, problems


def main() -> None:
    if len(sys.argv) != 3:
        sys.exit("usage: python scripts/make_spans.py DRAFT.jsonl FOLDER")
    items, problems = make(Path(sys.argv[1]), Path(sys.argv[2]))
    if problems:
        print("\n".join(problems), file=sys.stderr)
        sys.exit(1)
    target = Path(sys.argv[2]) / "questions.jsonl"
    target.write_text("".join(json.dumps(i, ensure_ascii=False) + "\n" for i in items), encoding="utf-8")
    n = sum(i["answerable"] for i in items)
    print(f"wrote {target}: {len(items)} questions, {n} answerable, {len(items) - n} unanswerable")


if __name__ == "__main__":
    main()
