"""What a file is, read from its content: the types that may be attached to a case.

A file's type is recognized from its first bytes (and, for ZIP containers, from the
entries that name an Office or OpenDocument file), never from its name: a page of
HTML named ``invoice.pdf`` is not a PDF. Markup (HTML, SVG, XML), scripts and
executables are none of the allowed types. Text is always served as ``text/plain``.
"""

from __future__ import annotations

import codecs
import hashlib
import zipfile
from dataclasses import dataclass
from typing import BinaryIO

from flask_babel import lazy_gettext as _l

CHUNK = 1024 * 1024
# Enough of the start of a file to recognize it.
HEAD_BYTES = 4096


@dataclass(frozen=True)
class FileType:
    kind: str
    content_type: str
    extensions: frozenset[str]
    description: str  # shown in messages, in the reader's language


def _type(kind: str, content_type: str, extensions: str, description: str) -> FileType:
    return FileType(kind, content_type, frozenset(extensions.split()), description)


TYPES = {
    t.kind: t
    for t in (
        _type("pdf", "application/pdf", ".pdf", "PDF"),
        _type("png", "image/png", ".png", "PNG"),
        _type("jpeg", "image/jpeg", ".jpg .jpeg", "JPEG"),
        _type("gif", "image/gif", ".gif", "GIF"),
        _type("webp", "image/webp", ".webp", "WEBP"),
        _type("text", "text/plain; charset=utf-8", ".txt .csv .log", _l("text")),
        _type("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", ".docx", "Word"),
        _type("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".xlsx", "Excel"),
        _type("odt", "application/vnd.oasis.opendocument.text", ".odt", _l("OpenDocument text")),
        _type("ods", "application/vnd.oasis.opendocument.spreadsheet", ".ods", _l("OpenDocument spreadsheet")),
        _type("zip", "application/zip", ".zip", "ZIP"),
    )
}

_OOXML_MAIN = {
    "docx": b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
    "xlsx": b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
}
_ODF_MIMETYPES = {
    b"application/vnd.oasis.opendocument.text": "odt",
    b"application/vnd.oasis.opendocument.spreadsheet": "ods",
}


class FileTooLarge(Exception):
    """The stream holds more than the limit ``scan`` was given (reading stopped there)."""


@dataclass
class Scan:
    size: int
    sha256: str
    head: bytes
    utf8: bool
    has_nul: bool


def scan(stream: BinaryIO, limit: int) -> Scan:
    """Read the whole stream once: size (``FileTooLarge`` past ``limit``), SHA-256, start, UTF-8 validity.

    The stream is rewound afterwards.
    """
    digest = hashlib.sha256()
    decoder = codecs.getincrementaldecoder("utf-8")()
    size, head, utf8, has_nul = 0, b"", True, False
    while True:
        chunk = stream.read(CHUNK)
        if not chunk:
            break
        size += len(chunk)
        if size > limit:
            raise FileTooLarge()
        digest.update(chunk)
        if len(head) < HEAD_BYTES:
            head += chunk[: HEAD_BYTES - len(head)]
        has_nul = has_nul or b"\x00" in chunk
        if utf8:
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError:
                utf8 = False
    if utf8:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            utf8 = False
    stream.seek(0)
    return Scan(size=size, sha256=digest.hexdigest(), head=head, utf8=utf8, has_nul=has_nul)


def _zip_kind(stream: BinaryIO) -> str | None:
    """docx / xlsx / odt / ods / zip, or None for an archive that cannot be read."""
    try:
        with zipfile.ZipFile(stream) as archive:
            names = archive.namelist()
            if names and names[0] == "mimetype":
                with archive.open("mimetype") as entry:
                    kind = _ODF_MIMETYPES.get(entry.read(100).strip())
                if kind:
                    return kind
            if "[Content_Types].xml" in names:
                with archive.open("[Content_Types].xml") as entry:
                    content_types = entry.read(1024 * 1024)
                for kind, main in _OOXML_MAIN.items():
                    if main in content_types:
                        return kind
            return "zip"
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        KeyError,
        OSError,
        EOFError,
        ValueError,
        NotImplementedError,
        RuntimeError,
    ):
        return None
    finally:
        stream.seek(0)


def _looks_like_markup_or_script(head: bytes) -> bool:
    text = head.removeprefix(codecs.BOM_UTF8).lstrip()
    # Markup of any kind starts with "<" (HTML, SVG, XML); scripts with "#!".
    return text.startswith(b"<") or text.startswith(b"#!")


def detect_kind(stream: BinaryIO, scanned: Scan) -> str | None:
    """The allowed type of the content, or None when it is not one of them."""
    head = scanned.head
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "gif"
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "webp"
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return _zip_kind(stream)
    if scanned.utf8 and not scanned.has_nul and not _looks_like_markup_or_script(head):
        return "text"
    return None
