"""A file is what its content says (no database)."""

from __future__ import annotations

import io
import zipfile

import pytest
from openpyxl import Workbook

from minka.contests.file_checks import FileKind, FileRefused, file_check, file_kind, sha256_hex

PDF = b"%PDF-1.4\n1 0 obj << >> endobj\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 20
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 20
ALL = (FileKind.PDF, FileKind.PNG, FileKind.JPEG, FileKind.XLSX)


def xlsx_bytes() -> bytes:
    out = io.BytesIO()
    Workbook().save(out)
    return out.getvalue()


@pytest.mark.parametrize(("content", "kind"), [
    (PDF, FileKind.PDF), (PNG, FileKind.PNG), (JPEG, FileKind.JPEG),
])
def test_the_kind_comes_from_the_first_bytes(content, kind):
    assert file_kind(io.BytesIO(content)) is kind


def test_a_spreadsheet_is_a_zip_with_an_xl_folder():
    assert file_kind(io.BytesIO(xlsx_bytes())) is FileKind.XLSX
    other = io.BytesIO()
    with zipfile.ZipFile(other, "w") as archive:
        archive.writestr("notes.txt", "hola")
    assert file_kind(other) is None


def test_an_html_page_named_like_a_pdf_is_refused():
    with pytest.raises(FileRefused) as refused:
        file_check(io.BytesIO(b"<html><script>alert(1)</script></html>"), allowed=ALL,
                   max_bytes=1000)
    assert refused.value.code == "kind_not_allowed"


def test_the_checksum_is_sha256_of_the_whole_content():
    # The FIPS 180-2 test vector: SHA-256("abc").
    assert sha256_hex(io.BytesIO(b"abc")) == (
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", 3)


def test_size_limits_and_empty_files():
    with pytest.raises(FileRefused) as empty:
        file_check(io.BytesIO(b""), allowed=ALL, max_bytes=10)
    with pytest.raises(FileRefused) as large:
        file_check(io.BytesIO(PDF), allowed=ALL, max_bytes=len(PDF) - 1)
    assert (empty.value.code, large.value.code) == ("empty", "too_large")
    assert file_check(io.BytesIO(PDF), allowed=ALL, max_bytes=len(PDF)).size == len(PDF)


def test_a_kind_not_allowed_for_the_purpose_is_refused():
    with pytest.raises(FileRefused):
        file_check(io.BytesIO(xlsx_bytes()), allowed=(FileKind.PDF,), max_bytes=10**6)
