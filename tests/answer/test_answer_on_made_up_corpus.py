"""The learned answerer end to end on a made-up corpus (real model, real index), `qa explain` and `qa calibrate`."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from qa.cli import main
from qa.config import Settings

CORPUS = {
    "windmill.txt": "The Old Windmill\n\nThe old windmill was built in 1820. It is painted white and stands on a "
                    "hill above the village. Visitors can climb to the top on weekends.\n",
    "river.txt": "The River\n\nThe river floods most winters. A stone bridge crosses it near the church. "
                 "The bridge was repaired after the great flood. The Regional Flood Authority (RFA) looks after "
                 "the banks. The RFA meets twice a year.\n",
}


@pytest.fixture(scope="module")
def mill(tmp_path_factory):
    from qa.engine import Engine
    from qa.index.build import build_index

    root = tmp_path_factory.mktemp("mill")
    docs = root / "docs"
    docs.mkdir()
    for name, text in CORPUS.items():
        (docs / name).write_text(text, encoding="utf-8")
    settings = Settings(seeds_dir=docs, index_dir=root / "index")
    build_index(settings)
    return Engine.load(settings)


def test_a_simple_when_question_is_answered_with_the_sentence_holding_the_year(mill):
    answer = mill.ask("When was the windmill built?")
    assert not answer.abstained and "1820" in answer.answer
    assert answer.citations[0].quote == "The old windmill was built in 1820."


def test_an_acronym_is_spelled_out_from_where_the_corpus_defines_it(mill):
    answer = mill.ask("What does RFA stand for?")
    assert not answer.abstained and "Regional Flood Authority (RFA)" in answer.answer
    assert answer.citations[0].quote.startswith("The Regional Flood Authority (RFA)")


def test_an_off_topic_question_is_refused(mill):
    answer = mill.ask("Who won the football league in 1998?")
    assert answer.abstained and answer.citations == []


def test_explain_shows_candidates_terms_and_the_decision(mill):
    answer = mill.ask("When was the windmill built by Zorblax?", explain=True)
    e = answer.explanation
    assert e is not None and e.kind == "date" and "zorblax" in e.unseen_terms
    assert e.sentences and e.sentences == sorted(e.sentences, key=lambda s: -s.probability)
    assert set(e.sentences[0].features) == set(mill.answerer.scorer.features)
    assert e.decision == ("refused" if answer.abstained else "answered") and e.reason
    assert mill.ask("When was the windmill built?").explanation is None  # only when asked for


def test_a_misspelt_word_is_read_as_the_corpus_writes_it(mill):
    answer = mill.ask("When was the widnmill built?", explain=True)
    assert not answer.abstained and "1820" in answer.answer
    assert answer.read_as == {"widnmill": "windmill"} and not answer.explanation.unseen_terms
    assert answer.question == "When was the widnmill built?"  # echoed as asked
    # an English word the corpus does not write is a word it lacks, not a typo
    answer = mill.ask("When was the windmill bulldozed?", explain=True)
    assert answer.read_as == {} and "bulldoz" in answer.explanation.unseen_terms
    for command in ("ask", "explain"):
        out = CliRunner().invoke(main, [command, "--index", str(mill.settings.index_dir), "What crosses the rivver?"])
        assert out.exit_code == 0 and out.output.startswith("(read as: rivver -> river)\n"), out.output


def test_qa_explain_and_qa_calibrate_on_the_command_line(mill, tmp_path):
    index = str(mill.settings.index_dir)
    out = CliRunner().invoke(main, ["explain", "--index", index, "When was the windmill built?"])
    assert out.exit_code == 0 and "sentences (best first):" in out.output and "1820" in out.output
    questions = tmp_path / "mine.jsonl"
    questions.write_text("\n".join(json.dumps(q) for q in [
        {"question": "When was the windmill built?", "answerable": True},
        {"question": "What crosses the river near the church?", "answerable": True},
        {"question": "Who won the football league in 1998?", "answerable": False},
        {"question": "What is the capital of Peru?", "answerable": False},
    ]), encoding="utf-8")
    env = tmp_path / "settings.env"
    out = CliRunner().invoke(main, ["calibrate", "--index", index, "--questions", str(questions), "--json",
                                    "--write", str(env)])
    assert out.exit_code == 0, out.output
    result = json.loads(out.output)
    assert result["questions"] == 4 and result["auroc"] is not None and result["false_refusal"] == 0.0
    assert env.read_text().startswith("QA_ABSTAIN_THRESHOLD=")


def test_calibrate_rejects_a_malformed_line_in_one_line(mill, tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"question": "x"}\n', encoding="utf-8")
    out = CliRunner().invoke(main, ["calibrate", "--index", str(mill.settings.index_dir), "--questions", str(bad)])
    assert out.exit_code == 2 and "line 1" in out.output and "Traceback" not in out.output


def test_question_pieces_keep_content_words_whole_and_drop_question_and_stop_words():
    import numpy as np

    from qa.answer.features import question_pieces
    from qa.index.tokens import TokenEncoding

    text = "when was the windmill built?"
    # word pieces as the tokenizer splits them: "wind" "##mill" share one word
    offsets = ((0, 4), (5, 8), (9, 12), (13, 17), (17, 21), (22, 27), (27, 28))
    tokens = np.eye(len(offsets), dtype=np.float32)
    kept, weights = question_pieces(TokenEncoding(tokens[0], tokens, offsets, text), {"windmill": 3.0, "built": 1.0})
    np.testing.assert_array_equal(kept, tokens[[3, 4, 5]])  # wind, ##mill, built
    assert list(weights) == [3.0, 3.0, 1.0]
    # a question of stop words only keeps its words rather than nothing
    only, _ = question_pieces(TokenEncoding(tokens[0], tokens[:2], offsets[:2], "when was"), {})
    assert len(only) == 2


def test_the_answer_sentence_wins_on_word_pieces(mill):
    """The late-interaction feature ranks the sentence that says it first, not just a sentence on the topic."""
    from qa.answer.features import FEATURES

    question = "Which day can people go up the windmill?"
    scored = mill.score(question, mill.retrieve(question, 5), mill.encode_query(question))
    tok = scored.matrix[:, FEATURES.index("tok_idf")]
    assert scored.records[int(tok.argmax())].text == "Visitors can climb to the top on weekends."


FAQ = """# Snapvault

