"""A minimal PDF writer for lines of text, with no dependency: the results annex.

DESIGN names WeasyPrint for PDF, but it is not installed on these machines and no new
dependency may be added without asking; an annex to a resolution is a table of text, which
PDF 1.4 describes with its standard fonts alone. So this writes exactly that and nothing
more: A4 landscape pages of monospaced text (Courier, one of the 14 fonts every reader
has, in WinAnsiEncoding so Spanish letters print), lines wrapped at the page width,
uncompressed content streams, a cross-reference table with exact byte offsets. Swap it for
a WeasyPrint template when WeasyPrint is installed; the annex's content comes from
`results.annex_lines` either way.

Characters outside Windows-1252 are written as their nearest ASCII ("−" as "-", "→" as
"->") or "?".
"""

from __future__ import annotations

from collections.abc import Sequence

PAGE_WIDTH, PAGE_HEIGHT = 842, 595  # A4 landscape, in points
MARGIN = 36
FONT_SIZE = 8
LEADING = 10
CHAR_WIDTH = 0.6 * FONT_SIZE  # every Courier glyph is 600/1000 em wide
COLUMNS = int((PAGE_WIDTH - 2 * MARGIN) // CHAR_WIDTH)
ROWS = int((PAGE_HEIGHT - 2 * MARGIN) // LEADING)

_ASCII = str.maketrans({"−": "-", "→": "->", "≤": "<=", "≥": ">=", "\u00a0": " ", "\t": " "})


def pdf_string(text: str) -> bytes:
    """A PDF literal string in WinAnsiEncoding: `(…)` with `\\`, `(`, `)` escaped and every
    byte outside printable ASCII as an octal escape."""
    raw = text.translate(_ASCII).encode("cp1252", errors="replace")
    out = bytearray(b"(")
    for byte in raw:
        if byte in b"\\()":
            out += b"\\" + bytes([byte])
        elif 32 <= byte < 127:
            out.append(byte)
        else:
            out += b"\\%03o" % byte
    return bytes(out + b")")


def _wrap(lines: Sequence[str]) -> list[str]:
    wrapped: list[str] = []
    for line in lines:
        line = line.rstrip()
        while len(line) > COLUMNS:
            wrapped.append(line[:COLUMNS])
            line = "  " + line[COLUMNS:]
        wrapped.append(line)
    return wrapped


def _page_stream(lines: Sequence[str]) -> bytes:
    body = [b"BT", b"/F1 %d Tf" % FONT_SIZE, b"%d TL" % LEADING]
    body.append(b"%d %d Td" % (MARGIN, PAGE_HEIGHT - MARGIN - FONT_SIZE))
    for i, line in enumerate(lines):
        body.append((b"" if i == 0 else b"T* ") + pdf_string(line) + b" Tj")
    body.append(b"ET")
    return b"\n".join(body)


def pdf_document(lines: Sequence[str], *, title: str = "") -> bytes:
    """The lines as a PDF (one page at least), `ROWS` lines a page."""
    wrapped = _wrap(lines) or [""]
    pages = [wrapped[i : i + ROWS] for i in range(0, len(wrapped), ROWS)]
    # Objects: 1 catalog, 2 page tree, 3 font, 4 info, then a page and its content each.
    objects: list[bytes] = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids ["
        + b" ".join(b"%d 0 R" % (5 + 2 * i) for i in range(len(pages)))
        + b"] /Count %d >>" % len(pages),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Courier /Encoding /WinAnsiEncoding >>",
        b"<< /Title " + pdf_string(title) + b" /Producer (Minka) >>",
    ]
    for i, page in enumerate(pages):
        stream = _page_stream(page)
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d] " % (PAGE_WIDTH, PAGE_HEIGHT)
            + b"/Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>" % (6 + 2 * i)
        )
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R /Info 4 0 R >>\n" % (len(objects) + 1)
    out += b"startxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)
