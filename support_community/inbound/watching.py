"""``community mail fetch``'s long run: the mailbox kept open, new mail handled as soon as the server announces it.

One round stores everything waiting in the mailbox (``receiving.fetch``: stored, then
deleted) and handles what is due (``processing.process_due``). Between rounds the
watcher waits:

- with IMAP IDLE (RFC 2177) when the server offers it: the server says ``EXISTS`` when a
  mail arrives and the next round starts at once; the IDLE is renewed after
  ``COMMUNITY_IMAP_IDLE_SECONDS`` (at most 29 minutes, as the RFC asks);
- otherwise (or with ``COMMUNITY_IMAP_IDLE_SECONDS=0``) ``COMMUNITY_IMAP_POLL_SECONDS``.

Either wait ends early when a stored mail is due to be tried again. A connection that
drops (the server restarts, a firewall forgets it) or a database that is away ends the
round; the watcher reconnects after a pause that doubles up to ``RECONNECT_MAX_SECONDS``.
What was not stored is still in the mailbox and is taken in the next round. ``should_stop``
(set by SIGTERM/SIGINT) is asked between messages and at least every second while
waiting: the message in hand is finished, nothing else begins.
"""

from __future__ import annotations

import logging
import selectors
import time
from collections.abc import Callable

from flask import Flask
from imapclient import IMAPClient

from shared.database import utcnow
from support_community.extensions import db
from support_community.inbound import processing, receiving
from support_community.inbound.receiving import MailboxError, MailboxNotSetError

log = logging.getLogger(__name__)

STOP_CHECK_SECONDS = 1.0  # how often a wait looks at ``should_stop``
MIN_WAIT_SECONDS = 1.0  # a wait is never shorter: a mail due now but locked elsewhere must not make a busy loop
RECONNECT_FIRST_SECONDS = 1.0
RECONNECT_MAX_SECONDS = 60.0


def watch(
    app: Flask,
    *,
    poll_seconds: float | None = None,
    idle_seconds: float | None = None,
    should_stop: Callable[[], bool] = lambda: False,
) -> None:
    """Take and handle the mailbox's mail until ``should_stop``: IDLE where the server offers it, else polling."""
    poll = app.config["COMMUNITY_IMAP_POLL_SECONDS"] if poll_seconds is None else poll_seconds
    idle = app.config["COMMUNITY_IMAP_IDLE_SECONDS"] if idle_seconds is None else idle_seconds
    where = f"{app.config['COMMUNITY_IMAP_HOST']}:{app.config['COMMUNITY_IMAP_PORT']}"
    failures = 0
    while not should_stop():
        try:
            connection = receiving.connect(app.config)
        except MailboxNotSetError:
            raise
        except MailboxError as error:
            failures += 1
            _handle_stored(should_stop)  # mail stored earlier is handled while the mailbox is away
            _pause_after_failure(failures, error, should_stop)
            continue
        try:
            uses_idle = idle > 0 and connection.has_capability("IDLE")
            if uses_idle:
                log.info("inbound: reading the mailbox at %s, with IDLE", where)
            else:
                log.info(
                    "inbound: reading the mailbox at %s every %g s (%s)",
                    where,
                    poll,
                    "IDLE switched off" if idle <= 0 else "the server does not offer IDLE",
                )
            while not should_stop():
                _take_all(app, connection, should_stop)
                failures = 0
                _handle_stored(should_stop)
                if should_stop():
                    break
                if uses_idle:
                    _idle(connection, _wait(idle, poll), should_stop)
                else:
                    seconds = _wait(poll, poll)
                    log.debug("inbound: next read of the mailbox in %.0f s", seconds)
                    _pause(seconds, should_stop)
        except Exception as error:  # the connection dropped, the database is away: what was not stored waits
            db.session.rollback()
            failures += 1
            _pause_after_failure(failures, error, should_stop)
        finally:
            receiving.close(connection)
    log.info("inbound: stopped reading the mailbox")


