"""Adding clients in bulk: a file (or pasted lines) of ``customer_number,enterprise_number``.

Three steps, each its own transaction:

1. **Preview** (``preview_bulk_add``): every line is read and looked up at once (a fixed
   number of ``SELECT … IN`` statements, whatever the number of lines) and stored as a
   batch with what would happen to each line. Nothing is added yet.
2. **Confirmation** (``confirm_bulk_add``): the batch is queued, and a ``bulk_add`` message
   is written to the outbox in the same transaction: the work is not lost when no worker
   runs, and starts when one does.
3. **The work** (``process_bulk_add``, the outbox handler): the lines are added through
   the single form's own services (``joining.create_organization``, which checks the
   register again, creates the organization or makes the request to join), a chunk of
   lines per transaction. What every line would look up again (register entries,
   organizations, applications) is read once per chunk, in that chunk's transaction, and
   the person's new access is announced once per chunk. A line's membership and the record that the line is done are
   committed together, so a crash leaves no line half done and the next attempt carries on
   where the last commit left off. When every line is done, each administrator who was
   asked to decide receives one mail listing all the requests of the batch that concern them.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select, update

from panda_portal.accounts.models import Account
from panda_portal.extensions import db
from panda_portal.organizations.emails import bulk_adding as bulk_mails
from panda_portal.organizations.enterprise_numbers import (
    InvalidEnterpriseNumber,
    normalize_customer_number,
    normalize_enterprise_number,
)
from panda_portal.organizations.models import (
    BulkAddBatch,
    BulkAddRow,
    BulkAddStatus,
    BulkRowOutcome,
    CustomerRecord,
    Membership,
    MembershipStatus,
    Organization,
    Role,
)
from panda_portal.organizations.services import access_changes, joining
from panda_portal.organizations.services.customer_register import CUSTOMER_NUMBER_MAX, NotInRegisterError
from panda_portal.organizations.services.members import AlreadyMemberError
from panda_portal.outbox.services import outbox
from shared.database import rowcount, utcnow
from shared.errors import DomainError

MAX_ROWS = 5000
MAX_BYTES = 1024 * 1024
CELL_MAX = 64
# How long a confirmation may wait before the look-up is stale.
PREVIEW_VALID_FOR = dt.timedelta(hours=24)
# Lines per transaction, and how long one outbox delivery works before handing over to the next.
CHUNK = 100
TIME_BUDGET_SECONDS = 60.0
LOOKUP_CHUNK = 500
OUTBOX_KIND = "bulk_add"
# The lines the worker adds; the others only say why not.
WORK = frozenset({BulkRowOutcome.NEW, BulkRowOutcome.JOIN})

OUTCOME_LABELS = {
    BulkRowOutcome.NEW: _l("New: you become administrator"),
    BulkRowOutcome.JOIN: _l("Already in Panda: a request to join is sent"),
    BulkRowOutcome.MEMBER: _l("Already a member"),
    BulkRowOutcome.PENDING: _l("Your request to join is already waiting"),
    BulkRowOutcome.NOT_IN_REGISTER: _l("Not in the customer register"),
    BulkRowOutcome.DUPLICATE: _l("Duplicate row"),
    BulkRowOutcome.NOT_CHECKED: _l("Not checked: too many attempts for this company"),
    BulkRowOutcome.CREATED: _l("Added: you are administrator"),
    BulkRowOutcome.REQUESTED: _l("Request to join sent"),
}
HEADER_WORDS = {"customer_number", "customer number", "klantnummer", "numéro client", "numero client", "customer"}


class BulkFileError(DomainError):
    """The file or the pasted text cannot be read at all; the message says why."""

    def __init__(self, message: object) -> None:
        super().__init__(str(message), field="rows")


class BatchNotFoundError(DomainError):
    def __init__(self) -> None:
        super().__init__(_("This list of clients does not exist."))


class BatchExpiredError(DomainError):
    category = "warning"

    def __init__(self) -> None:
        super().__init__(_("This preview is too old to confirm. Please upload the list again."))


# -- reading ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class InputRow:
    line: int
    cells: tuple[str, ...]


def read_rows(data: bytes | str) -> list[InputRow]:
    """The non-empty lines of a CSV file or pasted text, or ``BulkFileError`` saying why not."""
    if isinstance(data, bytes):
        if len(data) > MAX_BYTES:
            raise BulkFileError(_l("The file is too large: at most 1 MB, that is 5,000 rows."))
        if b"\x00" in data:
            raise BulkFileError(_l("This is not a CSV file. Save the list as CSV (UTF-8) and upload that file."))
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise BulkFileError(
                _l("The file is not in UTF-8. Save it as “CSV UTF-8” (in Excel: Save as, CSV UTF-8) and try again.")
            ) from None
    else:
        text = data
        if len(text) > MAX_BYTES:
            raise BulkFileError(_l("The file is too large: at most 1 MB, that is 5,000 rows."))
        if "\x00" in text:
            raise BulkFileError(_l("This is not a CSV file. Save the list as CSV (UTF-8) and upload that file."))
    lines = text.splitlines()
    first = next((line for line in lines if line.strip()), "")
    delimiter = ";" if ";" in first and "," not in first else "\t" if "\t" in first and "," not in first else ","
    rows: list[InputRow] = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        for cells in reader:
            stripped = tuple(cell.strip() for cell in cells)
            if not any(stripped):
                continue
            if not rows and _is_header(stripped):
                continue
            rows.append(InputRow(reader.line_num, stripped))
            if len(rows) > MAX_ROWS:
                raise BulkFileError(_l("At most 5,000 rows at once: split the list in parts."))
    except csv.Error:
        raise BulkFileError(
            _l(
                "Line %(line)s cannot be read as CSV (a quote is not closed, or a cell is too long).",
                line=reader.line_num,
            )
        ) from None
    if not rows:
        raise BulkFileError(_l("The list is empty: one client per line, customer number then enterprise number."))
    return rows


def _is_header(cells: tuple[str, ...]) -> bool:
    return cells[0].lower() in HEADER_WORDS or not any(ch.isdigit() for ch in "".join(cells[:2]))


# -- the preview -----------------------------------------------------------------------------
@dataclass
class Preview:
    batch: BulkAddBatch
    # Enterprise numbers of the pairs the register did not hold: failed look-ups, as on the single form.
    failed_lookups: list[str] = field(default_factory=list)


def preview_bulk_add(
    rows: list[InputRow], *, actor: Account, may_look_up: Callable[[str], bool] = lambda _number: True
) -> Preview:
    """Look every line up and store the batch with what would happen to each; adds nothing.

    ``may_look_up(enterprise_number)`` is asked before a pair is looked up: the
    single form's limit per company (a line it refuses is *not checked*).
    """
    _forget_stale_previews(actor)
    batch = BulkAddBatch(account_id=actor.id, status=BulkAddStatus.PREVIEW, total_rows=len(rows))
    db.session.add(batch)
    entries: list[BulkAddRow] = []
    seen: dict[tuple[str, str], int] = {}
    to_look_up: list[tuple[BulkAddRow, str, str]] = []
    for row in rows:
        typed_customer = row.cells[0] if row.cells else ""
        typed_enterprise = row.cells[1] if len(row.cells) > 1 else ""
        entry = BulkAddRow(
            line=row.line, customer_number=typed_customer[:CELL_MAX], enterprise_number=typed_enterprise[:CELL_MAX]
        )
        entries.append(entry)
        if not typed_customer or not typed_enterprise:
            entry.preview, entry.reason = BulkRowOutcome.NOT_IN_REGISTER, "columns"
            continue
        if len(typed_customer) > CUSTOMER_NUMBER_MAX:
            entry.preview, entry.reason = BulkRowOutcome.NOT_IN_REGISTER, "customer_number"
            continue
        try:
            enterprise = normalize_enterprise_number(typed_enterprise)
        except InvalidEnterpriseNumber:
            # Refused before any look-up, as on the single form: never counted.
            entry.preview, entry.reason = BulkRowOutcome.NOT_IN_REGISTER, "enterprise_number"
            continue
        customer = normalize_customer_number(typed_customer)
        entry.customer_number, entry.enterprise_number = customer, enterprise
        if (customer, enterprise) in seen:
            entry.preview, entry.reason = BulkRowOutcome.DUPLICATE, f"duplicate:{seen[customer, enterprise]}"
            continue
        seen[customer, enterprise] = row.line
        if not may_look_up(enterprise):
            entry.preview = BulkRowOutcome.NOT_CHECKED
            continue
        to_look_up.append((entry, customer, enterprise))

    failed: list[str] = []
    customers = _customers_by_number([customer for _entry, customer, _enterprise in to_look_up])
    organizations = _organizations_by_number([customer for _entry, customer, _enterprise in to_look_up])
    statuses = _membership_statuses(actor, [organization.id for organization in organizations.values()])
    for entry, customer, enterprise in to_look_up:
        record = customers.get(customer)
        if record is None or record.enterprise_number != enterprise:
            entry.preview, entry.reason = BulkRowOutcome.NOT_IN_REGISTER, "pair"
            failed.append(enterprise)
            continue
        organization = organizations.get(customer)
        entry.organization_name = record.name[:300]
        if organization is None:
            entry.preview = BulkRowOutcome.NEW
            continue
        entry.organization_id = organization.id
        entry.organization_name = organization.name[:300]
        status = statuses.get(organization.id)
        if status == MembershipStatus.ACTIVE:
            entry.preview = BulkRowOutcome.MEMBER
        elif status == MembershipStatus.PENDING:
            entry.preview = BulkRowOutcome.PENDING
        else:
            entry.preview = BulkRowOutcome.JOIN
    for entry in entries:
        entry.done = entry.preview not in WORK
    batch.work_rows = sum(1 for entry in entries if not entry.done)
    db.session.flush()
    for entry in entries:
        entry.batch_id = batch.id
    db.session.add_all(entries)
    db.session.flush()
    return Preview(batch, failed)


def _forget_stale_previews(actor: Account) -> None:
    """Previews never confirmed and too old to be: nothing refers to them any more."""
    stale = (
        select(BulkAddBatch.id)
        .where(
            BulkAddBatch.account_id == actor.id,
            BulkAddBatch.status == BulkAddStatus.PREVIEW,
            BulkAddBatch.created_at < utcnow() - PREVIEW_VALID_FOR,
        )
        .scalar_subquery()
    )
    db.session.execute(delete(BulkAddRow).where(BulkAddRow.batch_id.in_(stale)))
    db.session.execute(delete(BulkAddBatch).where(BulkAddBatch.id.in_(stale)))


def _in_chunks(values: list, size: int = LOOKUP_CHUNK) -> Iterable[list]:
    unique = sorted(set(values))
    for start in range(0, len(unique), size):
        yield unique[start : start + size]


def _customers_by_number(numbers: list[str]) -> dict[str, CustomerRecord]:
    found: dict[str, CustomerRecord] = {}
    for chunk in _in_chunks(numbers):
        for record in db.session.scalars(select(CustomerRecord).where(CustomerRecord.customer_number.in_(chunk))):
            found[record.customer_number] = record
    return found


def _organizations_by_number(numbers: list[str]) -> dict[str, Organization]:
    found: dict[str, Organization] = {}
    for chunk in _in_chunks(numbers):
        for organization in db.session.scalars(select(Organization).where(Organization.customer_number.in_(chunk))):
            found[organization.customer_number] = organization
    return found


def _membership_statuses(actor: Account, organization_ids: list[uuid.UUID]) -> dict[uuid.UUID, MembershipStatus]:
    found: dict[uuid.UUID, MembershipStatus] = {}
    for chunk in _in_chunks(organization_ids):
        rows = db.session.execute(
            select(Membership.organization_id, Membership.status).where(
                Membership.account_id == actor.id, Membership.organization_id.in_(chunk)
            )
        )
        found.update({organization_id: MembershipStatus(status) for organization_id, status in rows})
    return found


def reason_text(row: BulkAddRow) -> str:
    """Why a line is refused, in the reader's language ('' when it is not)."""
    reason = row.reason or ""
    if reason == "columns":
        return _("Each line needs a customer number and an enterprise number, separated by a comma.")
    if reason == "customer_number":
        return _("A customer number has at most 32 characters.")
    if reason == "enterprise_number":
        try:
            normalize_enterprise_number(row.enterprise_number)
        except InvalidEnterpriseNumber as error:
            return str(error.message)
        return ""
    if reason == "pair":
        return str(NotInRegisterError().message)
    if reason.startswith("duplicate:"):
        return _("The same client as on line %(line)s.", line=reason.partition(":")[2])
    return ""


