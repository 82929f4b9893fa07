"""What every view of Panda's API shares: the acting person, the organization, pages, refusals."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from flask import g, jsonify
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from pydantic import BaseModel

from panda_portal.accounts.models import Account
from panda_portal.extensions import db
from panda_portal.organizations.models import Organization
from panda_portal.organizations.permissions import current_organization
from shared.api import ApiProblem, add_link_header, current_caller, decode_cursor, encode_cursor, next_url
from shared.errors import DomainError

T = TypeVar("T")


def acting_person() -> Account:
    """The person the token acts for (a client acting for itself has none here: 403)."""
    account = g.get("api_account")
    if account is None:
        raise ApiProblem(403, _("Only a person's token can do this."))
    return account


def organization() -> Organization:
    """The organization of the URL, resolved (and checked) by the access marker's capability."""
    return current_organization()


def is_vendor_staff() -> bool:
    """The vendor's staff: a support agent's token, or a client of the vendor acting for itself."""
    caller = current_caller()
    if not caller.is_person:
        return True
    account = g.get("api_account")
    return bool(account is not None and account.is_support_agent)


def require_vendor_staff() -> None:
    if not is_vendor_staff():
        raise ApiProblem(403, _("Only the vendor's staff can do this."))


def offset_of(cursor: str | None) -> int:
    position = decode_cursor(cursor) or {}
    offset = position.get("o", 0)
    if not isinstance(offset, int) or offset < 0:
        raise ApiProblem(422, errors=[{"field": "cursor", "message": _("Not a cursor of this list.")}])
    return offset


def page_of(rows: Sequence[T], offset: int, limit: int) -> tuple[Sequence[T], str | None]:
    """``rows`` holds up to ``limit + 1`` rows from ``offset``: the page, and the next page's address."""
    more = len(rows) > limit
    return rows[:limit], next_url(encode_cursor({"o": offset + limit})) if more else None


def paged(items: list[BaseModel], next_link: str | None, model: type[BaseModel]) -> ResponseReturnValue:
    body = model.model_validate({"items": items, "next": next_link}).model_dump(mode="json")
    return add_link_header(jsonify(body), next_link)


def answer(model: BaseModel, status: int = 200, headers: dict[str, str] | None = None) -> ResponseReturnValue:
    response = jsonify(model.model_dump(mode="json"))
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def refused(error: DomainError) -> ApiProblem:
    """A use case the services refused, as a problem: the field at fault named when there is one."""
    db.session.rollback()
    if error.field:
        return ApiProblem(422, error.message, errors=[{"field": error.field, "message": error.message}])
    return ApiProblem(409, error.message)
