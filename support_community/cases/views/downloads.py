"""Attachment downloads, the same for customers and agents: a file to save, never a page to render."""

from __future__ import annotations

import logging
import unicodedata
import uuid
from urllib.parse import quote

from flask import abort, current_app, request
from flask.typing import ResponseReturnValue
from werkzeug.wrappers import Response
from werkzeug.wsgi import wrap_file

from shared.access import requires
from support_community.cases.models import Case
from support_community.cases.services import attachments
from support_community.cases.services.loading import find_attachment
from support_community.cases.views import bp
from support_community.cases.views.context import get_case_or_404

log = logging.getLogger(__name__)


def content_disposition(filename: str) -> str:
    """``attachment`` with an ASCII fallback name and the exact name as ``filename*`` (RFC 6266/8187)."""
    fallback = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode("ascii")
    fallback = "".join(ch if ch.isprintable() and ch not in '"\\' else "_" for ch in fallback).strip() or "attachment"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def attachment_download(case: Case, attachment_id: uuid.UUID, *, internal_too: bool = False) -> Response:
    """The attachment ``attachment_id`` of ``case`` as a download (404 when there is none to give).

    Customers never get a file of an internal note; agents (``internal_too``) do. The
    file is never sniffed, cached or, should a browser render it anyway, able to run or
    reach anything.
    """
    attachment = find_attachment(case, attachment_id, internal_too=internal_too)
    if attachment is None:
        abort(404)
    try:
        content = attachments.open_content(attachment)
    except FileNotFoundError:
        log.error("attachment %s of case %s is missing from storage", attachment.id, case.number)
        abort(404)
    response = current_app.response_class(wrap_file(request.environ, content), direct_passthrough=True)
    response.headers["Content-Type"] = attachment.content_type
    response.headers["Content-Length"] = str(attachment.size)
    response.headers["Content-Disposition"] = content_disposition(attachment.filename)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@bp.get("/orgs/<uuid:org_id>/cases/<uuid:case_id>/attachments/<uuid:attachment_id>")
@requires("case.view")
def download(org_id: uuid.UUID, case_id: uuid.UUID, attachment_id: uuid.UUID) -> ResponseReturnValue:
    return attachment_download(get_case_or_404(org_id, case_id), attachment_id)