def outcome_label(outcome: BulkRowOutcome | str | None) -> str:
    return str(OUTCOME_LABELS[BulkRowOutcome(outcome)]) if outcome else ""


# -- reading a batch -------------------------------------------------------------------------
def find_batch(account: Account, batch_id: uuid.UUID) -> BulkAddBatch:
    """The account's own batch, or ``BatchNotFoundError`` (another person's batch is not found either)."""
    batch = db.session.scalar(
        select(BulkAddBatch).where(BulkAddBatch.id == batch_id, BulkAddBatch.account_id == account.id)
    )
    if batch is None:
        raise BatchNotFoundError()
    return batch


def outcome_counts(batch: BulkAddBatch) -> dict[BulkRowOutcome, int]:
    """How many lines have each outcome: what was found (preview), or what was done (once done)."""
    column = (
        BulkAddRow.preview
        if batch.status == BulkAddStatus.PREVIEW
        else func.coalesce(BulkAddRow.outcome, BulkAddRow.preview)
    )
    rows = db.session.execute(
        select(column, func.count()).where(BulkAddRow.batch_id == batch.id).group_by(column)
    ).all()
    return {BulkRowOutcome(outcome): count for outcome, count in rows}


def batch_rows(batch: BulkAddBatch, *, page: int = 1, per_page: int = 100) -> list[BulkAddRow]:
    return list(
        db.session.scalars(
            select(BulkAddRow)
            .where(BulkAddRow.batch_id == batch.id)
            .order_by(BulkAddRow.line)
            .limit(per_page)
            .offset((max(page, 1) - 1) * per_page)
        )
    )


