"""Adding an organization, requests to join and the decisions on them."""

from __future__ import annotations

from flask import Response, abort, current_app, flash, g, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_limiter import RequestLimit
from flask_limiter.util import get_remote_address
from itsdangerous import BadSignature, URLSafeTimedSerializer

from panda_portal.accounts.models import Account
from panda_portal.accounts.session import signed_in_account
from panda_portal.extensions import db, limiter
from panda_portal.organizations.enterprise_numbers import InvalidEnterpriseNumber, normalize_enterprise_number
from panda_portal.organizations.forms.joining import (
    AddOrganizationForm,
    ConfirmOrganizationForm,
    DecisionForm,
    WithdrawForm,
)
from panda_portal.organizations.models import Membership, MembershipStatus
from panda_portal.organizations.permissions import current_organization, parse_uuid_or_404
from panda_portal.organizations.services import joining as service
from panda_portal.organizations.services.customer_register import NotInRegisterError
from panda_portal.organizations.services.members import AlreadyMemberError
from panda_portal.organizations.views import bp
from shared.access import authenticated, requires
from shared.errors import report_error

# Long enough to read the confirmation page, short enough that a copied link goes stale.
CONFIRMATION_SECONDS = 15 * 60


# -- throttling ------------------------------------------------------------------------------
# Failed look-ups are limited three ways: per account, per client address (many accounts,
# one machine) and per enterprise number (a company's number is public; its customer number
# is the secret, and guessing it stops at that company's limit, whoever guesses).
def _account_key() -> str:
    # Read from the session itself: the limiter runs before anything else of the request.
    account_id = session.get("account_id")
    return f"account:{account_id}" if account_id else f"address:{get_remote_address()}"


def _address_key() -> str:
    return f"address:{get_remote_address()}"


def _enterprise_number_key() -> str:
    try:
        number = normalize_enterprise_number(request.form.get("enterprise_number", "")[:100])
    except InvalidEnterpriseNumber:
        return "enterprise:invalid"  # refused before any look-up: never counted
    return f"enterprise:{number}"


def _lookup_failed(_response: Response) -> bool:
    """Only a pair that is not in the register counts: that is what someone guessing would try."""
    return bool(g.get("register_lookup_failed"))


def _throttled_page(problem: str) -> Response:
    form = AddOrganizationForm(formdata=None)
    return current_app.make_response((render_template("organizations/add.html", form=form, problem=problem), 429))


def _too_many_attempts(_limit: RequestLimit) -> Response:
    return _throttled_page(
        _(
            "Too many attempts with numbers that are not in our customer register. "
            "Please wait an hour and try again, or ask your client for the numbers on an invoice."
        )
    )


def _too_many_attempts_for_the_company(_limit: RequestLimit) -> Response:
    return _throttled_page(
        _(
            "Too many attempts were made with this enterprise number and a customer number that is not in "
            "our customer register. To protect the company, it cannot be added for a while. Please try again "
            "later with the customer number printed on one of its invoices."
        )
    )


add_organization_limit = limiter.limit(
    lambda: current_app.config["ADD_ORGANIZATION_LIMIT"],
    key_func=_account_key,
    methods=["POST"],
    deduct_when=_lookup_failed,
    on_breach=_too_many_attempts,
    scope="add-organization",
)
add_organization_limit_per_address = limiter.limit(
    lambda: current_app.config["ADD_ORGANIZATION_LIMIT_PER_ADDRESS"],
    key_func=_address_key,
    methods=["POST"],
    deduct_when=_lookup_failed,
    on_breach=_too_many_attempts,
    scope="add-organization-address",
)
add_organization_limit_per_enterprise_number = limiter.limit(
    lambda: current_app.config["ADD_ORGANIZATION_LIMIT_PER_ENTERPRISE_NUMBER"],
    key_func=_enterprise_number_key,
    methods=["POST"],
    deduct_when=_lookup_failed,
    on_breach=_too_many_attempts_for_the_company,
    scope="add-organization-enterprise-number",
)


