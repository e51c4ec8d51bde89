"""Bytes to text: UTF-8, byte-order marks, UTF-16/32 without one, and a declared charset.

A legacy 8-bit encoding (latin-1, windows-1252, ...) cannot be told apart reliably from
a short file (charset-normalizer reads "caf\\xe9" as Urdu cp1006), so such a file is
refused with a conversion hint rather than indexed as mojibake.  UTF-16 and UTF-32 are
unambiguous (a NUL in every other byte of ASCII text), so they are read.
"""

from __future__ import annotations

import codecs
import re

from qa.errors import InvalidDocumentError

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"),
)
# <meta charset="iso-8859-1"> or <meta http-equiv="Content-Type" content="text/html; charset=...">
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)


def declared_html_charset(data: bytes) -> str | None:
    """The charset a page declares in its first 4 KB (as browsers look for it), if Python knows it."""
    m = _META_CHARSET.search(data[:4096])
    if not m:
        return None
    name = m.group(1).decode("ascii", "replace")
    try:
        codec = codecs.lookup(name).name
    except LookupError:
        return None
    # Browsers read iso-8859-1 and us-ascii pages as windows-1252 (WHATWG Encoding Standard).
    return "cp1252" if codec in ("latin-1", "iso8859-1", "ascii") else codec


def _wide_unicode(data: bytes) -> str | None:
    """UTF-16/32 without a byte-order mark, as charset-normalizer detects it."""
    if b"\x00" not in data[:4096]:
        return None
    from charset_normalizer import from_bytes  # lazy: only odd files pay for it

    best = from_bytes(data[:65536]).best()
    if best is not None and best.encoding.replace("_", "-").startswith(("utf-16", "utf-32")):
        return best.encoding
    return None


def decode_bytes(data: bytes, source: str, declared: str | None = None) -> str:
    """The file's text; InvalidDocumentError says what the bytes are and how to convert them."""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return _decode(data, codec, source)
    if declared:
        try:
            return data.decode(declared)
        except UnicodeDecodeError:
            pass  # a wrong declaration: fall back to what the bytes say
    wide = _wide_unicode(data)  # before UTF-8: ASCII in UTF-16 is valid UTF-8, NULs and all
    if wide:
        return _decode(data, wide, source)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        if b"\x00" in data[:4096]:
            raise InvalidDocumentError(
                f"{source} is binary, not text (NUL bytes, byte 0x{data[exc.start]:02x} at offset {exc.start}). "
                "Remove it from the corpus folder, or export its text to a .txt file."
            ) from exc
        raise InvalidDocumentError(
            f"{source} is not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start}) and its "
            "8-bit encoding cannot be told for sure. Convert it from the encoding it was written in, "
            f"e.g. `iconv -f windows-1252 -t utf-8 {source} > fixed.txt` for Western European text, "
            "or move it out of the corpus folder."
        ) from exc


def _decode(data: bytes, codec: str, source: str) -> str:
    try:
        return data.decode(codec)
    except UnicodeDecodeError as exc:
        raise InvalidDocumentError(
            f"{source} looks like {codec} but byte 0x{data[exc.start]:02x} at offset {exc.start} is not "
            f"valid {codec}; the file may be truncated. Re-export it as UTF-8."
        ) from exc
