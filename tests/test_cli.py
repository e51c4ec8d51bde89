"""The `qa` command line, run as a real subprocess against a real index."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def qa(*args: str, stdin: str | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "qa.cli", *args],
        input=stdin, capture_output=True, text=True, cwd=ROOT, timeout=300,
        env={**os.environ, **(env or {})},
    )


@pytest.fixture(scope="module")
def index_args(seed_settings, seed_index) -> list[str]:
    return ["--index", str(seed_settings.index_dir)]


def test_ask_json_is_the_answer_contract(index_args):
    out = qa("ask", "What is an accountable care organisation?", "--json", *index_args)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert set(data) == {"question", "answer", "abstained", "evidence", "read_as", "citations", "timings_ms", "explanation"}
    assert data["explanation"] is None  # only `qa explain` (or explain=1 on the API) fills it
    assert data["citations"], data
    assert set(data["citations"][0]) == {
        "n", "doc_id", "source", "title", "section", "text", "start", "end",
        "quote", "quote_start", "quote_end", "score", "offsets_in", "page",
    }
    assert (data["citations"][0]["offsets_in"], data["citations"][0]["page"]) == ("file", None)  # .txt seeds


def test_ask_human_output_lists_sources(index_args):
    out = qa("ask", "What is an accountable care organisation?", *index_args)
    assert out.returncode == 0, out.stderr
    assert "Sources:" in out.stdout and "[1]" in out.stdout and "seeds/" in out.stdout


def test_batch_mode_reads_stdin_and_writes_one_json_per_line(index_args):
    out = qa("ask", "--json", *index_args, stdin="What is an STP?\n\nWhat is an MCP?\n" + "x" * 3000 + "\n")
    lines = [json.loads(line) for line in out.stdout.splitlines()]
    assert len(lines) == 3
    assert lines[0]["question"] == "What is an STP?" and "answer" in lines[0]
    assert "limit is 2000" in lines[2]["error"]["message"]
    assert out.returncode == 1  # one line failed; the others were answered


@pytest.mark.parametrize("question", ["", "   "])
def test_empty_question_is_a_clear_error(index_args, question):
    out = qa("ask", question, *index_args)
    assert out.returncode == 2
    assert out.stdout == ""
    assert "error: question is empty" in out.stderr
    assert "Traceback" not in out.stderr


def test_missing_index_tells_what_to_run(tmp_path):
    out = qa("ask", "What is an STP?", "--index", str(tmp_path / "none"))
    assert out.returncode == 2
    assert "no index found" in out.stderr and "qa index" in out.stderr


def test_search_json(index_args):
    out = qa("search", "sustainability and transformation partnerships", "--json", "-k", "3", *index_args)
    data = json.loads(out.stdout)
    assert len(data["hits"]) == 3 and data["hits"][0]["rank"] == 1


def test_index_reports_non_utf8_files_and_changes_nothing(tmp_path):
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "latin1.txt").write_bytes("Café society and the NHS".encode("latin-1"))
    out = qa("index", "--seeds", str(seeds), "--index", str(tmp_path / "index"), "-q")
    assert out.returncode == 2  # the only file is unreadable: nothing to index
    assert "latin1.txt is not valid UTF-8" in out.stderr and "iconv -f windows-1252" in out.stderr
    assert "Traceback" not in out.stderr
    assert not (tmp_path / "index" / "CURRENT").exists()


def test_index_skips_a_bad_file_and_strict_stops_on_it(tmp_path):
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "good.txt").write_text("Tidal power\n\nTidal power turns the energy of tides into electricity.\n",
                                    encoding="utf-8")
    (seeds / "latin1.txt").write_bytes("Café society".encode("latin-1"))
    args = ("index", "--seeds", str(seeds), "--index", str(tmp_path / "index"), "-q")
    strict = qa(*args, "--strict")
    assert strict.returncode == 2 and "--strict" in strict.stderr and "latin1.txt" in strict.stderr
    assert not (tmp_path / "index" / "CURRENT").exists()
    out = qa(*args, "--json")
    assert out.returncode == 0, out.stderr
    assert [s["source"].endswith("latin1.txt") for s in json.loads(out.stdout)["skipped"]] == [True]
    lines = [ln for ln in out.stderr.splitlines() if "latin1.txt" in ln]
    assert len(lines) == 1 and lines[0].startswith("skipped ") and "iconv" in lines[0]
    assert "1 file(s) skipped, 1 read" in out.stderr


def test_index_up_to_date_json(seed_settings, seed_index):
    out = qa("index", "--seeds", str(seed_settings.seeds_dir), "--index", str(seed_settings.index_dir),
             "--json", "-q")
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert report["up_to_date"] is True and report["embedded_passages"] == 0


def test_a_question_with_non_utf8_bytes_is_a_clean_error(index_args):
    out = subprocess.run([sys.executable, "-m", "qa.cli", "ask", *index_args, b"caf\xe9 prices?"],
                         capture_output=True, cwd=ROOT, timeout=300)
    err = out.stderr.decode("utf-8", "replace")
    assert out.returncode == 2 and "Traceback" not in err
    assert "not valid UTF-8 (byte 0xe9 at position 3)" in err
    batch = subprocess.run([sys.executable, "-m", "qa.cli", "ask", "--json", *index_args],
                           input=b"caf\xe9?\n", capture_output=True, cwd=ROOT, timeout=300)
    assert "Traceback" not in batch.stderr.decode("utf-8", "replace")
    assert "not valid UTF-8" in json.loads(batch.stdout)["error"]["message"]


def test_a_question_without_words_is_rejected(index_args):
    out = qa("ask", *index_args, "???")
    assert out.returncode == 2 and "has no words" in out.stderr and out.stdout == ""


def test_the_readme_quickstart_shows_what_qa_answers(index_args):
    """The README's example output is qa's real output for its question (kept true, not hand-edited)."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    prompt = '$ .venv/bin/qa ask "How many STPs are there in England?"\n'
    assert prompt in readme
    shown = readme.split(prompt, 1)[1].split("```", 1)[0]
    out = qa("ask", "How many STPs are there in England?", *index_args)
    assert out.returncode == 0, out.stderr
    assert out.stdout == shown
