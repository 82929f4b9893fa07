"""The API of webhook subscriptions, the same in both services: routes made on a service's API blueprint.

``add_api_routes`` adds, under ``prefix``, the list (``GET``), a new subscription
(``POST``: its secret is in this answer only), one subscription (``GET``) and its removal
(``DELETE``), each with the service's scope and capability, calling the same
``Webhooks`` service as the pages (so each change is recorded as on the pages). A
subscription of another owner is a 404. An organization's and the vendor's subscriptions
are both made this way (the vendor's by its staff: agents).

Whether a URL may be subscribed depends on where its host leads when it is sent (DNS, a
private network): no schema can say it, so that refusal is a declared 422 naming ``url``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, abort, jsonify, url_for
from flask.typing import ResponseReturnValue

from shared.access import api_scope
from shared.api import PROBLEM_TYPE, Answer, ApiProblem, Problem, json_body, operation
from shared.database import Database
from shared.errors import DomainError
from shared.webhooks.schemas import NewWebhook, Webhook, WebhookCreated, WebhookList, webhook_out
from shared.webhooks.service import Webhooks


def add_api_routes(
    bp: Blueprint,
    *,
    name: str,
    prefix: str,
    scope: str,
    capability: str,
    webhooks: Callable[[], Webhooks],
    owner: Callable[[dict], Any],
    actor_id: Callable[[], str],
    db: Database,
    who: str,
) -> None:
    """Add ``<bp>.webhooks_<name>_list``, ``_create``, ``_detail`` and ``_delete``;
    ``who`` names the owners in the document ("an organization's administrators", "the vendor")."""
    tags = ["webhooks"]

    def subscription_or_404(view_args: dict) -> Any:
        subscription = webhooks().find(owner(view_args), view_args["subscription_id"])
        if subscription is None:
            abort(404)
        return subscription

    def _json(model: Webhook, status: int = 200) -> ResponseReturnValue:
        response = jsonify(model.model_dump(mode="json"))
        response.status_code = status
        return response

    @api_scope(scope, capability=capability)
    @operation(summary=f"Webhook subscriptions of {who}", tags=tags, responses={200: WebhookList})
    def list_view(**view_args: Any) -> ResponseReturnValue:
        items = [webhook_out(s) for s in webhooks().subscriptions(owner(view_args))]
        return jsonify(WebhookList(items=items).model_dump(mode="json"))

    @api_scope(scope, capability=capability)
    @operation(
        summary=f"Subscribe a URL to events ({who})",
        description="The answer holds the signing secret; it is never shown again. A URL on a private, loopback "
        "or link-local address, or an unknown event type, is refused with 422 naming the field.",
        tags=tags,
        body=NewWebhook,
        responses={
            201: Answer(WebhookCreated, headers={"Location": "The subscription's address."}),
            422: Answer(
                Problem,
                PROBLEM_TYPE,
                description="A field is not valid (`errors` names it): the URL is empty, not http(s), its host "
                "cannot be resolved or leads to a private, loopback or link-local address; no event chosen, or one "
                "that is unknown or not for this owner; or the Idempotency-Key was used with another body.",
            ),
        },
    )
    def create_view(**view_args: Any) -> ResponseReturnValue:
        new = json_body(NewWebhook)
        try:
            subscription, secret = webhooks().create(
                organization_id=owner(view_args),
                url=new.url,
                description=new.description,
                events=new.events,
                actor_id=actor_id(),
            )
            db.session.commit()
        except DomainError as error:
            db.session.rollback()
            raise ApiProblem(
                422, str(error.message), errors=[{"field": error.field or "url", "message": str(error.message)}]
            ) from error
        response = jsonify(webhook_out(subscription, WebhookCreated, secret=secret).model_dump(mode="json"))
        response.status_code = 201
        response.headers["Location"] = url_for(
            f"{bp.name}.webhooks_{name}_detail", subscription_id=subscription.id, **view_args
        )
        response.headers["Cache-Control"] = "no-store"
        return response

    @api_scope(scope, capability=capability)
    @operation(summary=f"One webhook subscription ({who})", tags=tags, responses={200: Webhook})
    def detail_view(**view_args: Any) -> ResponseReturnValue:
        return _json(webhook_out(subscription_or_404(view_args)))

    @api_scope(scope, capability=capability)
    @operation(summary=f"Delete a webhook subscription ({who})", tags=tags, responses={204: None})
    def delete_view(**view_args: Any) -> ResponseReturnValue:
        webhooks().delete(subscription_or_404(view_args), actor_id=actor_id())
        db.session.commit()
        return "", 204

    one = prefix + "/<uuid:subscription_id>"
    bp.add_url_rule(prefix, f"webhooks_{name}_list", list_view, methods=["GET"])
    bp.add_url_rule(prefix, f"webhooks_{name}_create", create_view, methods=["POST"])
    bp.add_url_rule(one, f"webhooks_{name}_detail", detail_view, methods=["GET"])
    bp.add_url_rule(one, f"webhooks_{name}_delete", delete_view, methods=["DELETE"])
