"""The management pages, the same in both services: routes made on a service's blueprint.

``add_routes`` adds, under ``prefix`` (``/orgs/<org_id>/webhooks`` for an organization's
administrators, ``/webhooks`` for the vendor), the list, the form of a new subscription,
its page (settings, deliveries and their attempts) and its buttons. Each view carries
``@requires(capability)``; ``owner`` turns the URL's arguments into the organization id
(None for the vendor), ``actor_id`` names the person acting.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, abort, flash, make_response, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from shared.access import requires
from shared.database import Database
from shared.errors import DomainError, report_error
from shared.webhooks.forms import ActionForm, SubscriptionForm
from shared.webhooks.service import Webhooks


def add_routes(
    bp: Blueprint,
    *,
    name: str,
    prefix: str,
    capability: str,
    webhooks: Callable[[], Webhooks],
    owner: Callable[[dict], Any],
    owner_title: Callable[[], str],
    actor_id: Callable[[], str],
    db: Database,
) -> None:
    """Add the routes ``<bp>.<name>_list``, ``_new``, ``_detail``, ``_rotate``, ``_pause``, ``_resume``,
    ``_delete``, ``_test`` and ``_redeliver``."""

    def commit() -> None:
        db.session.commit()

    def rollback() -> None:
        db.session.rollback()

    def endpoint(action: str) -> str:
        return f"{bp.name}.{name}_{action}"

    def page(template: str, status: int = 200, **context: Any) -> ResponseReturnValue:
        response = make_response(
            render_template(
                template,
                owner_title=owner_title(),
                vendor=context.pop("vendor"),
                endpoint=endpoint,
                url_args=context.pop("url_args"),
                **context,
            ),
            status,
        )
        # A page may show a secret: never kept by a browser or a proxy.
        response.headers["Cache-Control"] = "no-store"
        return response

    def subscription_or_404(view_args: dict) -> Any:
        subscription = webhooks().find(owner(view_args), view_args["subscription_id"])
        if subscription is None:
            abort(404)
        return subscription

    def form_for(vendor: bool, **kwargs: Any) -> SubscriptionForm:
        form = SubscriptionForm(**kwargs)
        form.events.choices = webhooks().event_choices(vendor=vendor)
        return form

    def base_args(view_args: dict) -> dict:
        return {key: value for key, value in view_args.items() if key == "org_id"}

    @requires(capability)
    def list_view(**view_args: Any) -> ResponseReturnValue:
        organization_id = owner(view_args)
        return page(
            "webhooks/list.html",
            subscriptions=webhooks().subscriptions(organization_id),
            vendor=organization_id is None,
            url_args=base_args(view_args),
        )

    @requires(capability)
    def new_view(**view_args: Any) -> ResponseReturnValue:
        organization_id = owner(view_args)
        vendor = organization_id is None
        form = form_for(vendor)
        status = 200
        if form.validate_on_submit():
            try:
                subscription, secret = webhooks().create(
                    organization_id=organization_id,
                    url=form.url.data,
                    description=form.description.data,
                    events=form.events.data or [],
                    actor_id=actor_id(),
                )
                commit()
            except DomainError as error:
                rollback()
                report_error(error, form)
                status = 400
            else:
                return _show_secret(subscription, secret, vendor, view_args)
        elif form.is_submitted():
            status = 400
        return page("webhooks/new.html", status, form=form, vendor=vendor, url_args=base_args(view_args))

    def _show_secret(subscription: Any, secret: str, vendor: bool, view_args: dict) -> ResponseReturnValue:
        return page(
            "webhooks/secret.html",
            subscription=subscription,
            secret=secret,
            vendor=vendor,
            url_args=base_args(view_args),
        )

    @requires(capability)
    def detail_view(**view_args: Any) -> ResponseReturnValue:
        subscription = subscription_or_404(view_args)
        vendor = subscription.is_vendor
        form = form_for(
            vendor,
            data={"url": subscription.url, "description": subscription.description, "events": subscription.events},
        )
        status = 200
        if form.validate_on_submit():
            try:
                webhooks().update(
                    subscription,
                    url=form.url.data,
                    description=form.description.data,
                    events=form.events.data or [],
                    actor_id=actor_id(),
                )
                commit()
            except DomainError as error:
                rollback()
                report_error(error, form)
                status = 400
            else:
                flash(_("The subscription was saved."), "success")
                return redirect(url_for(endpoint("detail"), **view_args))
        elif form.is_submitted():
            status = 400
        return page(
            "webhooks/detail.html",
            status,
            subscription=subscription,
            form=form,
            action_form=ActionForm(),
            deliveries=webhooks().deliveries(subscription),
            vendor=vendor,
            url_args=base_args(view_args),
        )

    def action(change: Callable[[Any, dict], str | None]) -> Callable[..., ResponseReturnValue]:
        @requires(capability)
        def view(**view_args: Any) -> ResponseReturnValue:
            subscription = subscription_or_404(view_args)
            if not ActionForm().validate_on_submit():
                abort(400)
            message = change(subscription, view_args)
            if isinstance(message, tuple):  # a new secret: shown once, on this answer
                return _show_secret(subscription, message[1], subscription.is_vendor, view_args)
            commit()
            if message:
                flash(message, "success")
            if change is delete:
                return redirect(url_for(endpoint("list"), **base_args(view_args)))
            return redirect(url_for(endpoint("detail"), **base_args(view_args), subscription_id=subscription.id))

        return view

    def rotate(subscription: Any, _args: dict) -> Any:
        secret = webhooks().rotate_secret(subscription, actor_id=actor_id())
        commit()
        return ("secret", secret)

    def pause(subscription: Any, _args: dict) -> str:
        webhooks().pause(subscription, actor_id=actor_id())
        return _("Deliveries are paused. Events are kept and sent once you resume.")

    def resume(subscription: Any, _args: dict) -> str:
        held = webhooks().resume(subscription, actor_id=actor_id())
        return _("Deliveries resumed. Events kept while paused and now being sent: %(num)d.", num=held)

    def delete(subscription: Any, _args: dict) -> str:
        webhooks().delete(subscription, actor_id=actor_id())
        return _("The subscription was deleted.")

    def test(subscription: Any, _args: dict) -> str:
        webhooks().send_test(subscription, actor_id=actor_id())
        return _("A test event is on its way. Reload this page in a moment to see the answer.")

    def redeliver(subscription: Any, args: dict) -> str:
        delivery = webhooks().find_delivery(subscription, args.get("delivery_id"))
        if delivery is None:
            abort(404)
        webhooks().redeliver(subscription, delivery, actor_id=actor_id())
        return _("The event is being sent again.")

    one = prefix + "/<subscription_id>"
    bp.add_url_rule(prefix, f"{name}_list", list_view, methods=["GET"])
    bp.add_url_rule(prefix + "/new", f"{name}_new", new_view, methods=["GET", "POST"])
    bp.add_url_rule(one, f"{name}_detail", detail_view, methods=["GET", "POST"])
    for action_name, change in (
        ("rotate", rotate),
        ("pause", pause),
        ("resume", resume),
        ("delete", delete),
        ("test", test),
    ):
        bp.add_url_rule(f"{one}/{action_name}", f"{name}_{action_name}", action(change), methods=["POST"])
    bp.add_url_rule(
        one + "/deliveries/<delivery_id>/redeliver", f"{name}_redeliver", action(redeliver), methods=["POST"]
    )
