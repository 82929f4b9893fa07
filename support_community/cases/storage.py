"""Where attachment files live: outside the web root, under random names.

``AttachmentStorage`` is the small interface the cases domain uses; ``LocalStorage``
keeps files in a folder (``ATTACHMENT_STORAGE_PATH``). Another backend (an S3-like
object store, say) only has to offer the same five methods.

Files are written before the database row that names them is committed. So that a
transaction that fails does not leave files behind, ``track_new_file`` remembers each
new file on the database session: a rollback deletes them, a commit keeps them.
``services.attachments.purge_orphans`` is the safety net for a process that died in between.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import secrets
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, Protocol

from flask import Flask, current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

_KEY = re.compile(r"^[0-9a-f]{32}$")
_PENDING = "attachments_written_in_this_transaction"


class AttachmentStorage(Protocol):
    def save(self, stream: BinaryIO) -> str:
        """Store the stream's content under a new random key; returns the key."""

    def open(self, key: str) -> BinaryIO:
        """The stored content, for reading (``FileNotFoundError`` when it is gone)."""

    def delete(self, key: str) -> None:
        """Forget the content (no error when it is already gone)."""

    def keys(self) -> Iterator[tuple[str, dt.datetime]]:
        """Every stored key with the time it was written."""


def new_key() -> str:
    return secrets.token_hex(16)


class LocalStorage:
    """Files in a folder, two levels deep (``ab/abcdef…``) so no folder grows too large."""

    def __init__(self, root: str | os.PathLike) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)

    def _path(self, key: str) -> Path:
        if not _KEY.match(key):  # never a path of someone's choosing
            raise FileNotFoundError(key)
        return self.root / key[:2] / key

    def save(self, stream: BinaryIO) -> str:
        key = new_key()
        path = self._path(key)
        path.parent.mkdir(exist_ok=True, mode=0o700)
        # Written under a temporary name and renamed, so a half-written file never has a key.
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        try:
            with os.fdopen(handle, "wb") as out:
                shutil.copyfileobj(stream, out, length=1024 * 1024)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return key

    def open(self, key: str) -> BinaryIO:
        return self._path(key).open("rb")

    def delete(self, key: str) -> None:
        try:
            self._path(key).unlink(missing_ok=True)
        except FileNotFoundError:
            pass

    def keys(self) -> Iterator[tuple[str, dt.datetime]]:
        for folder in sorted(self.root.iterdir()):
            if not folder.is_dir() or len(folder.name) != 2:
                continue
            for path in folder.iterdir():
                if _KEY.match(path.name):
                    written = dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC)
                    yield path.name, written


def storage(app: Flask | None = None) -> AttachmentStorage:
    """The app's attachment storage (made once per app, its folder created if missing)."""
    app = app or current_app
    found = app.extensions.get("attachment_storage")
    if found is None:
        found = LocalStorage(app.config["ATTACHMENT_STORAGE_PATH"])
        app.extensions["attachment_storage"] = found
    return found


# -- files written in a transaction that then fails ------------------------------------------
def track_new_file(session: Session, store: AttachmentStorage, key: str) -> None:
    """Delete the file ``key`` again if ``session``'s transaction is rolled back."""
    session.info.setdefault(_PENDING, []).append((store, key))


@event.listens_for(Session, "after_commit")
def _keep_files(session: Session) -> None:
    session.info.pop(_PENDING, None)


@event.listens_for(Session, "after_soft_rollback")
def _delete_files(session: Session, previous_transaction) -> None:
    # Only the outermost transaction decides: a savepoint rolled back inside it may be retried.
    if previous_transaction.parent is not None:
        return
    for store, key in session.info.pop(_PENDING, []):
        store.delete(key)
