"""Access markers every view must carry, and the hook that enforces them.

    @public                    anyone, signed in or not
    @authenticated             a signed-in person
    @requires("case.reply")    a signed-in person holding a capability
    @api_scope("cases:read")   an API caller whose bearer token holds the scopes
                               (``capability=`` also asks the service's ``can``)

``install_access_control`` refuses to start the app when a view declares none of
them, and checks every request before the view runs, so a forgotten check is a
start-up error rather than a hole. Capabilities are decided by the service's own
``can`` callback, which sees the request's view arguments (the organization in
the URL, say) and answers 404 for objects the person may not know about.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Flask, abort, request

ACCESS_ATTRIBUTE = "_access_rule"


@dataclass(frozen=True)
class AccessRule:
    kind: str  # "public" | "authenticated" | "requires" | "api_scope"
    capability: str | None = None
    scopes: tuple[str, ...] = ()


def _mark(view: Callable, rule: AccessRule) -> Callable:
    if hasattr(view, ACCESS_ATTRIBUTE):
        raise TypeError(f"{view.__name__} declares its access twice")
    setattr(view, ACCESS_ATTRIBUTE, rule)
    return view


def public(view: Callable) -> Callable:
    return _mark(view, AccessRule("public"))


def authenticated(view: Callable) -> Callable:
    return _mark(view, AccessRule("authenticated"))


def requires(capability: str) -> Callable[[Callable], Callable]:
    def decorator(view: Callable) -> Callable:
        return _mark(view, AccessRule("requires", capability))

    return decorator


def api_scope(*scopes: str, capability: str | None = None) -> Callable[[Callable], Callable]:
    """An API view: a bearer token holding every one of ``scopes`` (never a session cookie).

    The token is resolved by the resolver the service registered (``shared.api``); then,
    with ``capability``, the service's ``can`` decides as for ``@requires`` (404 for an
    organization the caller may not act for).
    """

    def decorator(view: Callable) -> Callable:
        return _mark(view, AccessRule("api_scope", capability, tuple(scopes)))

    return decorator


def access_rule(view: Callable) -> AccessRule | None:
    rule = getattr(view, ACCESS_ATTRIBUTE, None)
    if rule is None and hasattr(view, "view_class"):
        rule = getattr(view.view_class, ACCESS_ATTRIBUTE, None)
    return rule


class MissingAccessDeclaration(RuntimeError):
    pass


def check_every_view_declares_access(app: Flask) -> None:
    missing = [
        endpoint
        for endpoint, view in app.view_functions.items()
        if endpoint != "static" and not endpoint.endswith(".static") and access_rule(view) is None
    ]
    if missing:
        raise MissingAccessDeclaration(
            "These views declare no access (@public, @authenticated, @requires or @api_scope): "
            + ", ".join(sorted(missing))
        )
    # Under /api/ only a bearer token authenticates: a view that a session cookie could open is refused.
    by_cookie = sorted(
        rule.rule
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/")
        and (found := access_rule(app.view_functions[rule.endpoint])) is not None
        and found.kind in ("authenticated", "requires")
    )
    if by_cookie:
        raise MissingAccessDeclaration(
            "These API views must be @api_scope or @public, not opened by a session: " + ", ".join(by_cookie)
        )


def install_access_control(
    app: Flask,
    *,
    is_authenticated: Callable[[], bool],
    on_anonymous: Callable[[], Any],
    can: Callable[[str, dict], bool],
) -> None:
    """Check every request against its view's declared rule.

    ``on_anonymous`` returns the response for a visitor who must sign in first
    (usually a redirect to the sign-in page). ``can(capability, view_args)``
    returns False to refuse (403) or aborts itself (404 for hidden objects).
    """

    @app.before_request
    def _enforce_access() -> Any:
        if request.endpoint is None:
            return None  # 404/405 handled by routing
        if request.endpoint == "static" or request.endpoint.endswith(".static"):
            return None
        view = app.view_functions.get(request.endpoint)
        rule = access_rule(view) if view else None
        if rule is None:
            abort(403)
        if rule.kind == "public":
            return None
        if rule.kind == "api_scope":
            from shared.api.auth import authenticate
            from shared.api.problems import ApiProblem

            authenticate(rule.scopes)
            if rule.capability and not can(rule.capability, dict(request.view_args or {})):
                raise ApiProblem(403)
            return None
        if not is_authenticated():
            return on_anonymous()
        if rule.kind == "requires" and not can(rule.capability or "", dict(request.view_args or {})):
            abort(403)
        return None

    check_every_view_declares_access(app)
