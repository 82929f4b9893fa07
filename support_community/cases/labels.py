"""How statuses, severities and authors are named on pages and in mails (translated).

Templates use the filters ``status_label`` and ``severity_label`` (registered by
``support_community.templating``); Python code calls the functions.
"""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from support_community.cases.models import Severity, Status

STATUS_LABELS = {
    Status.NEW: _l("New"),
    Status.IN_PROGRESS: _l("In progress"),
    Status.WAITING_FOR_CUSTOMER: _l("Waiting for customer"),
    Status.SOLVED: _l("Solved"),
    Status.CLOSED: _l("Closed"),
}

SEVERITY_LABELS = {
    Severity.LOW: _l("Low"),
    Severity.NORMAL: _l("Normal"),
    Severity.HIGH: _l("High"),
    Severity.CRITICAL: _l("Critical"),
}

# Highest first: the order of the severity choices and of "sort by severity".
SEVERITY_ORDER = (Severity.CRITICAL, Severity.HIGH, Severity.NORMAL, Severity.LOW)
STATUS_ORDER = (Status.NEW, Status.IN_PROGRESS, Status.WAITING_FOR_CUSTOMER, Status.SOLVED, Status.CLOSED)


def status_label(status: Status | str | None) -> str:
    try:
        return str(STATUS_LABELS[Status(status or "")])
    except ValueError:
        return str(status or "")


def severity_label(severity: Severity | str | None) -> str:
    try:
        return str(SEVERITY_LABELS[Severity(severity or "")])
    except ValueError:
        return str(severity or "")


def author_label(name: str, *, by_agent: bool, organization_name: str) -> str:
    """ "Jan Janssens for Bakkerij Peeters BV", or "Eva Claes (Support)" for the vendor's staff."""
    if by_agent:
        return _("%(name)s (Support)", name=name)
    return _("%(name)s for %(organization)s", name=name, organization=organization_name)
