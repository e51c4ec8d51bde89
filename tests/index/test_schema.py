"""The stored records (qa/index/schema.py): one serialisation for the files and the database."""

from __future__ import annotations

from qa.index.schema import DocumentRecord, PassageRecord, SentenceRecord
from qa.models import Segment


def test_sentence_round_trips_through_jsonl_and_postgres_rows():
    s = SentenceRecord(7, "doc", "comments", "Nice work.", 10, 20, author="A Reader", byline=False,
                       list_item=True, code=False, heading=True)
    assert SentenceRecord.from_row(7, s.to_row()) == s
    assert SentenceRecord.from_pg(7, s.to_pg()) == s
    assert len(s.to_pg()) == len(SentenceRecord.PG_COLUMNS) == len(SentenceRecord.PG_TYPES)


def test_old_sentence_rows_read_with_defaults():
    row = {"doc_id": "doc", "section": "body", "text": "Hi.", "start": 0, "end": 3}
    assert SentenceRecord.from_row(0, row) == SentenceRecord(0, "doc", "body", "Hi.", 0, 3)


def test_passage_round_trip():
    p = PassageRecord(3, "doc", "body", 0, 40, "Two sentences. Of text.", (5, 6))
    assert PassageRecord.from_row(3, p.to_row()) == p


def test_document_round_trip_and_its_source():
    d = DocumentRecord("doc", "a/doc.pdf", "Doc", "page one\n\npage two", (Segment(start=0, end=8, section="body"),),
                       ("a/copy.pdf",), "extracted", (0, 10))
    again = DocumentRecord.from_row(d.to_row())
    assert again == d
    src = again.source_document()
    assert (src.doc_id, src.duplicates, src.offsets_in, src.segments[0].end) == ("doc", ["a/copy.pdf"], "extracted", 8)
    assert (d.page_of(0), d.page_of(9), d.page_of(12)) == (1, 1, 2)


def test_documents_written_before_pages_and_duplicates_read_with_defaults():
    row = {"doc_id": "d", "source": "d.txt", "title": "D", "text": "x", "segments": []}
    d = DocumentRecord.from_row(row)
    assert (d.duplicates, d.offsets_in, d.page_starts, d.page_of(0)) == ((), "file", (), None)