# -- the confirmation token ------------------------------------------------------------------
def _serializer() -> URLSafeTimedSerializer:
    secret = current_app.secret_key
    if not secret:  # pragma: no cover - the configuration refuses to start without one
        raise RuntimeError("SECRET_KEY is not set")
    return URLSafeTimedSerializer(secret, salt="organizations.add")


def _confirmation_token(account: Account, customer_number: str, enterprise_number: str, message: str | None) -> str:
    return _serializer().dumps(
        {
            "account": str(account.id),
            "customer_number": customer_number,
            "enterprise_number": enterprise_number,
            "message": message or "",
        }
    )


def _read_confirmation_token(token: str | None, account: Account) -> dict | None:
    if not token or len(token) > 16000:
        return None
    try:
        data = _serializer().loads(token, max_age=CONFIRMATION_SECONDS)
    except BadSignature:
        return None
    if not isinstance(data, dict) or data.get("account") != str(account.id):
        return None
    if not all(isinstance(data.get(key), str) for key in ("customer_number", "enterprise_number", "message")):
        return None
    return data


# -- adding an organization ------------------------------------------------------------------
@bp.route("/orgs/add", methods=["GET", "POST"])
@authenticated
@add_organization_limit
@add_organization_limit_per_address
@add_organization_limit_per_enterprise_number
def add() -> ResponseReturnValue:
    form = AddOrganizationForm()
    status = 200
    if form.validate_on_submit():
        account = signed_in_account()
        try:
            outcome = service.add_organization(
                form.customer_number.data, form.enterprise_number.data, actor=account, message=form.message.data
            )
        except InvalidEnterpriseNumber as error:
            report_error(error, form)
            status = 422
        except NotInRegisterError as error:
            g.register_lookup_failed = True
            report_error(error, form)
            # The pair is wrong, not one number: the message stands next to both.
            form.enterprise_number.errors.append(error.message)
            status = 422
        except AlreadyMemberError as error:
            report_error(error, form)
            return redirect(url_for(".organization_home", org_id=error.membership.organization_id))
        except service.RequestAlreadyPendingError as error:
            report_error(error, form)
            return redirect(url_for(".home"))
        else:
            if isinstance(outcome, service.NewOrganization):
                # Rendered in answer to the post, not redirected: the numbers stay out of URLs
                # (history, logs); the confirmation carries them signed, for this account only.
                confirm_form = ConfirmOrganizationForm(
                    formdata=None,
                    token=_confirmation_token(
                        account, outcome.customer.customer_number, outcome.customer.enterprise_number, form.message.data
                    ),
                )
                return render_template("organizations/add_confirm.html", form=confirm_form, customer=outcome.customer)
            db.session.commit()
            flash(
                _(
                    "%(organization)s is already in Panda. Your request to join has been sent to its "
                    "administrators; you will receive an e-mail when they have decided.",
                    organization=outcome.organization.name,
                ),
                "success",
            )
            return redirect(url_for(".home"))
    elif form.is_submitted():
        status = 422
    return render_template("organizations/add.html", form=form), status


@bp.post("/orgs/add/confirm")
@authenticated
def add_confirm() -> ResponseReturnValue:
    account = signed_in_account()
    form = ConfirmOrganizationForm()
    data = _read_confirmation_token(form.token.data, account)
    if data is None or not form.validate_on_submit():
        flash(_("This confirmation has expired. Please enter the numbers again."), "warning")
        return redirect(url_for(".add"))
    try:
        membership = service.create_organization(
            data["customer_number"], data["enterprise_number"], actor=account, message=data["message"]
        )
    except (InvalidEnterpriseNumber, NotInRegisterError):
        # The register changed since the look-up: whichever number it was, the pair no longer holds.
        report_error(NotInRegisterError())
        return redirect(url_for(".add"))
    except AlreadyMemberError as error:
        report_error(error, form)
        return redirect(url_for(".organization_home", org_id=error.membership.organization_id))
    except service.RequestAlreadyPendingError as error:
        report_error(error, form)
        return redirect(url_for(".home"))
    db.session.commit()
    if membership.status == MembershipStatus.ACTIVE:
        flash(
            _("%(organization)s has been added. You are its administrator.", organization=membership.organization.name),
            "success",
        )
        return redirect(url_for(".organization_home", org_id=membership.organization_id))
    flash(
        _(
            "%(organization)s was added to Panda by someone else a moment ago. Your request to join "
            "has been sent to its administrators.",
            organization=membership.organization.name,
        ),
        "success",
    )
    return redirect(url_for(".home"))