def all_batch_rows(batch: BulkAddBatch) -> Iterable[BulkAddRow]:
    return db.session.scalars(
        select(BulkAddRow).where(BulkAddRow.batch_id == batch.id).order_by(BulkAddRow.line)
    ).yield_per(500)


# -- confirming ------------------------------------------------------------------------------
def confirm_bulk_add(batch: BulkAddBatch, *, actor: Account) -> BulkAddBatch:
    """Queue the batch for the worker (idempotent: a second confirmation changes nothing)."""
    if batch.account_id != actor.id:
        raise BatchNotFoundError()
    if batch.status != BulkAddStatus.PREVIEW:
        return batch
    if batch.created_at < utcnow() - PREVIEW_VALID_FOR:
        raise BatchExpiredError()
    now = utcnow()
    status = BulkAddStatus.QUEUED if batch.work_rows else BulkAddStatus.DONE
    # Two confirmations at once (a double click, two tabs): only one of them queues the work.
    changed = rowcount(
        db.session.execute(
            update(BulkAddBatch)
            .where(BulkAddBatch.id == batch.id, BulkAddBatch.status == BulkAddStatus.PREVIEW)
            .values(status=status, confirmed_at=now, finished_at=None if batch.work_rows else now)
            .execution_options(synchronize_session=False)
        )
    )
    db.session.refresh(batch)
    if changed and status == BulkAddStatus.QUEUED:
        outbox.enqueue(OUTBOX_KIND, {"batch_id": str(batch.id)})
    db.session.flush()
    return batch


