"""The vendor's customer register: the look-up behind "Add an organization", and the CSV import.

The register is the vendor's master data (hundreds of thousands of rows), so the
import works in batches: each batch is validated in Python, compared with what
is stored (one ``SELECT … IN``), and only new or changed rows are written with
one ``INSERT … ON CONFLICT DO UPDATE`` statement.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, cast

from flask_babel import lazy_gettext as _l
from sqlalchemy import Table, select
from sqlalchemy.dialects import postgresql, sqlite

from panda_portal.accounts.models import Account
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

HEADER = ("customer_number", "enterprise_number", "name")
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
    if len(stem) != 8 or not stem.isdigit():
        raise ValueError("an enterprise number stem has eight digits")
    return f"{stem}{97 - int(stem) % 97:02d}"


def find_customer(customer_number: str, enterprise_number: str) -> CustomerRecord:
    """The register entry for this pair, or ``InvalidEnterpriseNumber`` / ``NotInRegisterError``."""
    number = normalize_enterprise_number(enterprise_number)
    try:
        customer = normalize_customer_number(customer_number)
    except ValueError:
        raise NotInRegisterError() from None
    found = db.session.scalar(select(CustomerRecord).where(CustomerRecord.customer_number == customer))
    if found is None or found.enterprise_number != number:
        raise NotInRegisterError()
    return found


# -- import ---------------------------------------------------------------------------------
@dataclass
class Rejection:
    line: int
    reason: str


@dataclass
class ImportReport:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[Rejection] = field(default_factory=list)

    @property
    def read(self) -> int:
        return self.added + self.updated + self.unchanged + len(self.rejected)


def read_register_csv(stream: IO[bytes]) -> Iterator[tuple[int, list[str]]]:
    """``(line number, fields)`` for every data row of a register file.

    Accepts a UTF-8 byte-order mark and ``;`` as delimiter (what spreadsheet
    programs in Belgium write); refuses a file whose header is not
    ``customer_number,enterprise_number,name``.
    """
    try:
        text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
        first = text.readline()
    except UnicodeDecodeError as error:
        raise RegisterFileError(f"the file is not UTF-8 text ({error.reason})") from None
    delimiter = ";" if first.count(";") > first.count(",") else ","
    header = tuple(column.strip().lower() for column in next(csv.reader([first], delimiter=delimiter), []))
    if header != HEADER:
        raise RegisterFileError(f"the first line must be {','.join(HEADER)!r} (found {first.strip()[:100]!r})")
    reader = csv.reader(text, delimiter=delimiter)
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


def _enterprise_number(value: str) -> str:
    # Most register rows hold the ten stored digits already: check those without
    # the general parser, which is the slowest step of a large import.
    if (
        len(value) == 10
        and value.isdigit()
        and value[0] in "01"
        and int(value[:8]) != 0
        and 97 - int(value[:8]) % 97 == int(value[8:])
    ):
        return value
    return normalize_enterprise_number(value)


def _validated(line: int, fields: list[str], seen: dict[str, int]) -> tuple[str, str, str] | Rejection:
    if len(fields) != 3:
        return Rejection(line, f"expected 3 fields, found {len(fields)}")
    raw_customer, raw_enterprise, raw_name = (value.strip() for value in fields)
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
        return Rejection(line, f"invalid enterprise number {raw_enterprise!r}: {error.message}")
    if customer in seen:
        return Rejection(line, f"customer number {customer} already on line {seen[customer]}")
    seen[customer] = line
    return customer, enterprise, name


def _upsert_statement() -> postgresql.Insert | sqlite.Insert:
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
    return statement.on_conflict_do_update(
        index_elements=[table.c.customer_number],
        set_={
            "enterprise_number": statement.excluded.enterprise_number,
            "name": statement.excluded.name,
            "updated_at": statement.excluded.updated_at,
        },
    )


def _write_batch(batch: list[tuple[str, str, str]], report: ImportReport) -> None:
    stored = dict(
        (customer, (enterprise, name))
        for customer, enterprise, name in db.session.execute(
            select(CustomerRecord.customer_number, CustomerRecord.enterprise_number, CustomerRecord.name).where(
                CustomerRecord.customer_number.in_([row[0] for row in batch])
            )
        )
    )
    now = utcnow()
    changes: list[dict] = []
    for customer, enterprise, name in batch:
        before = stored.get(customer)
        if before == (enterprise, name):
            report.unchanged += 1
            continue
        if before is None:
            report.added += 1
        else:
            report.updated += 1
        changes.append({"customer_number": customer, "enterprise_number": enterprise, "name": name, "updated_at": now})
    if changes:
        # One cached statement, executed for many parameter sets: PostgreSQL gets
        # multi-row VALUES pages, SQLite the driver's executemany loop.
        db.session.execute(_upsert_statement().execution_options(insertmanyvalues_page_size=BATCH_SIZE), changes)


def import_customers(
    rows: Iterable[tuple[int, list[str]]],
    *,
    actor: Account | None,
    batch_size: int = BATCH_SIZE,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Add or update register rows; invalid rows are reported, not imported.

    ``rows`` are ``(line number, fields)`` pairs (see ``read_register_csv``);
    ``progress`` is called with the number of rows handled after each batch.
    A customer number that appears twice in the input keeps its first row.
    """
    report = ImportReport()
    seen: dict[str, int] = {}
    batch: list[tuple[str, str, str]] = []
    handled = 0
    # The ORM objects of the session are not used; keep them out of the way.
    with db.session.no_autoflush:
        for line, fields in rows:
            handled += 1
            outcome = _validated(line, fields, seen)
            if isinstance(outcome, Rejection):
                report.rejected.append(outcome)
            else:
                batch.append(outcome)
            if len(batch) >= batch_size:
                _write_batch(batch, report)
                batch = []
                if progress:
                    progress(handled)
                handled = 0
        if batch:
            _write_batch(batch, report)
        if progress and handled:
            progress(handled)
    record(
        "customers.imported",
        actor=actor,
        target_type="customer_register",
        actor_label=None if actor else "operator (command line)",
        after={
            "added": report.added,
            "updated": report.updated,
            "unchanged": report.unchanged,
            "rejected": len(report.rejected),
        },
    )
    db.session.flush()
    return report