## What is Snapvault?

Snapvault is a command-line tool that copies a folder to a remote server every night and keeps thirty daily
snapshots.

## Restoring a file

Run `snapvault restore PATH --date YYYY-MM-DD` to bring back a file as it was on that day. Restores older than
thirty days are not possible.

## Where is the configuration?

The configuration file lives in `~/.config/snapvault/config.toml`.

## Servers

| Server | Region | Port |
|---|---|---|
| vault-a | Oslo | 7001 |
| vault-b | Lisbon | 7002 |
"""


PLANS = """<html><body><h1>Snapvault plans</h1><p>Every plan includes nightly snapshots.</p>
<table><thead><tr><th>Plan</th><th>Storage</th><th>Price per month</th></tr></thead>
<tbody><tr><td>Solo</td><td>50 GB</td><td>4 euros</td></tr><tr><td>Team</td><td>1 TB</td><td>30 euros</td></tr>
</tbody></table></body></html>"""


@pytest.fixture(scope="module")
def faq(tmp_path_factory):
    from qa.engine import Engine
    from qa.index.build import build_index

    root = tmp_path_factory.mktemp("faq")
    docs = root / "docs"
    docs.mkdir()
    (docs / "snapvault.md").write_text(FAQ, encoding="utf-8")
    (docs / "plans.html").write_text(PLANS, encoding="utf-8")
    settings = Settings(seeds_dir=docs, index_dir=root / "index")
    build_index(settings, log=lambda _m: None)
    return Engine.load(settings)


@pytest.mark.parametrize(("question", "quote"), [
    ("What is Snapvault?", "Snapvault is a command-line tool"),
    ("How do I restore a file?", "Run `snapvault restore PATH"),
    # On a one-page corpus this one's evidence sits near the threshold: refusing is honest,
    # quoting the heading "Where is the configuration?" back (as before headings were marked) is not.
    ("Where is the configuration file?", None),
    # a table's header row names the columns: the row that answers is quoted, not the header
    ("Which port does the vault-b server use?", "vault-b | Lisbon | 7002"),
])
def test_a_markdown_heading_is_never_the_answer_the_text_under_it_is(faq, question, quote):
    # A FAQ page's headings repeat the question ("What is Snapvault?") or name the section
    # ("Restoring a file"); quoting them back answers nothing.
    answer = faq.ask(question, explain=True)
    quotes = [c.quote for c in answer.citations]
    headings = {"Snapvault", "What is Snapvault?", "Restoring a file", "Where is the configuration?", "Servers",
                "Server | Region | Port", "Snapvault plans", "Plan | Storage | Price per month"}
    assert not headings & set(quotes), quotes
    assert not headings & {s.text for s in answer.explanation.sentences}  # not even a candidate
    if quote is not None:
        assert not answer.abstained and quotes[0].startswith(quote), quotes
    elif not answer.abstained:
        assert quotes[0].startswith("The configuration file lives in"), quotes


def test_an_html_table_row_answers_and_its_header_row_never_does(faq):
    answer = faq.ask("How much storage does the Team plan include?", explain=True)
    quotes = [c.quote for c in answer.citations]
    assert not answer.abstained and "Team | 1 TB | 30 euros" in quotes, quotes
    assert "Plan | Storage | Price per month" not in {s.text for s in answer.explanation.sentences}
