"""Cleaning keeps article text, drops boilerplate, labels comments and keeps exact offsets."""

from __future__ import annotations

from pathlib import Path

import pytest

from qa.ingest.clean import clean_document
from qa.ingest.readers import RawDocument, load_file

SEEDS = Path(__file__).resolve().parents[2] / "seeds"


def _clean(name: str):
    return clean_document(load_file(SEEDS / name))


def _kept_text(doc) -> str:
    return "\n".join(p.text for p in doc.paragraphs)


@pytest.mark.parametrize(
    "name, boilerplate",
    [
        ("003_56a6725d5cdb8bb7.txt", ["Cookie policy notice", "By continuing to use this site",
                                       "This site is intended for health professionals only",
                                       "Unsuitable or offensive? Report this comment", "Have your say"]),
        ("004_7b79a6c31b7621ec.txt", ["Your browser is no longer supported", "cookies disabled",
                                       "We'll assume we have your consent", "You must sign in",
                                       "Links may be included in your comments"]),
        ("000_e394d50cb2b718a3.txt", ["Add your comment", "national health executive tv", "events calendar",
                                       "mon tue wed thu fri sat sun", "Peter Kyle MP"]),
    ],
)
def test_boilerplate_is_dropped(name, boilerplate):
    kept = _kept_text(_clean(name))
    for phrase in boilerplate:
        assert phrase.lower() not in kept.lower(), phrase


def test_article_text_and_title_are_kept():
    doc = _clean("003_56a6725d5cdb8bb7.txt")
    assert doc.title == "All STPs will become 'accountable care systems', NHS England announces"
    kept = _kept_text(doc)
    assert "Regional organisations that created sustainability and transformation plans (STPs)" in kept
    assert "Frimley Health" in kept  # list items are content


def test_reader_comments_are_kept_and_labelled():
    doc = _clean("000_e394d50cb2b718a3.txt")
    comments = [p for p in doc.paragraphs if p.section == "comments"]
    body = [p for p in doc.paragraphs if p.section == "body"]
    assert any("Is this setting us up for privatisation" in p.text for p in comments)
    assert not any("privatisation of our health services" in p.text for p in body)
    authors = {p.author for p in comments}
    assert {"Umesh Prabhu", "Joan Heaton", "Jan Mclachlan"} <= authors
    assert all(p.author for p in comments)


def test_pdf_lines_are_rejoined_and_footnotes_dropped():
    doc = _clean("002_9aabc97dfefbaefd.txt")
    sentences = [s.text for s in doc.sentences()]
    # "dashboard4" in the file: the text stays as written (a rule that deleted digits
    # after letters also turned "base64" into "base"); the wrapped sentence becomes one.
    target = next(s for s in sentences if s.startswith("In July 2017, NHS England published a progress"))
    assert "dashboard4 for STPs in which five were rated outstanding, 20 advanced" in target
    # "improvement.5 There ...": the marker between two sentences is in neither.
    assert target.endswith("needs most improvement.")
    # A sentence split by a page break with footnote URLs between its halves: the
    # paragraph is rejoined, but each half is quoted apart, so no quote holds the URLs.
    para = next(p for p in doc.paragraphs if "component partner organisations remains a priority" in p.text)
    assert "https://" not in para.text
    halves = [s for s in doc.sentences() if s.start >= para.offsets[0] and s.end <= para.offsets[-1] + 1]
    assert any(s.text.endswith("in the component partner") for s in halves)
    assert all("https://" not in doc.raw_text[s.start : s.end] for s in halves)
    kept = _kept_text(doc)
    assert "https://" not in kept and "(accessed" not in kept


def test_every_sentence_maps_back_to_its_source_span():
    for path in sorted(SEEDS.iterdir()):
        doc = clean_document(load_file(path))
        for s in doc.sentences():
            raw = doc.raw_text[s.start : s.end]
            # Same words in the same order; only whitespace and footnote digits differ.
            assert raw.split()[0].startswith(s.text.split()[0][:3]), (path.name, s.text[:40], raw[:40])
            assert raw[-1] == s.text[-1] or raw.rstrip()[-1] == s.text[-1]


def test_html_documents_are_read_as_text(tmp_path):
    page = tmp_path / "page.html"
    page.write_text(
        "<html><head><title>x</title><script>var a=1;</script></head><body><nav>Home | News</nav>"
        "<h1>Accountable care explained</h1><p>An accountable care system is a partnership "
        "of NHS organisations that takes collective responsibility for resources and population health "
        "in its area, working closely with local councils and voluntary groups.</p></body></html>",
        encoding="utf-8",
    )
    doc = clean_document(load_file(page))
    text = _kept_text(doc)
    assert "An accountable care system is a partnership" in text
    assert "var a=1" not in text and "Home | News" not in text