# -- the work --------------------------------------------------------------------------------
def process_bulk_add(payload: dict) -> None:
    """The outbox handler: add the batch's lines, a chunk per transaction, then mail the administrators.

    Works for ``TIME_BUDGET_SECONDS`` at most, then queues a message to carry on, so one
    delivery never outlives the outbox's lease on it.
    """
    try:
        batch_id = uuid.UUID(str(payload.get("batch_id")))
    except ValueError:
        return
    deadline = time.monotonic() + TIME_BUDGET_SECONDS
    try:
        while True:
            if not process_chunk(batch_id):
                db.session.commit()
                return
            db.session.commit()
            if time.monotonic() > deadline:
                outbox.enqueue(OUTBOX_KIND, {"batch_id": str(batch_id)})
                db.session.commit()
                return
    except BaseException:
        db.session.rollback()
        raise


def process_chunk(batch_id: uuid.UUID, size: int | None = None) -> bool:
    """Add the next ``size`` (``CHUNK``) lines of the batch (the caller commits); False when nothing is left."""
    size = size or CHUNK
    query = select(BulkAddBatch).where(BulkAddBatch.id == batch_id).execution_options(populate_existing=True)
    batch = db.session.scalar(query.with_for_update(of=BulkAddBatch))
    if batch is None or batch.status != BulkAddStatus.QUEUED:
        return False
    rows = list(
        db.session.scalars(
            select(BulkAddRow)
            .where(BulkAddRow.batch_id == batch.id, BulkAddRow.done.is_(False))
            .order_by(BulkAddRow.line)
            .limit(size)
        )
    )
    if not rows:
        _finish(batch)
        return False
    actor = batch.account
    # Read once for the chunk what each line would otherwise look up again (the register
    # entries, the organizations, the applications): in this transaction, so just as fresh.
    numbers = [row.customer_number for row in rows]
    known = joining.KnownRegister(
        customers=_customers_by_number(numbers),
        organizations=_organizations_by_number(numbers),
        application_keys=joining.application_keys(),
    )
    created: Organization | None = None
    done: list[tuple[BulkAddRow, dict]] = []
    for row in rows:
        values, membership = _add_line(row, actor, known)
        done.append((row, values))
        if membership is not None and membership.status == MembershipStatus.ACTIVE:
            created = membership.organization
    # The lines' records are written together (one statement per kind of outcome, not one per
    # line), in the transaction of their memberships: both are committed, or neither.
    for row, values in done:
        for key, value in values.items():
            setattr(row, key, value)
        row.done = True
    if created is not None:
        # One announcement for the chunk: the person's access events of one transaction are one message anyway.
        access_changes.access_granted(actor, created, reason=access_changes.CREATED)
    batch.done_rows += len(rows)
    db.session.flush()
    return True


