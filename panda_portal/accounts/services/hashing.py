"""Passwords are hashed outside database transactions.

Argon2id spends tens of milliseconds and 19 MiB on every hash, on purpose. A transaction
left open meanwhile would hold what it holds that long: on SQLite every transaction of a
request holds the database's write lock (``BEGIN IMMEDIATE``, see ``shared.database``),
so the sign-ins of every other worker would queue behind each hash; on PostgreSQL it
keeps a pooled connection and its snapshot. The use cases read what they need, hash
through the two functions below, then write in a new transaction.

Before hashing, these end the session's transaction when it has only read. Nothing is
written by that: it is the end of a read, not a commit of the use case, and the objects
read stay loaded. A transaction that has written is left alone, as ending it would commit
its caller's work halfway, and the hash runs inside it: only operators' commands do that
(``panda demo`` makes several accounts in one transaction). The sign-in, registration,
reset and change of a password never do; ``tests/portal/accounts/test_hashing.py`` holds
each of them to it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction

from panda_portal.accounts import passwords
from panda_portal.extensions import db

_WROTE = "panda_accounts_wrote"


def new_password_hash(password: str) -> str:
    """The hash to store for ``password``."""
    end_read_transaction()
    return passwords.hash_password(password)


def password_matches(stored_hash: str | None, password: str) -> bool:
    """Whether ``password`` is the one ``stored_hash`` was made from (as slow when there is none)."""
    end_read_transaction()
    return passwords.verify_password(stored_hash, password)


def burn_verification_time(password: str) -> None:
    """Spend the time checking a password takes, when there is no account to check it for."""
    end_read_transaction()
    passwords.burn_verification_time(password)


def end_read_transaction() -> None:
    """End the session's transaction if it has only read; one that has written stays open."""
    session = db.session
    if not session.in_transaction() or has_written(session):
        return
    session.commit()  # nothing to write: only the transaction (and its lock) ends


def has_written(session: Session) -> bool:
    """Whether ``session``'s transaction holds (or is about to flush) a change."""
    return bool(session.info.get(_WROTE) or session.new or session.dirty or session.deleted)


# Every session of the process tells whether its transaction has written: a flush, or an
# UPDATE/DELETE/INSERT statement (links used up, sessions ended).
@event.listens_for(Session, "after_flush")
def _flushed(session: Session, _context: Any) -> None:
    session.info[_WROTE] = True


@event.listens_for(Session, "do_orm_execute")
def _executed(state: ORMExecuteState) -> None:
    if not state.is_select:
        state.session.info[_WROTE] = True


@event.listens_for(Session, "after_transaction_end")
def _ended(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(_WROTE, None)
