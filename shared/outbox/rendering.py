"""Render an e-mail in its recipient's language and put it in the outbox.

Templates live at ``emails/<name>.subject.txt``, ``emails/<name>.txt`` and
``emails/<name>.html`` in the service's templates; links in them must be absolute
(built from the configured public URL), since a mail is read outside the site.
"""

from __future__ import annotations

from typing import Any

from flask import render_template
from flask_babel import force_locale

from shared.i18n import LANGUAGES, locale_for
from shared.outbox.service import Outbox


def render_mail(name: str, locale: str | None, **context: Any) -> tuple[str, str, str]:
    language = locale if locale in LANGUAGES else "en"
    with force_locale(locale_for(language)):
        context.setdefault("current_language", language)
        subject = " ".join(render_template(f"emails/{name}.subject.txt", **context).split())
        # The HTML part may show the subject (its <title>): as a variable it is escaped there.
        context.setdefault("subject", subject)
        text = render_template(f"emails/{name}.txt", **context)
        html = render_template(f"emails/{name}.html", **context)
    return subject, text, html


def queue_mail(outbox: Outbox, name: str, *, to: str, locale: str | None, headers: Any = None, **context: Any) -> Any:
    """Render ``name`` for ``to`` and queue it.

    ``headers`` (a dict of header name to one-line value: ``Reply-To``, threading,
    ``Auto-Submitted``) travel with the mail; the outbox refuses any that could inject
    another header. Typed ``Any`` only so that callers may pass ``**context`` of strings.
    """
    subject, text, html = render_mail(name, locale, **context)
    return outbox.enqueue_mail(to=to, subject=subject, text=text, html=html, headers=dict(headers or {}))
