"""Files attached to a case: checked on their content, limited in size, stored under random names.

A file is accepted when its *content* is one of the allowed types (PDF, PNG, JPEG,
GIF, WEBP, UTF-8 text, Word/Excel OOXML, OpenDocument text/spreadsheet, ZIP) and
its name's extension fits that type. Markup (HTML, SVG, XML), scripts and
executables are refused whatever they are called: a page of HTML named
``invoice.pdf`` is not a PDF. Text is always served as ``text/plain``.
"""
from __future__ import annotations

import codecs
import datetime as dt
import hashlib
import os
import unicodedata
import uuid
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from typing import BinaryIO

from flask import current_app
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from shared.database import utcnow
from support_community.cases import storage as storage_module
from support_community.cases.models import Attachment, Case, CaseMessage, Person
from support_community.cases.services.errors import CaseError
from support_community.extensions import db

CHUNK = 1024 * 1024
FILES_PER_UPLOAD = 10
FILENAME_MAX = 255
# Enough of the start of a file to recognize it.
HEAD_BYTES = 4096


class AttachmentError(CaseError):
    """A file that cannot be attached (too large, a type not allowed, a name that does not fit)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, field="attachments")


@dataclass(frozen=True)
class FileType:
    kind: str
    content_type: str
    extensions: frozenset[str]
    description: str  # shown in messages, in the reader's language


def _type(kind: str, content_type: str, extensions: str, description: str) -> FileType:
    return FileType(kind, content_type, frozenset(extensions.split()), description)


TYPES = {t.kind: t for t in (
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
)}

_OOXML_MAIN = {
    "docx": b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
    "xlsx": b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
}
_ODF_MIMETYPES = {
    b"application/vnd.oasis.opendocument.text": "odt",
    b"application/vnd.oasis.opendocument.spreadsheet": "ods",
}


def allowed_types_text() -> str:
    return _("PDF, PNG, JPEG, GIF, WEBP, text (.txt, .csv, .log), Word (.docx), Excel (.xlsx), "
             "OpenDocument (.odt, .ods) and ZIP")


def max_file_bytes() -> int:
    return int(float(current_app.config["ATTACHMENT_MAX_MB"]) * 1024 * 1024)


def max_case_bytes() -> int:
    return int(float(current_app.config["ATTACHMENTS_PER_CASE_MAX_MB"]) * 1024 * 1024)


def _megabytes(config_key: str) -> str:
    value = float(current_app.config[config_key])
    return format_decimal(value)


# -- what a file is --------------------------------------------------------------------------
@dataclass
class _Scan:
    size: int
    sha256: str
    head: bytes
    utf8: bool
    has_nul: bool


def _scan(stream: BinaryIO, limit: int, name: str) -> _Scan:
    """Read the whole stream once: size (refused past ``limit``), SHA-256, start, UTF-8 validity."""
    digest = hashlib.sha256()
    decoder = codecs.getincrementaldecoder("utf-8")()
    size, head, utf8, has_nul = 0, b"", True, False
    while True:
        chunk = stream.read(CHUNK)
        if not chunk:
            break
        size += len(chunk)
        if size > limit:
            raise AttachmentError(_("“%(name)s” is larger than %(max)s MB.", name=name,
                                    max=_megabytes("ATTACHMENT_MAX_MB")))
        digest.update(chunk)
        if len(head) < HEAD_BYTES:
            head += chunk[:HEAD_BYTES - len(head)]
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
    return _Scan(size=size, sha256=digest.hexdigest(), head=head, utf8=utf8, has_nul=has_nul)


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
    except (zipfile.BadZipFile, zipfile.LargeZipFile, KeyError, OSError, EOFError, ValueError,
            NotImplementedError, RuntimeError):
        return None
    finally:
        stream.seek(0)


def _looks_like_markup_or_script(head: bytes) -> bool:
    text = head.removeprefix(codecs.BOM_UTF8).lstrip()
    # Markup of any kind starts with "<" (HTML, SVG, XML); scripts with "#!".
    return text.startswith(b"<") or text.startswith(b"#!")


def detect_kind(stream: BinaryIO, scan: _Scan) -> str | None:
    """The allowed type of the content, or None when it is not one of them."""
    head = scan.head
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
    if scan.utf8 and not scan.has_nul and not _looks_like_markup_or_script(head):
        return "text"
    return None


def clean_filename(raw: str | None) -> str:
    """The last part of the name a browser sent, without control characters, at most 255 characters."""
    name = unicodedata.normalize("NFC", (raw or "").replace("\\", "/").rsplit("/", 1)[-1])
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip().strip(".")
    if len(name) > FILENAME_MAX:
        stem, extension = os.path.splitext(name)
        name = stem[:FILENAME_MAX - len(extension)] + extension
    return name


@dataclass
class Upload:
    """A file as a form sent it: the name the browser gave and its content."""

    filename: str
    stream: BinaryIO


@dataclass
class CheckedFile:
    filename: str
    stream: BinaryIO
    file_type: FileType
    size: int
    sha256: str


def check_file(upload: Upload) -> CheckedFile:
    """Accept ``upload`` or raise ``AttachmentError`` saying what is wrong with it."""
    name = clean_filename(upload.filename)
    shown = name or _("(no name)")
    extension = os.path.splitext(name)[1].lower()
    scan = _scan(upload.stream, max_file_bytes(), shown)
    if scan.size == 0:
        raise AttachmentError(_("“%(name)s” is empty.", name=shown))
    kind = detect_kind(upload.stream, scan)
    if kind is None:
        raise AttachmentError(_("“%(name)s” is not a type of file that can be attached. Allowed: %(types)s.",
                                name=shown, types=allowed_types_text()))
    file_type = TYPES[kind]
    if extension not in file_type.extensions:
        raise AttachmentError(_("“%(name)s” is a %(kind)s file, so its name must end in %(extensions)s.",
                                name=shown, kind=file_type.description,
                                extensions=" / ".join(sorted(file_type.extensions))))
    return CheckedFile(filename=name, stream=upload.stream, file_type=file_type, size=scan.size, sha256=scan.sha256)


def check_files(uploads: Sequence[Upload], *, case: Case | None = None) -> list[CheckedFile]:
    """Check every file and the case's total; raises on the first problem (nothing is stored then)."""
    if len(uploads) > FILES_PER_UPLOAD:
        raise AttachmentError(_("You can attach at most %(count)s files at a time.", count=FILES_PER_UPLOAD))
    checked = [check_file(upload) for upload in uploads]
    already = 0
    if case is not None:
        already = db.session.scalar(select(func.coalesce(func.sum(Attachment.size), 0))
                                    .where(Attachment.case_id == case.id)) or 0
    if already + sum(item.size for item in checked) > max_case_bytes():
        raise AttachmentError(_("A case can hold at most %(max)s MB of attachments; these files would "
                                "take it over that limit.", max=_megabytes("ATTACHMENTS_PER_CASE_MAX_MB")))
    return checked


