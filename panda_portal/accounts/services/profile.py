"""A person's own details: name and language."""

from __future__ import annotations

from flask_babel import gettext as _

from panda_portal.accounts.models import Account
from panda_portal.accounts.names import name_problem
from panda_portal.accounts.services.errors import AccountError
from panda_portal.accounts.services.history import record_change
from panda_portal.accounts.services.lookup import supported_language
from panda_portal.extensions import db


def check_name(name: str) -> None:
    """``AccountError`` on the field ``name`` when ``name`` (stripped) cannot be a person's name."""
    problem = name_problem(name)
    if problem:
        raise AccountError(problem, field="name")


def update_profile(account: Account, name: str, language: str, *, actor: Account | None) -> None:
    name = name.strip()
    if not name:
        raise AccountError(_("Enter your name."), field="name")
    check_name(name)
    changed = {}
    if name != account.name:
        changed["name"] = name
    if supported_language(language) != account.language:
        changed["language"] = supported_language(language)
    if not changed:
        return
    for field, value in changed.items():
        setattr(account, field, value)
    db.session.flush()
    record_change("profile_updated", account, actor=actor, **changed)
