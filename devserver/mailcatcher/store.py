"""The caught messages: kept in SQLite (a file under instance/, or in memory), newest first."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import json
import re
import sqlite3
import threading
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any

MAX_MESSAGES = 1000
LINK = re.compile(r"https?://[^\s<>\"']+")


@dataclass(frozen=True)
class CaughtMessage:
    id: int
    received_at: dt.datetime
    envelope_sender: str
    recipients: list[str]
    sender: str
    subject: str
    raw: bytes

    def parsed(self) -> EmailMessage:
        return email.message_from_bytes(self.raw, policy=email.policy.default)

    def _part(self, subtype: str) -> str | None:
        try:
            part = self.parsed().get_body(preferencelist=(subtype,))
            return part.get_content() if part is not None else None
        except (LookupError, ValueError, TypeError, AttributeError):
            return None

    @property
    def text(self) -> str | None:
        return self._part("plain")

    @property
    def html(self) -> str | None:
        return self._part("html")

    def attachments(self) -> list[str]:
        try:
            return [part.get_filename() or "(unnamed)" for part in self.parsed().iter_attachments()]
        except (LookupError, ValueError, TypeError, AttributeError):
            return []

    def headers(self) -> list[tuple[str, str]]:
        """Every header of the message in order, decoded (``Reply-To``, ``Message-ID``, ``References``, …)."""
        try:
            items = self.parsed().items()
        except (LookupError, ValueError, TypeError, AttributeError):
            return []
        shown = []
        for name, value in items:
            try:
                text = str(value)
            except (LookupError, ValueError, TypeError, AttributeError):
                text = "(cannot be read)"
            shown.append((name, " ".join(text.split())))
        return shown

    def summary(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "received_at": self.received_at.isoformat(),
            "subject": self.subject,
            "from": self.sender,
            "to": self.recipients,
            "envelope_from": self.envelope_sender,
        }

    def detail(self) -> dict[str, Any]:
        html_part = self.html
        return self.summary() | {
            "text": self.text,
            "html": html_part,
            "attachments": self.attachments(),
            "links": links_in(self.text or ""),
            "headers": [[name, value] for name, value in self.headers()],
        }


def links_in(text: str) -> list[str]:
    return [trim_link(match.group(0)) for match in LINK.finditer(text)]


def trim_link(url: str) -> str:
    # A sentence's full stop or closing bracket is not part of the link.
    return url.rstrip(".,;:!?)]}")


def _header(message: EmailMessage, name: str) -> str:
    try:
        value = message[name]
    except (LookupError, ValueError, TypeError):
        return ""
    return " ".join(str(value or "").split())


class MessageStore:
    """The caught messages, newest first, at most ``limit`` of them. Safe across threads."""

    def __init__(self, path: str | Path = ":memory:", limit: int = MAX_MESSAGES) -> None:
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.limit = limit
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(str(path), check_same_thread=False)
        self._conn.execute(
            "CREATE TABLE IF NOT EXISTS messages ("
            " id INTEGER PRIMARY KEY AUTOINCREMENT, received_at TEXT NOT NULL,"
            " envelope_sender TEXT NOT NULL, recipients TEXT NOT NULL, sender TEXT NOT NULL,"
            " subject TEXT NOT NULL, raw BLOB NOT NULL)"
        )
        self._conn.commit()

    def add(self, envelope_sender: str, recipients: list[str], raw: bytes) -> int:
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        row = (
            dt.datetime.now(dt.UTC).isoformat(),
            envelope_sender or "",
            json.dumps(list(recipients)),
            _header(parsed, "From") or envelope_sender or "",
            _header(parsed, "Subject"),
            raw,
        )
        with self._lock:
            cursor = self._conn.execute(
                "INSERT INTO messages (received_at, envelope_sender, recipients, sender, subject, raw)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                row,
            )
            self._conn.execute(
                "DELETE FROM messages WHERE id <= (SELECT id FROM messages ORDER BY id DESC LIMIT 1 OFFSET ?)",
                (self.limit,),
            )
            self._conn.commit()
            return int(cursor.lastrowid or 0)

    def all(self) -> list[CaughtMessage]:
        with self._lock:
            rows = self._conn.execute("SELECT * FROM messages ORDER BY id DESC").fetchall()
        return [self._message(row) for row in rows]

    def get(self, message_id: int) -> CaughtMessage | None:
        with self._lock:
            row = self._conn.execute("SELECT * FROM messages WHERE id = ?", (message_id,)).fetchone()
        return self._message(row) if row else None

    def clear(self) -> None:
        with self._lock:
            self._conn.execute("DELETE FROM messages")
            self._conn.commit()

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    @staticmethod
    def _message(row: tuple) -> CaughtMessage:
        return CaughtMessage(
            id=row[0],
            received_at=dt.datetime.fromisoformat(row[1]),
            envelope_sender=row[2],
            recipients=json.loads(row[3]),
            sender=row[4],
            subject=row[5],
            raw=bytes(row[6]),
        )
