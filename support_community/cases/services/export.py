"""A list of cases as a CSV file (the filtered list of "All my clients" or of one organization).

Cells a spreadsheet would run as a formula (text starting with ``=``, ``+``, ``-``, ``@``,
a tab or a carriage return) get a leading apostrophe (OWASP "CSV injection"): a subject
like ``=HYPERLINK(…)`` is shown as text, not followed.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator

from sqlalchemy import Select

from support_community.cases.models import Case, Person
from support_community.extensions import db

# More rows than this are not exported: the file says so in its last line.
EXPORT_MAX = 50_000
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> str:
    """The cell's text, made inert for spreadsheets."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _line(cells: list[object]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerow([safe_cell(cell) for cell in cells])
    return buffer.getvalue()


def csv_lines(
    cases: Select,
    *,
    header: list[str],
    row: Callable[[dict], list[object]],
    truncated: Callable[[int], str],
) -> Iterator[str]:
    """The CSV file's lines for the (ordered) ``cases`` query, fetched a thousand rows at a time.

    ``row`` turns a case's columns (number, organization, subject, status, severity,
    product, dates, opener) into the cells of a line, in the reader's language.
    """
    columns = (
        cases.with_only_columns(
            Case.number,
            Case.organization_id,
            Case.organization_name,
            Case.subject,
            Case.status,
            Case.severity,
            Case.product_key,
            Case.created_at,
            Case.last_activity_at,
            Person.name.label("opened_by"),
        )
        .join(Person, Person.sub == Case.opened_by_sub)
        .limit(EXPORT_MAX + 1)
        .execution_options(yield_per=1000)
    )
    yield "\ufeff" + _line(list(header))  # the byte order mark makes spreadsheets read UTF-8
    written = 0
    for values in db.session.execute(columns).mappings():
        if written == EXPORT_MAX:
            yield _line([truncated(EXPORT_MAX)])
            return
        written += 1
        yield _line(row(dict(values)))
