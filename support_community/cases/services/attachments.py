"""Files attached to a case: checked on their content, limited in size, stored under random names.

A file is accepted when its *content* is one of the allowed types (PDF, PNG, JPEG,
GIF, WEBP, UTF-8 text, Word/Excel OOXML, OpenDocument text/spreadsheet, ZIP; see
``cases.file_types``) and its name's extension fits that type. Markup (HTML, SVG,
XML), scripts and executables are refused whatever they are called. The files
themselves live in ``cases.storage``.
"""

from __future__ import annotations

import datetime as dt
import os
import unicodedata
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import BinaryIO

from flask import current_app
from flask_babel import format_decimal
from flask_babel import gettext as _
from sqlalchemy import func, select

from shared.database import utcnow
from support_community.cases import file_types
from support_community.cases import storage as storage_module
from support_community.cases.models import Attachment, Case, CaseMessage, Person
from support_community.cases.services.errors import CaseError
from support_community.extensions import db

FILES_PER_UPLOAD = 10
FILENAME_MAX = 255


class AttachmentError(CaseError):
    """A file that cannot be attached (too large, a type not allowed, a name that does not fit)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, field="attachments")


def allowed_types_text() -> str:
    return _(
        "PDF, PNG, JPEG, GIF, WEBP, text (.txt, .csv, .log), Word (.docx), Excel (.xlsx), "
        "OpenDocument (.odt, .ods) and ZIP"
    )


def max_file_bytes() -> int:
    return int(float(current_app.config["ATTACHMENT_MAX_MB"]) * 1024 * 1024)


def max_case_bytes() -> int:
    return int(float(current_app.config["ATTACHMENTS_PER_CASE_MAX_MB"]) * 1024 * 1024)


def _megabytes(config_key: str) -> str:
    value = float(current_app.config[config_key])
    return format_decimal(value)


# -- checking a file ------------------------------------------------------------------------
def clean_filename(raw: str | None) -> str:
    """The last part of the name a browser sent, without control characters, at most 255 characters."""
    name = unicodedata.normalize("NFC", (raw or "").replace("\\", "/").rsplit("/", 1)[-1])
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip().strip(".")
    if len(name) > FILENAME_MAX:
        stem, extension = os.path.splitext(name)
        name = stem[: FILENAME_MAX - len(extension)] + extension
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
    file_type: file_types.FileType
    size: int
    sha256: str


def check_file(upload: Upload) -> CheckedFile:
    """Accept ``upload`` or raise ``AttachmentError`` saying what is wrong with it."""
    name = clean_filename(upload.filename)
    shown = name or _("(no name)")
    extension = os.path.splitext(name)[1].lower()
    try:
        scanned = file_types.scan(upload.stream, max_file_bytes())
    except file_types.FileTooLarge:
        raise AttachmentError(
            _("“%(name)s” is larger than %(max)s MB.", name=shown, max=_megabytes("ATTACHMENT_MAX_MB"))
        ) from None
    if scanned.size == 0:
        raise AttachmentError(_("“%(name)s” is empty.", name=shown))
    kind = file_types.detect_kind(upload.stream, scanned)
    if kind is None:
        raise AttachmentError(
            _(
                "“%(name)s” is not a type of file that can be attached. Allowed: %(types)s.",
                name=shown,
                types=allowed_types_text(),
            )
        )
    file_type = file_types.TYPES[kind]
    if extension not in file_type.extensions:
        raise AttachmentError(
            _(
                "“%(name)s” is a %(kind)s file, so its name must end in %(extensions)s.",
                name=shown,
                kind=file_type.description,
                extensions=" / ".join(sorted(file_type.extensions)),
            )
        )
    return CheckedFile(
        filename=name, stream=upload.stream, file_type=file_type, size=scanned.size, sha256=scanned.sha256
    )


def check_files(uploads: Sequence[Upload], *, case: Case | None = None) -> list[CheckedFile]:
    """Check every file and the case's total; raises on the first problem (nothing is stored then)."""
    if len(uploads) > FILES_PER_UPLOAD:
        raise AttachmentError(_("You can attach at most %(count)s files at a time.", count=FILES_PER_UPLOAD))
    checked = [check_file(upload) for upload in uploads]
    already = 0
    if case is not None:
        already = (
            db.session.scalar(select(func.coalesce(func.sum(Attachment.size), 0)).where(Attachment.case_id == case.id))
            or 0
        )
    if already + sum(item.size for item in checked) > max_case_bytes():
        raise AttachmentError(
            _(
                "A case can hold at most %(max)s MB of attachments; these files would take it over that limit.",
                max=_megabytes("ATTACHMENTS_PER_CASE_MAX_MB"),
            )
        )
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


def add_rows(
    case_id: uuid.UUID,
    written: Sequence[StoredFile],
    *,
    actor: Person,
    message: CaseMessage | None = None,
    internal: bool = False,
) -> list[Attachment]:
    """The attachment rows of files ``write_files`` stored (the case's row must exist)."""
    now = utcnow()
    rows = []
    for item in written:
        rows.append(
            Attachment(
                case_id=case_id,
                message_id=message.id if message is not None else None,
                uploaded_by_sub=actor.sub,
                filename=item.checked.filename,
                content_type=item.checked.file_type.content_type,
                size=item.checked.size,
                sha256=item.checked.sha256,
                storage_key=item.key,
                is_internal=internal,
                created_at=now,
            )
        )
    db.session.add_all(rows)
    db.session.flush()
    return rows


def store_files(
    case: Case,
    checked: Sequence[CheckedFile],
    *,
    actor: Person,
    message: CaseMessage | None = None,
    internal: bool = False,
) -> list[Attachment]:
    """Write checked files and add their rows to an existing case."""
    return add_rows(case.id, write_files(checked), actor=actor, message=message, internal=internal)


# -- reading ---------------------------------------------------------------------------------
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
