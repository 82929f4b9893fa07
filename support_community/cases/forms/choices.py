"""The choices of statuses and severities, in the reader's language and in display order."""

from __future__ import annotations

from collections.abc import Iterable

from support_community.cases.labels import SEVERITY_ORDER, severity_label, status_label
from support_community.cases.models import Status


def severity_choices() -> list[tuple[str, str]]:
    """Every severity, highest first."""
    return [(severity.value, severity_label(severity)) for severity in SEVERITY_ORDER]


def status_choices(statuses: Iterable[Status]) -> list[tuple[str, str]]:
    return [(status.value, status_label(status)) for status in statuses]