# -- the requester ---------------------------------------------------------------------------
@bp.post("/requests/<membership_id>/withdraw")
@authenticated
def withdraw_request(membership_id: str) -> ResponseReturnValue:
    form = WithdrawForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        membership = service.withdraw_request(parse_uuid_or_404(membership_id), actor=signed_in_account())
    except service.RequestNotFoundError:
        abort(404)
    except service.RequestAlreadyDecidedError as error:
        report_error(error, form)
        return redirect(url_for(".home"))
    db.session.commit()
    flash(
        _("Your request to join %(organization)s has been withdrawn.", organization=membership.organization.name),
        "success",
    )
    return redirect(url_for(".home"))


# -- the administrators' decision ------------------------------------------------------------
def _request_or_404(membership_id: str) -> Membership:
    membership = service.find_request(current_organization(), parse_uuid_or_404(membership_id))
    if membership is None:
        abort(404)
    return membership


def _decision_page(
    membership: Membership, approve_form: DecisionForm, reject_form: DecisionForm, status: int = 200
) -> ResponseReturnValue:
    return render_template(
        "organizations/request_detail.html",
        organization=current_organization(),
        membership=membership,
        approve_form=approve_form,
        reject_form=reject_form,
        decider=service.decider_of(membership),
    ), status


@bp.get("/orgs/<org_id>/requests/<membership_id>")
@requires("org.requests.decide")
def request_detail(org_id: str, membership_id: str) -> ResponseReturnValue:
    membership = _request_or_404(membership_id)
    return _decision_page(membership, DecisionForm(prefix="approve"), DecisionForm(prefix="reject"))


@bp.post("/orgs/<org_id>/requests/<membership_id>/approve")
@requires("org.requests.decide")
def approve_request(org_id: str, membership_id: str) -> ResponseReturnValue:
    return _decide(membership_id, approve=True)


@bp.post("/orgs/<org_id>/requests/<membership_id>/reject")
@requires("org.requests.decide")
def reject_request(org_id: str, membership_id: str) -> ResponseReturnValue:
    return _decide(membership_id, approve=False)


def _decide(membership_id: str, *, approve: bool) -> ResponseReturnValue:
    organization = current_organization()
    membership_uuid = parse_uuid_or_404(membership_id)
    form = DecisionForm(prefix="approve" if approve else "reject")
    if not form.validate_on_submit():
        membership = _request_or_404(membership_id)
        other = DecisionForm(prefix="reject" if approve else "approve", formdata=None)
        forms = (form, other) if approve else (other, form)
        return _decision_page(membership, *forms, status=400)
    decide = service.approve_request if approve else service.reject_request
    try:
        membership = decide(organization, membership_uuid, actor=signed_in_account(), message=form.message.data)
    except service.RequestNotFoundError:
        abort(404)
    except service.RequestAlreadyDecidedError as error:
        report_error(error, form)
        return redirect(url_for(".request_detail", org_id=organization.id, membership_id=membership_uuid))
    db.session.commit()
    name = membership.account.name
    if approve:
        flash(
            _(
                "%(name)s is now a member of %(organization)s and has been told by e-mail. To let them "
                "manage cases in the organization's name, tick “Support Community” below and confirm.",
                name=name,
                organization=organization.name,
            ),
            "success",
        )
        return redirect(url_for(".member_detail", org_id=organization.id, membership_id=membership.id) + "#access")
    flash(_("The request to join of %(name)s has been rejected; they have been told by e-mail.", name=name), "success")
    return redirect(url_for(".organization_home", org_id=organization.id))
