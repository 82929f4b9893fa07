"""The vendor's customer register: the look-up behind "Add an organization", and the CSV import.

The register is the vendor's master data (hundreds of thousands of rows), so the
import works in batches: each batch is validated in Python, compared with what
is stored (one ``SELECT … IN``), and only new or changed rows are written with
one ``INSERT … ON CONFLICT DO UPDATE`` statement.

A file has the columns ``customer_number,enterprise_number,name`` and may add, in
any order after them, ``contact_email`` (where the customer hears that someone added
their organization to Panda) and ``language`` (``en``, ``nl`` or ``fr``: the language
of that mail). A file without an optional column leaves what is stored in it alone.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import IO, cast

from flask_babel import lazy_gettext as _l
from sqlalchemy import Table, select
from sqlalchemy.dialects import postgresql, sqlite

from panda_portal.accounts.models import Account, is_plausible_email, normalize_email
from panda_portal.audit.services import record
from panda_portal.extensions import db
from panda_portal.organizations.enterprise_numbers import (
    InvalidEnterpriseNumber,
    normalize_customer_number,
    normalize_enterprise_number,
)
from panda_portal.organizations.models import CustomerRecord
from shared.database import utcnow
from shared.errors import DomainError
from shared.i18n import LANGUAGES

HEADER = ("customer_number", "enterprise_number", "name")
OPTIONAL_COLUMNS = ("contact_email", "language")
BATCH_SIZE = 5000
CUSTOMER_NUMBER_MAX = 32
NAME_MAX = 300


class NotInRegisterError(DomainError):
    """The customer number and enterprise number are not a pair of the register.

    Deliberately vague: the pair is the secret that protects a company, so the message
    must not tell which of the two numbers is wrong (a form shows it on both).
    """

    def __init__(self) -> None:
        super().__init__(
            str(_l("This customer number and enterprise number do not belong together in our customer register.")),
            field="customer_number",
        )


class RegisterFileError(DomainError):
    """The file cannot be imported at all (unreadable, wrong header); the message is for the operator."""


def enterprise_number_with_check_digits(stem: str) -> str:
    """The valid ten-digit enterprise number whose first eight digits are ``stem``."""
    if len(stem) != 8 or not (stem.isascii() and stem.isdigit()):
        raise ValueError("an enterprise number stem has eight digits")
    return f"{stem}{97 - int(stem) % 97:02d}"


def find_customer(
    customer_number: str, enterprise_number: str, *, among: Mapping[str, CustomerRecord] | None = None
) -> CustomerRecord:
    """The register entry for this pair, or ``InvalidEnterpriseNumber`` / ``NotInRegisterError``.

    ``among``: the entries a caller checking many pairs read at once, by customer number
    (a number missing from it is not in the register); the same checks apply.
    """
    number = normalize_enterprise_number(enterprise_number)
    try:
        customer = normalize_customer_number(customer_number)
    except ValueError:
        raise NotInRegisterError() from None
    if among is None:
        found = db.session.scalar(select(CustomerRecord).where(CustomerRecord.customer_number == customer))
    else:
        found = among.get(customer)
    if found is None or found.enterprise_number != number:
        raise NotInRegisterError()
    return found


# -- import ---------------------------------------------------------------------------------
@dataclass
class Rejection:
    line: int
    reason: str


@dataclass(frozen=True)
class RegisterRow:
    customer_number: str
    enterprise_number: str
    name: str
    # None when the file has no such column (what is stored stays), "" to clear it.
    contact_email: str | None = None
    language: str | None = None


@dataclass
class ImportReport:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[Rejection] = field(default_factory=list)

    @property
    def read(self) -> int:
        return self.added + self.updated + self.unchanged + len(self.rejected)


class RegisterFile:
    """A register file whose header has been read: its ``columns``, then ``(line number, fields)`` per data row."""

    def __init__(self, stream: IO[bytes]) -> None:
        try:
            self._text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
            first = self._text.readline()
        except UnicodeDecodeError as error:
            raise RegisterFileError(f"the file is not UTF-8 text ({error.reason})") from None
        self._delimiter = ";" if first.count(";") > first.count(",") else ","
        header = tuple(column.strip().lower() for column in next(csv.reader([first], delimiter=self._delimiter), []))
        extra = header[len(HEADER) :]
        if header[: len(HEADER)] != HEADER or not set(extra) <= set(OPTIONAL_COLUMNS) or len(set(extra)) != len(extra):
            raise RegisterFileError(
                f"the first line must be {','.join(HEADER)!r}, optionally followed by "
                f"{' and '.join(OPTIONAL_COLUMNS)} (found {first.strip()[:100]!r})"
            )
        self.columns: tuple[str, ...] = header

    def __iter__(self) -> Iterator[tuple[int, list[str]]]:
        reader = csv.reader(self._text, delimiter=self._delimiter)
        try:
            for fields in reader:
                if not fields or all(not value.strip() for value in fields):
                    continue
                # The header is line 1; the reader counts the lines it has consumed since.
                yield reader.line_num + 1, fields
        except UnicodeDecodeError:
            raise RegisterFileError(f"the file is not UTF-8 text near line {reader.line_num + 2}") from None
        except csv.Error as error:
            raise RegisterFileError(f"line {reader.line_num + 1}: {error}") from None


def read_register_csv(stream: IO[bytes]) -> RegisterFile:
    """The rows of a register file (``RegisterFile``); ``RegisterFileError`` when it cannot be imported at all.

    Accepts a UTF-8 byte-order mark and ``;`` as delimiter (what spreadsheet
    programs in Belgium write); refuses a file whose header does not start with
    ``customer_number,enterprise_number,name`` or names a column other than
    ``contact_email`` and ``language`` after them.
    """
    return RegisterFile(stream)


def _enterprise_number(value: str) -> str:
    # Most register rows hold the ten stored digits already: check those without
    # the general parser, which is the slowest step of a large import.
    if (
        len(value) == 10
        and value.isascii()
        and value.isdigit()
        and value[0] in "01"
        and int(value[:8]) != 0
        and 97 - int(value[:8]) % 97 == int(value[8:])
    ):
        return value
    return normalize_enterprise_number(value)


def _shown(value: str, limit: int = 40) -> str:
    """A rejected value as the report shows it: quoted, and cut short (a line may hold megabytes)."""
    return repr(value if len(value) <= limit else value[:limit] + "…")


def _validated(
    line: int, fields: list[str], seen: dict[str, int], columns: tuple[str, ...] = HEADER
) -> RegisterRow | Rejection:
    if len(fields) != len(columns):
        return Rejection(line, f"expected {len(columns)} fields, found {len(fields)}")
    values = dict(zip(columns, (value.strip() for value in fields), strict=True))
    raw_customer, raw_enterprise, raw_name = (values[name] for name in HEADER)
    missing = [name for name, value in zip(HEADER, (raw_customer, raw_enterprise, raw_name), strict=True) if not value]
    if missing:
        return Rejection(line, f"missing {', '.join(missing)}")
    customer = normalize_customer_number(raw_customer)
    if len(customer) > CUSTOMER_NUMBER_MAX:
        return Rejection(line, f"customer number longer than {CUSTOMER_NUMBER_MAX} characters")
    name = " ".join(raw_name.split())
    if len(name) > NAME_MAX:
        return Rejection(line, f"name longer than {NAME_MAX} characters")
    try:
        enterprise = _enterprise_number(raw_enterprise)
    except InvalidEnterpriseNumber as error:
        return Rejection(line, f"invalid enterprise number {_shown(raw_enterprise)}: {error.message}")
    contact = values.get("contact_email")
    if contact:
        contact = normalize_email(contact)
        if not is_plausible_email(contact):
            return Rejection(line, f"invalid contact e-mail address {_shown(values['contact_email'])}")
    language = values.get("language")
    if language:
        language = language.lower()
        if language not in LANGUAGES:
            return Rejection(line, f"language must be one of {', '.join(LANGUAGES)}, not {_shown(values['language'])}")
    if customer in seen:
        return Rejection(line, f"customer number {customer} already on line {seen[customer]}")
    seen[customer] = line
    return RegisterRow(customer, enterprise, name, contact, language)


def _upsert_statement(columns: tuple[str, ...]) -> postgresql.Insert | sqlite.Insert:
    dialect = db.session.get_bind().dialect.name
    # The table, not the mapped class: a Core statement, executed with many parameter sets.
    table = cast(Table, CustomerRecord.__table__)
    statement: postgresql.Insert | sqlite.Insert
    if dialect == "postgresql":
        statement = postgresql.insert(table)
    elif dialect == "sqlite":
        statement = sqlite.insert(table)
    else:  # pragma: no cover - only PostgreSQL and SQLite are supported
        raise RuntimeError(f"no upsert for the {dialect} dialect")
    updated = ["enterprise_number", "name", "updated_at", *(c for c in OPTIONAL_COLUMNS if c in columns)]
    return statement.on_conflict_do_update(
        index_elements=[table.c.customer_number],
        set_={column: statement.excluded[column] for column in updated},
    )


def _write_batch(batch: list[RegisterRow], report: ImportReport, columns: tuple[str, ...] = HEADER) -> None:
    optional = [column for column in OPTIONAL_COLUMNS if column in columns]
    stored = {
        row.customer_number: row
        for row in db.session.execute(
            select(
                CustomerRecord.customer_number,
                CustomerRecord.enterprise_number,
                CustomerRecord.name,
                CustomerRecord.contact_email,
                CustomerRecord.language,
            ).where(CustomerRecord.customer_number.in_([row.customer_number for row in batch]))
        )
    }
    now = utcnow()
    changes: list[dict] = []
    for row in batch:
        values: dict[str, str | None] = {"enterprise_number": row.enterprise_number, "name": row.name}
        for column in optional:
            values[column] = getattr(row, column) or None
        before = stored.get(row.customer_number)
        if before is not None and all(getattr(before, column) == value for column, value in values.items()):
            report.unchanged += 1
            continue
        if before is None:
            report.added += 1
        else:
            report.updated += 1
        changes.append({"customer_number": row.customer_number, "updated_at": now, **values})
    if changes:
        # One cached statement, executed for many parameter sets: PostgreSQL gets
        # multi-row VALUES pages, SQLite the driver's executemany loop.
        statement = _upsert_statement(columns).execution_options(insertmanyvalues_page_size=BATCH_SIZE)
        db.session.execute(statement, changes)


def import_customers(
    rows: Iterable[tuple[int, list[str]]],
    *,
    actor: Account | None,
    batch_size: int = BATCH_SIZE,
    progress: Callable[[int], None] | None = None,
    actor_label: str | None = None,
) -> ImportReport:
    """Add or update register rows; invalid rows are reported, not imported.

    ``rows`` are ``(line number, fields)`` pairs (see ``read_register_csv``; a
    ``RegisterFile`` also says which columns the fields are);
    ``progress`` is called with the number of rows handled after each batch.
    A customer number that appears twice in the input keeps its first row.
    """
    report = ImportReport()
    columns: tuple[str, ...] = getattr(rows, "columns", HEADER)
    seen: dict[str, int] = {}
    batch: list[RegisterRow] = []
    handled = 0
    # The ORM objects of the session are not used; keep them out of the way.
    with db.session.no_autoflush:
        for line, fields in rows:
            handled += 1
            outcome = _validated(line, fields, seen, columns)
            if isinstance(outcome, Rejection):
                report.rejected.append(outcome)
            else:
                batch.append(outcome)
            if len(batch) >= batch_size:
                _write_batch(batch, report, columns)
                batch = []
                if progress:
                    progress(handled)
                handled = 0
        if batch:
            _write_batch(batch, report, columns)
        if progress and handled:
            progress(handled)
    record(
        "customers.imported",
        actor=actor,
        target_type="customer_register",
        actor_label=actor_label or (None if actor else "operator (command line)"),
        after={
            "added": report.added,
            "updated": report.updated,
            "unchanged": report.unchanged,
            "rejected": len(report.rejected),
        },
    )
    db.session.flush()
    return report
