"""Panda's API object and how it joins the app (``init_api``)."""

from __future__ import annotations

import logging

from flask import Flask, Response
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy.exc import SQLAlchemyError

from panda_portal.api.common import refused
from shared.api import Api, ApiProblem, current_caller
from shared.errors import DomainError

logger = logging.getLogger(__name__)

api = Api(
    "api",
    __name__,
    title="Panda API",
    version="1.0.0",
    description=(
        "Organizations, their members, requests to join and invitations, for the people who administer them; "
        "the customer register and every organization for the vendor's staff. Authenticate with a bearer token: "
        "an access token issued by Panda for the audience urn:panda:api, or a personal access token."
    ),
)


@api.blueprint.errorhandler(DomainError)
def _refused(error: DomainError) -> ResponseReturnValue:
    return refused(error).response()


@api.blueprint.before_request
def _refuse_personal_tokens_where_forbidden() -> None:
    """An organization that forbids personal access tokens is refused to them (after the access check)."""
    from flask import g, request

    from panda_portal.organizations.permissions import current_organization
    from panda_portal.personal_tokens.services import TOKEN_TYPE, forbids_personal_tokens

    if g.get("api_caller") is None or "org_id" not in (request.view_args or {}):
        return
    if current_caller().token_type == TOKEN_TYPE and g.get("org_context"):
        if forbids_personal_tokens(current_organization()):
            raise ApiProblem(403, _("This organization does not accept personal access tokens."))


@api.blueprint.after_request
def record_token_use(response: Response) -> Response:
    """A personal access token's last use, in a short transaction of its own after the view's."""
    from flask import g
    from sqlalchemy import update

    from panda_portal.extensions import db
    from panda_portal.personal_tokens.models import PersonalAccessToken
    from shared.database import utcnow

    token_id = g.pop("personal_token_used", None)
    if token_id is None:
        return response
    try:
        db.session.rollback()  # whatever the view left uncommitted is not ours to keep
        db.session.execute(
            update(PersonalAccessToken).where(PersonalAccessToken.id == token_id).values(last_used_at=utcnow())
        )
        db.session.commit()
    except SQLAlchemyError:
        db.session.rollback()
        logger.warning("could not record the use of personal access token %s", token_id, exc_info=True)
    return response


def init_api(app: Flask) -> None:
    import panda_portal.api.views.admin
    import panda_portal.api.views.orgs
    import panda_portal.api.views.vendor  # noqa: F401  (the routes register themselves)
    from panda_portal.api.auth import resolve_token
    from panda_portal.api.models import IdempotentRequest
    from panda_portal.extensions import csrf, db, limiter

    api.init_app(
        app,
        db=db,
        resolver=resolve_token,
        idempotency_model=IdempotentRequest,
        csrf=csrf,
        limiter=limiter,
        rate_limit=app.config["PANDA_API_RATE_LIMIT"],
    )
