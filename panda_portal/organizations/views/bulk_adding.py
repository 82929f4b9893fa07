"""Adding clients in bulk: upload or paste, preview, confirm, follow the progress, download the result."""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Iterator

from flask import Response, abort, current_app, redirect, render_template, request, stream_with_context, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from limits import RateLimitItem, parse

from panda_portal.accounts.models import Account
from panda_portal.accounts.session import signed_in_account
from panda_portal.extensions import db, limiter
from panda_portal.organizations.forms.bulk_adding import BulkAddForm, ConfirmBulkAddForm
from panda_portal.organizations.models import BulkAddBatch, BulkAddStatus, BulkRowOutcome
from panda_portal.organizations.permissions import parse_uuid_or_404
from panda_portal.organizations.services import bulk_adding as service
from panda_portal.organizations.views import bp
from shared.access import authenticated
from shared.errors import report_error

PER_PAGE = 50
# While the worker adds the lines, the page reloads itself (no script needed).
REFRESH_SECONDS = 3


# -- the single form's limits on failed look-ups ------------------------------------------------
class FailedLookupLimits:
    """The counters of "Add an organization" (``views.joining``), shared by the bulk add.

    The same keys and scopes as the single form's limits, so failed look-ups count
    once, whichever form made them: per account, per client address, per company.
    """

    ENDPOINT = "organizations.add"

    def __init__(self, account: Account) -> None:
        config = current_app.config
        # The extension puts its key prefix (none here) in front of every key it counts.
        prefix = getattr(limiter, "_key_prefix", "") or ""
        self._prefix = [prefix] if prefix else []
        self.enabled = bool(limiter.enabled)  # off with RATELIMIT_ENABLED=false
        self.per_person: list[tuple[RateLimitItem, list[str]]] = [
            (parse(config["ADD_ORGANIZATION_LIMIT"]), self._args(f"account:{account.id}", "add-organization")),
            (
                parse(config["ADD_ORGANIZATION_LIMIT_PER_ADDRESS"]),
                self._args(f"address:{get_remote_address()}", "add-organization-address"),
            ),
        ]
        self.per_company = parse(config["ADD_ORGANIZATION_LIMIT_PER_ENTERPRISE_NUMBER"])

    def _args(self, key: str, scope: str) -> list[str]:
        return [*self._prefix, key, f"{self.ENDPOINT}:{scope}"]

    def exhausted(self) -> bool:
        return self.enabled and not all(limiter.limiter.test(item, *args) for item, args in self.per_person)

    def company_allows(self, enterprise_number: str) -> bool:
        if not self.enabled:
            return True
        args = self._args(f"enterprise:{enterprise_number}", "add-organization-enterprise-number")
        return limiter.limiter.test(self.per_company, *args)

    def charge(self, failed: list[str]) -> bool:
        """Count the failed look-ups; False when they were more than the limits had left."""
        if not self.enabled or not failed:
            return True
        within = True
        for item, args in self.per_person:
            remaining = limiter.limiter.get_window_stats(item, *args).remaining
            if len(failed) > remaining:
                within = False
            cost = min(len(failed), remaining)
            if cost:
                limiter.limiter.hit(item, *args, cost=cost)
        for number, count in Counter(failed).items():
            args = self._args(f"enterprise:{number}", "add-organization-enterprise-number")
            limiter.limiter.hit(self.per_company, *args, cost=count)
        return within


def _throttled(form: BulkAddForm) -> ResponseReturnValue:
    problem = _(
        "Too many attempts with numbers that are not in our customer register. "
        "Please wait an hour and try again, or ask your clients for the numbers on an invoice."
    )
    return render_template("organizations/bulk_add.html", form=form, problem=problem), 429


# -- upload and preview ----------------------------------------------------------------------
@bp.route("/orgs/add/bulk", methods=["GET", "POST"])
@authenticated
def bulk_add() -> ResponseReturnValue:
    form = BulkAddForm()
    if not form.validate_on_submit():
        return render_template("organizations/bulk_add.html", form=form), 422 if form.is_submitted() else 200
    account = signed_in_account()
    limits = FailedLookupLimits(account)
    if limits.exhausted():
        return _throttled(form)
    data: bytes | str = form.file.data.read(service.MAX_BYTES + 1) if form.has_file() else form.rows.data or ""
    try:
        rows = service.read_rows(data)
    except service.BulkFileError as error:
        field = form.file if form.has_file() else form.rows
        field.errors = [*field.errors, error.message]
        return render_template("organizations/bulk_add.html", form=form), 422
    preview = service.preview_bulk_add(rows, actor=account, may_look_up=limits.company_allows)
    if not limits.charge(preview.failed_lookups):
        db.session.rollback()
        return _throttled(form)
    db.session.commit()
    return redirect(url_for(".bulk_batch", batch_id=preview.batch.id), 303)


def _batch_or_404(batch_id: str) -> BulkAddBatch:
    try:
        return service.find_batch(signed_in_account(), parse_uuid_or_404(batch_id))
    except service.BatchNotFoundError:
        abort(404)


@bp.get("/orgs/add/bulk/<batch_id>")
@authenticated
def bulk_batch(batch_id: str) -> ResponseReturnValue:
    batch = _batch_or_404(batch_id)
    try:
        page = min(max(int(request.args.get("page", "1")), 1), 10**6)
    except ValueError:
        page = 1
    pages = max(1, -(-batch.total_rows // PER_PAGE))
    return render_template(
        "organizations/bulk_batch.html",
        batch=batch,
        counts=service.outcome_counts(batch),
        rows=service.batch_rows(batch, page=page, per_page=PER_PAGE),
        page=page,
        pages=pages,
        form=ConfirmBulkAddForm(),
        refresh=REFRESH_SECONDS if batch.status == BulkAddStatus.QUEUED else None,
        outcome_label=service.outcome_label,
        reason_text=service.reason_text,
        work=service.WORK,
        outcomes=list(BulkRowOutcome),
    )


@bp.post("/orgs/add/bulk/<batch_id>/confirm")
@authenticated
def bulk_confirm(batch_id: str) -> ResponseReturnValue:
    batch = _batch_or_404(batch_id)
    form = ConfirmBulkAddForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        service.confirm_bulk_add(batch, actor=signed_in_account())
    except service.BatchExpiredError as error:
        report_error(error)
        return redirect(url_for(".bulk_add"))
    db.session.commit()
    return redirect(url_for(".bulk_batch", batch_id=batch.id), 303)


# -- the result ------------------------------------------------------------------------------
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> str:
    """A cell a spreadsheet shows as text: never a formula (CSV injection)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


@bp.get("/orgs/add/bulk/<batch_id>/result.csv")
@authenticated
def bulk_result(batch_id: str) -> ResponseReturnValue:
    batch = _batch_or_404(batch_id)
    header = [
        _("Line"),
        _("Customer number"),
        _("Enterprise number"),
        _("Organization"),
        _("Outcome"),
        _("Reason"),
    ]
    rows = [
        [
            row.line,
            row.customer_number,
            row.enterprise_number,
            row.organization_name or "",
            service.outcome_label(row.outcome or row.preview),
            service.reason_text(row),
        ]
        for row in service.all_batch_rows(batch)
    ]

    def generate() -> Iterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        buffer.write("\ufeff")  # Excel reads UTF-8 with the mark
        for values in [header, *rows]:
            writer.writerow([_cell(value) for value in values])
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()

    filename = f"clients-{batch.created_at:%Y%m%d-%H%M}.csv"
    return Response(
        stream_with_context(generate()),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
