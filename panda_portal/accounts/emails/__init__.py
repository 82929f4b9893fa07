"""Mails of the accounts domain, queued in the outbox in the recipient's language.

Links are absolute and built from ``PANDA_ISSUER``: a mail is read outside the site.
"""

from __future__ import annotations

from flask import current_app


def issuer() -> str:
    return current_app.config["PANDA_ISSUER"].rstrip("/")


def account_links() -> dict[str, str]:
    """The pages every accounts mail may point to."""
    base = issuer()
    return {
        "sign_in_url": f"{base}/sign-in",
        "register_url": f"{base}/register",
        "forgot_password_url": f"{base}/forgot-password",
        "resend_url": f"{base}/resend-verification",
    }
