"""The on-disk store (qa/index/store.py): generations swapped atomically, clear errors."""

from __future__ import annotations

import json

import pytest

from qa.errors import IndexCorruptError, IndexMismatchError, IndexMissingError
from qa.index.schema import FORMAT_VERSION, DocumentEntry, Manifest
from qa.index.store import IndexStore, read_jsonl, write_jsonl


def _manifest(**changes) -> Manifest:
    values = dict(format_version=FORMAT_VERSION, model="m", dim=4, encoding="e", chunk_tokens=100,
                  chunk_overlap=10, built_at="2026-01-01T00:00:00Z", passages=1, dense_index="flat",
                  documents={"d": DocumentEntry("d", "d.txt", "D", "0" * 64, passages=1)})
    return Manifest(**{**values, **changes})


def test_missing_index_says_how_to_build_it(tmp_path):
    with pytest.raises(IndexMissingError, match="qa index"):
        IndexStore(tmp_path).current()


def test_current_names_something_that_is_not_a_generation(tmp_path):
    (tmp_path / "CURRENT").write_text("elsewhere\n")
    with pytest.raises(IndexCorruptError, match="not an index generation"):
        IndexStore(tmp_path).current()


def test_a_new_generation_becomes_current_only_when_complete(tmp_path):
    store = IndexStore(tmp_path)
    with store.new_generation() as gen:
        (gen / "manifest.json").write_text(json.dumps(_manifest().to_dict()))
        with pytest.raises(IndexMissingError):
            store.current()  # nothing is live while the generation is written
    assert store.current().name.startswith("gen-")
    assert store.read_manifest() == _manifest()


def test_a_failed_build_leaves_the_previous_generation(tmp_path):
    store = IndexStore(tmp_path)
    with store.new_generation() as gen:
        (gen / "manifest.json").write_text(json.dumps(_manifest().to_dict()))
    first = store.current()
    with pytest.raises(RuntimeError), store.new_generation():
        raise RuntimeError("disk full")
    assert store.current() == first


def test_mismatched_model_is_an_error_that_says_rebuild(tmp_path):
    with pytest.raises(IndexMismatchError, match="--rebuild"):
        IndexStore(tmp_path).check_compatible(_manifest(), "another-model", "e")


def test_jsonl_round_trip_keeps_unicode(tmp_path):
    rows = [{"text": "café “quoted”"}, {"n": 2}]
    write_jsonl(tmp_path / "x.jsonl", rows)
    assert list(read_jsonl(tmp_path / "x.jsonl")) == rows
    assert "café" in (tmp_path / "x.jsonl").read_text(encoding="utf-8")
