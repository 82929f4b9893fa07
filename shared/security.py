"""Security headers for every response of both services."""

from __future__ import annotations

from flask import Flask, Response, request

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; "
    "img-src 'self' data:; "
    "style-src 'self'; "
    "script-src 'self'; "
    "object-src 'none'; "
    "base-uri 'none'; "
    "frame-ancestors 'none'"
)


def install_security_headers(app: Flask) -> None:
    @app.after_request
    def _headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        # Same-origin requests carry the Referer (and a real Origin): behind a TLS proxy Flask-WTF
        # checks that an https form post comes from this site, and with "no-referrer" every post
        # would be refused. Other sites still learn nothing of the page's address.
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        headers.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
        if app.config.get("SESSION_COOKIE_SECURE"):
            headers.setdefault("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
        # Pages for a signed-in person must not be kept by shared caches or the back button.
        if not request.endpoint or not request.endpoint.endswith("static"):
            headers.setdefault("Cache-Control", "no-store")
        return response
