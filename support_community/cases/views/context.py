"""What the case views work with: the acting person, the organization and case from the URL, the upload limits."""

from __future__ import annotations

import uuid
from typing import Any

from flask import abort, current_app

from support_community.auth.session import OrganizationClaim, signed_in_user
from support_community.cases.models import Case, Person
from support_community.cases.services import attachments
from support_community.cases.services.loading import find_case
from support_community.cases.services.people import person_for
from support_community.permissions import current_org


def acting_person() -> Person:
    """The signed-in person's row, refreshed from the token (made on their first action)."""
    return person_for(signed_in_user())


def acting_organization() -> OrganizationClaim:
    """The organization in the URL, as ``permissions.can`` resolved it before the view ran."""
    org = current_org()
    if org is None:
        abort(404)
    return org


def get_case_or_404(org_id: uuid.UUID | str, case_id: uuid.UUID | str) -> Case:
    """The case, only if it belongs to the organization in the URL (itself checked against the token)."""
    case = find_case(org_id, case_id)
    if case is None:
        abort(404)
    return case


def upload_limits() -> dict[str, Any]:
    """What the upload hints say: the size of a file and of a case, the types, the files at a time."""
    return {
        "file_mb": current_app.config["ATTACHMENT_MAX_MB"],
        "case_mb": current_app.config["ATTACHMENTS_PER_CASE_MAX_MB"],
        "types": attachments.allowed_types_text(),
        "count": attachments.FILES_PER_UPLOAD,
    }