def test_unknown_sections_default_to_body():
    raw = RawDocument("x", "x.txt", "Title line\n\nA plain paragraph that says something useful about STPs and ACSs.\n",
                      "text", "0")
    doc = clean_document(raw)
    assert {p.section for p in doc.paragraphs} == {"body"}


def test_pull_quotes_remember_who_said_them():
    doc = _clean("002_9aabc97dfefbaefd.txt")
    speakers = {p.author.split(",")[0] for p in doc.paragraphs if p.author and not p.byline}
    assert speakers == {"Simon Stevens", "Sue Harris", "Rt Hon Jeremy Hunt MP", "Daniel Scheffer",
                        "Jane Tomkinson", "Ramona Duguid"}
    quote = next(p for p in doc.paragraphs if "starting point for any collaboration is trust" in p.text)
    assert quote.author.startswith("Jane Tomkinson, Chief Executive, Liverpool Heart and Chest")
    assert "Jane Tomkinson" not in quote.text  # the attribution is a paragraph of its own...
    attribution = next(p for p in doc.paragraphs if p.text.startswith("Jane Tomkinson"))
    assert attribution.byline and attribution.group == quote.group != 0  # ...in the quote's box
    # A role wrapped over two lines ends where the article picks up again.
    sentences = [s.text for s in doc.sentences()]
    assert "In summary, STPs are clearly developing at different paces across the country." in sentences
    assert any(s.endswith("Integrated Health and Care System – ACS/ACO") for s in sentences)


def test_news_pages_have_no_pull_quotes():
    for name in ("000_e394d50cb2b718a3.txt", "003_56a6725d5cdb8bb7.txt", "004_7b79a6c31b7621ec.txt"):
        assert not any(p.author for p in _clean(name).paragraphs if p.section == "body"), name


def test_icon_font_bullets_are_dropped():
    # The scraped CV writes its bullets with a private-use code point (U+F0D8).
    doc = _clean("000_e394d50cb2b718a3.txt")
    assert not any("\uf0d8" in p.text for p in doc.paragraphs)
    assert any(s.text.startswith("UnitedHealth Group Vice-President") for s in doc.sentences())


def test_a_bullet_glyph_on_its_own_line_marks_a_list_item():
    doc = _clean("002_9aabc97dfefbaefd.txt")
    item = next(p for p in doc.paragraphs if p.text.startswith("The quality of relationships between all key players"))
    assert item.list_item
    assert not any(p.text == "●●" for p in doc.paragraphs)
    pulse = _clean("003_56a6725d5cdb8bb7.txt")
    assert next(p for p in pulse.paragraphs if p.text == "Greater Manchester").list_item
    assert not next(p for p in pulse.paragraphs if "likely candidates" in p.text).list_item


def test_a_table_of_numbers_is_not_prose():
    rows = "\n".join(f"{i}\t{i * 3.5:.1f}\t{i * 7 % 13}\t{2000 + i % 20}" for i in range(2000))
    raw = RawDocument("t", "t.txt", "Quarterly figures\n\nThe table below lists every reading.\n\n" + rows + "\n",
                      "text", "0")
    doc = clean_document(raw)
    assert [p.text for p in doc.paragraphs] == ["Quarterly figures", "The table below lists every reading."]


def test_lines_many_pages_repeat_are_learned_as_boilerplate():
    from qa.ingest.boilerplate import repeated_lines

    banner = "Members area: renew your annual pass online"
    pages = [
        RawDocument(f"p{i}", f"p{i}.html", f"{banner}\nGarden note {i}\n\nThe rose bed number {i} was replanted "
                    f"with {i + 3} new shrubs this spring, after the frost killed the old ones.\n", "html", str(i))
        for i in range(5)
    ]
    learned = repeated_lines(pages)
    assert learned == {banner.lower()}
    doc = clean_document(pages[0], learned)
    assert banner not in _kept_text(doc) and "The rose bed number 0 was replanted" in _kept_text(doc)
    assert doc.learned_boilerplate == (banner.lower(),)
    # Two pages are not a site's furniture: nothing is learned from them.
    assert repeated_lines(pages[:2]) == frozenset()


def _pdf_like(tmp_path, lines: list[str]):
    path = tmp_path / "handbook.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return clean_document(load_file(path))


def test_pdf_page_headers_and_numbered_section_headings(tmp_path):
    wrapped = ["The reading room is on the second floor of the east wing and", "opens at nine on weekdays, with",
               "late opening until eight on Thursdays during term and", "shorter hours in the vacations."] * 3
    doc = _pdf_like(tmp_path, [
        "Section 2: Libraries and Study Space", "", "2.1 Opening hours", "", *wrapped, "",
        "Section 2: Libraries and Study Space                        Page 1 of 3", "",
        "2.2 Borrowing", "", "Students may borrow up to twelve books at a time, and", "renew them online.", "",
        "2. Ask at the desk", "",
    ])
    marked = {s.text: s.heading for s in doc.sentences()}
    assert marked["Section 2: Libraries and Study Space"] and marked["2.1 Opening hours"] and marked["2.2 Borrowing"]
    # a running footer is page furniture, not text
    assert not any("Page 1 of 3" in s.text for s in doc.sentences())
    # a lone "2. ..." line may be a numbered step: it stays an answerable sentence
    assert marked["2. Ask at the desk"] is False
    assert marked["Students may borrow up to twelve books at a time, and renew them online."] is False