@dataclass
class StoredFile:
    checked: CheckedFile
    key: str


def write_files(checked: Sequence[CheckedFile]) -> list[StoredFile]:
    """Write checked files to storage; they are deleted again if this transaction is rolled back."""
    store = storage_module.storage()
    written = []
    for item in checked:
        key = store.save(item.stream)
        storage_module.track_new_file(db.session, store, key)
        written.append(StoredFile(item, key))
    return written


def add_rows(case_id: uuid.UUID, written: Sequence[StoredFile], *, actor: Person,
             message: CaseMessage | None = None, internal: bool = False) -> list[Attachment]:
    """The attachment rows of files ``write_files`` stored (the case's row must exist)."""
    now = utcnow()
    rows = []
    for item in written:
        rows.append(Attachment(case_id=case_id, message_id=message.id if message is not None else None,
                               uploaded_by_sub=actor.sub, filename=item.checked.filename,
                               content_type=item.checked.file_type.content_type, size=item.checked.size,
                               sha256=item.checked.sha256, storage_key=item.key, is_internal=internal,
                               created_at=now))
    db.session.add_all(rows)
    db.session.flush()
    return rows


def store_files(case: Case, checked: Sequence[CheckedFile], *, actor: Person,
                message: CaseMessage | None = None, internal: bool = False) -> list[Attachment]:
    """Write checked files and add their rows to an existing case."""
    return add_rows(case.id, write_files(checked), actor=actor, message=message, internal=internal)


# -- reading ---------------------------------------------------------------------------------
def find_public_attachment(case: Case, attachment_id: uuid.UUID) -> Attachment | None:
    """An attachment of ``case`` a customer may download (never one of an internal note)."""
    return db.session.scalar(select(Attachment).where(Attachment.id == attachment_id,
                                                      Attachment.case_id == case.id,
                                                      Attachment.is_internal.is_(False)))


def open_content(attachment: Attachment) -> BinaryIO:
    """The stored file (``FileNotFoundError`` when storage lost it)."""
    return storage_module.storage().open(attachment.storage_key)


# -- files no row names ----------------------------------------------------------------------
def purge_orphans(*, older_than: dt.timedelta = dt.timedelta(hours=1), batch_size: int = 500) -> int:
    """Delete stored files that no attachment names (a process died between writing and committing).

    Files younger than ``older_than`` are left alone: their transaction may still be running.
    """
    store = storage_module.storage()
    now = utcnow()
    removed = 0
    batch: list[str] = []

    def flush_batch() -> int:
        known = set(db.session.scalars(select(Attachment.storage_key).where(Attachment.storage_key.in_(batch))))
        for key in batch:
            if key not in known:
                store.delete(key)
        count = len(batch) - len(known)
        batch.clear()
        return count

    for key, written in store.keys():
        if now - written > older_than:
            batch.append(key)
            if len(batch) >= batch_size:
                removed += flush_batch()
    if batch:
        removed += flush_batch()
    return removed
