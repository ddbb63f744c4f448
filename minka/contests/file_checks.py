"""What a file really is, judged by its content (never by its name or the browser's word),
and its SHA-256: the checks every council act and means of verification goes through.

Pure (no Django): works on a binary file object. A file whose content is none of the
allowed kinds is refused, whatever its extension says, so an HTML page renamed `acta.pdf`
never gets in; and files are always served as downloads (`Content-Disposition:
attachment`, `nosniff`), never inline.
"""

from __future__ import annotations

import hashlib
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

CHUNK = 1024 * 1024


class FileKind(StrEnum):
    PDF = "pdf"
    PNG = "png"
    JPEG = "jpeg"
    XLSX = "xlsx"


CONTENT_TYPES = {
    FileKind.PDF: "application/pdf",
    FileKind.PNG: "image/png",
    FileKind.JPEG: "image/jpeg",
    FileKind.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
EXTENSIONS = {FileKind.PDF: "pdf", FileKind.PNG: "png", FileKind.JPEG: "jpg", FileKind.XLSX: "xlsx"}


def file_kind(stream: Any) -> FileKind | None:
    """The kind of the file by its first bytes (and, for a spreadsheet, its zip directory);
    None when it is none of the kinds Minka accepts. Leaves the stream at its start."""
    stream.seek(0)
    head = stream.read(8)
    stream.seek(0)
    if head.startswith(b"%PDF-"):
        return FileKind.PDF
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return FileKind.PNG
    if head.startswith(b"\xff\xd8\xff"):
        return FileKind.JPEG
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(stream) as archive:
                names = set(archive.namelist())
        except zipfile.BadZipFile:
            return None
        finally:
            stream.seek(0)
        if "[Content_Types].xml" in names and any(n.startswith("xl/") for n in names):
            return FileKind.XLSX
    return None


def sha256_hex(stream: Any) -> tuple[str, int]:
    """(hex SHA-256, size in bytes) of the whole stream, read in chunks; leaves it at its
    start."""
    stream.seek(0)
    digest = hashlib.sha256()
    size = 0
    for chunk in iter(lambda: stream.read(CHUNK), b""):
        digest.update(chunk)
        size += len(chunk)
    stream.seek(0)
    return digest.hexdigest(), size


@dataclass(frozen=True)
class CheckedFile:
    kind: FileKind
    sha256: str
    size: int

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES[self.kind]


class FileRefused(ValueError):
    """Why a file is not accepted: `code` is "empty", "too_large" or "kind_not_allowed"."""

    def __init__(self, code: str, **params: object) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


def file_check(stream: Any, *, allowed: Iterable[FileKind], max_bytes: int) -> CheckedFile:
    """The file's kind, checksum and size, or FileRefused."""
    digest, size = sha256_hex(stream)
    if size == 0:
        raise FileRefused("empty")
    if size > max_bytes:
        raise FileRefused("too_large", size=size, max_bytes=max_bytes)
    kind = file_kind(stream)
    allowed = set(allowed)
    if kind is None or kind not in allowed:
        raise FileRefused("kind_not_allowed", allowed=sorted(k.value for k in allowed))
    return CheckedFile(kind=kind, sha256=digest, size=size)