def test_a_table_laid_out_with_spaces_is_read_row_by_row(tmp_path):
    # Made-up specification and troubleshooting tables as PDF-to-text writes them: columns of
    # spaces, an empty corner cell over the labels, cells wrapped onto a second line.
    doc = _pdf_like(tmp_path, [
        "4  TECHNICAL DATA", "",
        "                         Model A             Model B",
        "  Frame size             46 cm               53 cm",
        "  Battery                36 V (374 Wh)       36 V (504 Wh)",
        "  Weight                 21.8 kg             23.6 kg", "",
        "  Code   Cause                      What to do",
        "  E1     Water tank empty or not    Fill the tank and push it",
        "         inserted correctly         in until it clicks",
        "  E2     Brew unit missing          Insert the brew unit",
        "  E3     Grounds container full     Empty the grounds container", "",
    ])
    sentences = {s.text: s for s in doc.sentences()}
    assert sentences["4 TECHNICAL DATA"].heading  # a short line in capitals names a section
    assert sentences["Model A | Model B"].heading  # the header row: searched, never an answer
    battery = sentences["Battery | 36 V (374 Wh) | 36 V (504 Wh)"]
    assert not battery.heading
    assert " ".join(doc.raw_text[battery.start : battery.end].split()) == "Battery 36 V (374 Wh) 36 V (504 Wh)"
    # the wrapped cells join their own columns, and the row's span covers both of its lines
    e1 = sentences["E1 | Water tank empty or not inserted correctly | Fill the tank and push it in until it clicks"]
    assert doc.raw_text[e1.start : e1.end].startswith("E1") and doc.raw_text[e1.start : e1.end].endswith("clicks")
    assert sentences["Code | Cause | What to do"].heading


def test_prose_with_two_spaces_after_full_stops_is_no_table(tmp_path):
    lines = ["The committee met on Tuesday.  It agreed to raise the fee to twelve pounds from",
             "April.  Members who pay before the end of March keep the old rate, and the",
             "treasurer will write to everyone.  The next meeting is on the first Monday of",
             "May, in the hall.  Apologies were received from two members of the group."]
    doc = _pdf_like(tmp_path, lines * 3)
    assert not any(" | " in s.text for s in doc.sentences())
    assert "It agreed to raise the fee to twelve pounds from April." in {s.text for s in doc.sentences()}


def test_a_capitals_line_with_figures_or_a_colon_says_something(tmp_path):
    doc = _pdf_like(tmp_path, ["GENERAL INFORMATION", "", "OPEN 9AM TO 5PM DAILY", "",
                               "WARNING: DO NOT IMMERSE THE BASE IN WATER", ""])
    marked = {s.text: s.heading for s in doc.sentences()}
    assert marked["GENERAL INFORMATION"] is True
    assert marked["OPEN 9AM TO 5PM DAILY"] is False
    assert marked["WARNING: DO NOT IMMERSE THE BASE IN WATER"] is False


def test_a_plain_text_table_keeps_its_group_labels_and_a_man_page_its_option_blocks(tmp_path):
    doc = _pdf_like(tmp_path, [
        "Opening hours", "",
        "                      Term time        Vacation",
        "North Library",
        "  Monday to Friday    08:00 - 00:00    09:00 - 19:00",
        "  Saturday            09:00 - 22:00    Closed",
        "East Annex",
        "  Monday to Friday    08:30 - 20:00    09:00 - 17:00",
        "  Saturday            10:00 - 17:00    Closed", "",
        "OPTIONS",
        "       --min-age=DURATION",
        "              Never remove snapshots younger than DURATION.",
        "              Default: 48h.", "",
        "       -n, --dry-run",
        "              Print what would be removed, remove nothing.", "",
        "ENVIRONMENT",
        "       TOOL_NO_COLOR",
        "              If set, output is printed without colour.", "",
    ])
    marked = {s.text: s for s in doc.sentences()}
    assert marked["Term time | Vacation"].heading and marked["East Annex"].heading
    assert not marked["Saturday | 10:00 - 17:00 | Closed"].heading
    assert marked["OPTIONS"].heading
    # an option and its indented description are one item, "Default: 48h." included; "--" is no bullet
    item = marked["--min-age=DURATION Never remove snapshots younger than DURATION. Default: 48h."]
    assert item.list_item and not item.heading
    assert "-n, --dry-run Print what would be removed, remove nothing." in marked
    # a name with an underscore is no capitals heading
    assert not marked["TOOL_NO_COLOR If set, output is printed without colour."].heading
