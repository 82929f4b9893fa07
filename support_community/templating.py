"""What every page and mail template of the community may use: the filters and helpers of cases.

Installed by ``create_app``, so customer pages, the agents' workspace and mails format
statuses, severities, dates, sizes and people's own text the same way::

    {{ case.status|status_label }}   {{ case.severity|severity_label }}
    {{ message.body|user_text }}     {{ case.created_at|datetime("short") }}   {{ file.size|filesize }}
    {{ author_label(name, by_agent=False, organization_name=org.name) }}    {{ product.name(language) }}
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Flask
from flask_babel import format_datetime, format_decimal, format_number, ngettext
from flask_babel import gettext as _

from shared.i18n import current_language
from support_community.cases.labels import author_label, severity_label, status_label
from support_community.cases.rendering import render_text
from support_community.kb.labels import language_label, visibility_label


def format_when(value: dt.datetime | None, format: str = "medium") -> str:
    """A moment in the page's language and the service's time zone ("" for none)."""
    return format_datetime(value, format) if value else ""


def format_filesize(size: int) -> str:
    """A file's size in the page's language: "1.5 MB", "1,5 MB", "1,5 Mo"."""
    if size < 1024:
        return ngettext("%(size)s byte", "%(size)s bytes", size, size=format_number(size))
    if size < 1024 * 1024:
        return _("%(size)s KB", size=format_decimal(round(size / 1024), "#,##0"))
    return _("%(size)s MB", size=format_decimal(round(size / (1024 * 1024), 1), "#,##0.0"))


def install_template_helpers(app: Flask) -> None:
    """Register the filters and the ``author_label``/``language`` helpers on ``app``."""
    app.add_template_filter(status_label, "status_label")
    app.add_template_filter(severity_label, "severity_label")
    app.add_template_filter(render_text, "user_text")
    app.add_template_filter(format_when, "datetime")
    app.add_template_filter(format_filesize, "filesize")
    app.add_template_filter(language_label, "language_label")
    app.add_template_filter(visibility_label, "visibility_label")

    from support_community.cases.views.rating import rating_prompt

    app.add_template_global(rating_prompt, "rating_prompt")

    @app.context_processor
    def _case_helpers() -> dict[str, Any]:
        return {"author_label": author_label, "language": current_language()}
