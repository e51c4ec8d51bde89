"""Odd corpus files, built by the tests themselves (no fixtures on disk)."""

from __future__ import annotations

from pathlib import Path


def make_pdf(pages: list[list[str]]) -> bytes:
    """A small valid PDF (Helvetica text, one line per string), written by hand."""

    def esc(s: str) -> str:
        return s.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{' '.join(f'{4 + 2 * i} 0 R' for i in range(len(pages)))}] "
        f"/Count {len(pages)} >>".encode(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    for i, lines in enumerate(pages):
        content = "BT /F1 11 Tf 72 720 Td 14 TL " + " ".join(f"({esc(x)}) Tj T*" for x in lines) + " ET"
        objs.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> "
                    f"/Contents {5 + 2 * i} 0 R >>".encode())
        objs.append(f"<< /Length {len(content)} >>\nstream\n{content}\nendstream".encode("latin-1"))
    out = b"%PDF-1.4\n"
    offsets = []
    for i, obj in enumerate(objs, start=1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n".encode() + obj + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objs) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{off:010d} 00000 n \n".encode() for off in offsets)
    out += f"trailer\n<< /Size {len(objs) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return out


PDF_PAGES = [
    ["Tidal Energy Notes", "Tidal barrages hold water behind a dam at high tide and release it",
     "through turbines as the tide falls. The first large barrage opened in 1966."],
    ["Tidal stream turbines sit on the sea bed like underwater windmills.",
     "Each turbine is rated at about 1.5 MW in current designs."],
]

PROSE = ("Tidal power turns the energy of the tides into electricity using barrages or turbines. "
         "A barrage is a low dam built across an estuary. ")


TEMPLATED = (
    "Pool opening times\n\nThe municipal pool opens at {opens} on weekdays and closes after the last "
    "evening session. An adult ticket costs {price} pounds and a child ticket costs less. Lanes are "
    "reserved for club training on weekday evenings, and the learner pool is open to families at "
    "weekends. Lockers take a coin that is returned at the end of the visit.\n"
)

CODE_MARKDOWN = """# Tidal model toolkit

The `tidal.fit()` function fits a harmonic model to tide gauge readings. Is `fit?` a typo? No.

```python
import tidal
model = tidal.fit(readings)  # uses 37 constituents. Why? Accuracy.
print(model.predict("2030-01-01"))
```

- Use `tidal.load(path)` to read gauge files.
- Use [the plotting guide](https://example.org/plot) for **charts**.

```
$ tidal fit --constituents 37 readings.csv
```
"""


def write_odd_corpus(folder: Path, outside: Path, big: bool = False) -> dict[str, str]:
    """Write the odd files; returns {file name: expected outcome} ("read" or "skip")."""
    folder.mkdir(parents=True, exist_ok=True)
    outside.mkdir(parents=True, exist_ok=True)
    expect: dict[str, str] = {}

    def put(name: str, data: bytes, outcome: str) -> None:
        (folder / name).write_bytes(data)
        expect[name] = outcome

    size = 1_000_000 if big else 12_000
    line = (PROSE * (size // len(PROSE) + 1))[:size]
    put("one_line.txt", line.encode(), "read")
    put("utf16.txt", "Wave energy\n\nWave energy converters ride the swell off the coast.\n".encode("utf-16"), "read")
    put("utf16_nobom.txt", "Ocean currents\n\nOcean currents carry warm water north in the Gulf Stream.\n"
        .encode("utf-16-le"), "read")
    put("latin.html", ("<html><head><meta charset=iso-8859-1><title>Le café des marées</title></head><body>"
                       "<h1>Le café</h1><p>Le café au bord de la mer sert les pêcheurs à l'aube.</p></body></html>")
        .encode("latin-1"), "read")
    put("latin1.txt", "Café society meets at the harbour.".encode("latin-1"), "skip")
    put("binary.txt", bytes(range(256)) * 8, "skip")
    put("empty.txt", b"", "skip")
    pdf = make_pdf(PDF_PAGES)
    put("notes.pdf", pdf, "read")
    put("truncated.pdf", pdf[: len(pdf) // 3], "skip")
    (outside / "secret.txt").write_text("TOPSECRET credentials live here.\n", encoding="utf-8")
    (outside / "dir").mkdir(exist_ok=True)
    (outside / "dir" / "other.txt").write_text("TOPSECRET folder file.\n", encoding="utf-8")
    (folder / "link_outside.txt").symlink_to(outside / "secret.txt")
    expect["link_outside.txt"] = "skip"
    (folder / "linkdir").symlink_to(outside / "dir", target_is_directory=True)
    expect["linkdir"] = "skip"
    (folder / "link_inside.txt").symlink_to(folder / "utf16.txt")
    expect["link_inside.txt"] = "read"
    for i in range(9):  # templated pages that differ only in their numbers: all are content
        put(f"pool{i}.txt", TEMPLATED.format(opens=f"{6 + i}:00", price=f"{3 + i}.50").encode(), "read")
    put("codebook.md", CODE_MARKDOWN.encode(), "read")
    return expect
