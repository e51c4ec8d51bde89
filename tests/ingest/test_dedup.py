"""Near-duplicates: a copy is dropped, a templated page with other numbers or names is not."""

from __future__ import annotations

from qa.ingest.dedup import find_duplicates

TEMPLATE = (
    "Opening hours and fees for the municipal swimming pool. The pool opens at {h} in the morning and "
    "closes in the evening after the last session. An adult ticket costs {p} and a child ticket costs "
    "less. Lanes are reserved for club training on weekday evenings, and the learner pool is open to "
    "families at weekends. Lockers take a coin that is returned. The pool is in {town}, next to the library."
)


def test_templated_pages_that_differ_in_numbers_are_all_kept():
    pages = {f"pool{i}": TEMPLATE.format(h=f"{6 + i}:00", p=f"{3 + i}.50", town="Ashford") for i in range(9)}
    assert find_duplicates(pages, threshold=0.8) == []


def test_templated_pages_that_differ_in_a_name_are_kept():
    pages = {t: TEMPLATE.format(h="7:00", p="4.50", town=t) for t in ("Ashford", "Bexley", "Crawley")}
    assert find_duplicates(pages, threshold=0.8) == []


def test_a_true_copy_is_still_dropped():
    full = TEMPLATE.format(h="7:00", p="4.50", town="Ashford") + " Reader comments: the water was warm."
    copy = TEMPLATE.format(h="7:00", p="4.50", town="Ashford")
    dup = find_duplicates({"full": full, "copy": copy}, threshold=0.8)
    assert [(d.dropped, d.kept) for d in dup] == [("copy", "full")]