def _add_line(row: BulkAddRow, actor: Account, known: joining.KnownRegister) -> tuple[dict, Membership | None]:
    """Add one line; returns what to record on it (written with the chunk's other lines, in the same transaction)."""
    membership: Membership | None = None
    try:
        with db.session.begin_nested():
            membership = joining.create_organization(
                row.customer_number,
                row.enterprise_number,
                actor=actor,
                notify_administrators=False,
                known=known,
                announce_access=False,
            )
    except AlreadyMemberError as error:
        values = {"outcome": BulkRowOutcome.MEMBER, "organization_id": error.membership.organization_id}
    except joining.RequestAlreadyPendingError:
        values = {"outcome": BulkRowOutcome.PENDING}
    except (InvalidEnterpriseNumber, NotInRegisterError):
        # The register changed since the preview.
        values = {"outcome": BulkRowOutcome.NOT_IN_REGISTER, "reason": "pair"}
    else:
        values = {
            "membership_id": membership.id,
            "organization_id": membership.organization_id,
            "organization_name": membership.organization.name[:300],
            "outcome": (
                BulkRowOutcome.CREATED if membership.status == MembershipStatus.ACTIVE else BulkRowOutcome.REQUESTED
            ),
        }
    return values, membership


def _finish(batch: BulkAddBatch) -> None:
    batch.status, batch.finished_at = BulkAddStatus.DONE, utcnow()
    requests = list(
        db.session.execute(
            select(BulkAddRow.organization_id, BulkAddRow.membership_id).where(
                BulkAddRow.batch_id == batch.id, BulkAddRow.outcome == BulkRowOutcome.REQUESTED
            )
        )
    )
    if requests:
        _mail_administrators(
            batch,
            {
                organization_id: membership_id
                for organization_id, membership_id in requests
                if organization_id is not None and membership_id is not None
            },
        )
    db.session.flush()


def _mail_administrators(batch: BulkAddBatch, requests: dict[uuid.UUID, uuid.UUID]) -> None:
    """One mail per administrator, listing every request of the batch that they may decide."""
    by_administrator: dict[uuid.UUID, list[tuple[Organization, uuid.UUID]]] = defaultdict(list)
    administrators: dict[uuid.UUID, Account] = {}
    organizations: dict[uuid.UUID, Organization] = {}
    for chunk in _in_chunks(list(requests)):
        for organization in db.session.scalars(select(Organization).where(Organization.id.in_(chunk))):
            organizations[organization.id] = organization
        rows = db.session.execute(
            select(Account, Membership.organization_id)
            .join(Membership, Membership.account_id == Account.id)
            .where(
                Membership.organization_id.in_(chunk),
                Membership.status == MembershipStatus.ACTIVE,
                Membership.role == Role.ADMIN,
            )
        )
        for administrator, organization_id in rows:
            administrators[administrator.id] = administrator
            by_administrator[administrator.id].append((organizations[organization_id], requests[organization_id]))
    for administrator_id, entries in sorted(by_administrator.items(), key=lambda item: administrators[item[0]].email):
        entries.sort(key=lambda entry: entry[0].name.lower())
        bulk_mails.send_join_requests(administrators[administrator_id], batch.account, entries)