def _take_all(app: Flask, connection: IMAPClient, should_stop: Callable[[], bool]) -> None:
    """Store what the mailbox holds, until a fresh look (SELECT's UIDNEXT) shows nothing arrived meanwhile.

    The server announces a new mail once, in the answer to whichever command runs when it
    arrives; one that arrived during this round is not announced again in the IDLE after.
    """
    folder = app.config["COMMUNITY_IMAP_FOLDER"]
    before = _uid_next(connection, folder)
    while not should_stop():
        stored = receiving.fetch(app, connection=connection, should_stop=should_stop)
        if stored:
            log.info("inbound: %s mail(s) stored from the mailbox", stored)
        after = _uid_next(connection, folder)
        if stored < receiving.FETCH_LIMIT and (after == before if after is not None else stored == 0):
            return
        before = after


def _uid_next(connection: IMAPClient, folder: str) -> int | None:
    """The UID the next mail will get (None when the server does not say); selecting again also syncs the view."""
    try:
        value = connection.select_folder(folder).get(b"UIDNEXT")
    except receiving.IMAP_ERRORS as error:
        raise MailboxError(f"the folder {folder!r} cannot be opened: {error}") from error
    return int(value) if value is not None else None


def _handle_stored(should_stop: Callable[[], bool]) -> None:
    try:
        while processing.process_due(should_stop=should_stop) and not should_stop():
            pass
    except Exception as error:  # the database is away: the stored mail waits, the next round tries again
        db.session.rollback()
        log.warning("inbound: handling stored mail failed: %s", error)


def _wait(longest: float, when_unknown: float) -> float:
    """Seconds to wait for new mail: ``longest``, or less when a stored mail is due to be tried again sooner."""
    try:
        due = processing.next_due()
    except Exception as error:  # the database is away: look again after a poll interval
        db.session.rollback()
        log.warning("inbound: cannot tell when stored mail is due: %s", error)
        return max(min(longest, when_unknown), MIN_WAIT_SECONDS)
    if due is not None:
        longest = min(longest, (due - utcnow()).total_seconds())
    return max(longest, MIN_WAIT_SECONDS)


def _idle(connection: IMAPClient, seconds: float, should_stop: Callable[[], bool]) -> None:
    """IDLE until the server announces new mail (``EXISTS``), ``seconds`` pass, or ``should_stop``.

    The server closing the connection ends the IDLE too: ``DONE`` then fails, and the
    watcher reconnects. A ``BYE`` (the server shuts down) is such an end, said aloud.
    """
    log.debug("inbound: waiting for new mail with IDLE for up to %.0f s", seconds)
    connection.idle()
    deadline = time.monotonic() + seconds
    with selectors.DefaultSelector() as selector:
        selector.register(connection.socket(), selectors.EVENT_READ)
        while not should_stop() and (left := deadline - time.monotonic()) > 0:
            if not selector.select(min(left, STOP_CHECK_SECONDS)):
                continue
            responses = connection.idle_check(timeout=0)
            if any(len(response) > 1 and response[0] == b"BYE" for response in responses):
                raise MailboxError(f"the server ended the session: {responses!r}")
            if not responses or any(len(response) > 1 and response[1] == b"EXISTS" for response in responses):
                break  # new mail; or the connection closed (nothing to read), which DONE will show
    connection.idle_done()


def _pause_after_failure(failures: int, error: BaseException, should_stop: Callable[[], bool]) -> None:
    seconds = min(RECONNECT_FIRST_SECONDS * 2 ** min(failures - 1, 16), RECONNECT_MAX_SECONDS)
    log.warning("inbound: reading the mailbox failed (%s); trying again in %.0f s", error, seconds)
    _pause(seconds, should_stop)


def _pause(seconds: float, should_stop: Callable[[], bool]) -> None:
    deadline = time.monotonic() + seconds
    while not should_stop() and (left := deadline - time.monotonic()) > 0:
        time.sleep(min(left, 0.2))
