"""Passkeys (WebAuthn, with py_webauthn) as a second factor: register several, name them, remove them, use one.

A passkey is added only while two-step verification is on (the recovery codes stay the
way back in). The relying party is this site as the browser sees it (``Ceremony``: the
host name and the origin of the request); the challenge of each ceremony is kept by the
views (in the session, or a signed cookie at sign-in) and used once.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import delete, or_, select, update
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    CredentialDeviceType,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from panda_portal.accounts.models import Account
from panda_portal.accounts.services.history import record_change
from panda_portal.extensions import db
from panda_portal.mfa.errors import NotOnError, TwoStepError, WrongCodeError
from panda_portal.mfa.models import Passkey
from shared.database import utcnow

# The RFC 8176 ``amr`` value of a passkey: a key held by an authenticator.
HWK = "hwk"
# ... and of a passkey that may leave the device (synced by a password manager or a platform account).
SWK = "swk"
# RFC 8176 "user": the authenticator verified the person (a PIN, a fingerprint, a face), not only their presence.
USER = "user"
NAME_MAX_LENGTH = 100
RESPONSE_MAX_LENGTH = 20_000


@dataclass(frozen=True)
class Ceremony:
    """Where the browser is: the relying party id (host name) and the origin it reports."""

    rp_id: str
    origin: str
    rp_name: str


def passkeys_of(account: Account) -> list[Passkey]:
    return list(
        db.session.scalars(select(Passkey).where(Passkey.account_id == account.id).order_by(Passkey.created_at))
    )


def has_passkeys(account: Account) -> bool:
    return db.session.execute(select(Passkey.id).where(Passkey.account_id == account.id).limit(1)).first() is not None


def _for_a_page(options_json: str) -> str:
    """The options as JSON that can sit in a page's data block (a name with "</script>" cannot end it)."""
    return options_json.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def registration_options(account: Account, ceremony: Ceremony) -> tuple[str, str]:
    """The options for ``navigator.credentials.create`` (JSON) and their challenge (base64url)."""
    options = generate_registration_options(
        rp_id=ceremony.rp_id,
        rp_name=ceremony.rp_name,
        user_id=account.id.bytes,
        user_name=account.email,
        user_display_name=account.name,
        exclude_credentials=[
            PublicKeyCredentialDescriptor(id=base64url_to_bytes(passkey.credential_id))
            for passkey in passkeys_of(account)
        ],
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.PREFERRED, user_verification=UserVerificationRequirement.PREFERRED
        ),
    )
    return _for_a_page(options_to_json(options)), bytes_to_base64url(options.challenge)


def _refused() -> TwoStepError:
    return TwoStepError(_("The passkey could not be checked. Please try again."), field="passkey_response")


def _parsed(response: str | None) -> dict:
    if not response or len(response) > RESPONSE_MAX_LENGTH:
        raise _refused()
    try:
        parsed = json.loads(response)
    except ValueError:
        raise _refused() from None
    if not isinstance(parsed, dict) or not isinstance(parsed.get("id"), str):
        raise _refused()
    return parsed


def add(
    account: Account, *, name: str, response: str | None, challenge: str, ceremony: Ceremony, actor: Account
) -> Passkey:
    """Register the passkey the browser just made (``response``: its JSON) under ``name``."""
    from panda_portal.mfa.services.two_step import is_on

    if not is_on(account):
        raise NotOnError(_("Two-step verification is not on for your account."))
    parsed = _parsed(response)
    try:
        verified = verify_registration_response(
            credential=parsed,
            expected_challenge=base64url_to_bytes(challenge),
            expected_rp_id=ceremony.rp_id,
            expected_origin=ceremony.origin,
        )
    except (WebAuthnException, ValueError, KeyError, TypeError):
        raise _refused() from None
    credential_id = bytes_to_base64url(verified.credential_id)
    if db.session.execute(select(Passkey.id).where(Passkey.credential_id == credential_id)).first() is not None:
        raise TwoStepError(_("This passkey is already registered."), field="passkey_response")
    passkey = Passkey(
        account_id=account.id,
        credential_id=credential_id,
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
        name=name.strip()[:NAME_MAX_LENGTH],
    )
    db.session.add(passkey)
    db.session.flush()
    record_change("passkey_added", account, actor=actor, name=passkey.name)
    return passkey


def _owned(account: Account, passkey_id: object) -> Passkey:
    try:
        key = uuid.UUID(str(passkey_id))
    except ValueError:
        key = None
    passkey = db.session.get(Passkey, key) if key is not None else None
    if passkey is None or passkey.account_id != account.id:
        raise TwoStepError(_("This passkey no longer exists."))
    return passkey


def rename(account: Account, passkey_id: object, name: str, *, actor: Account) -> None:
    passkey = _owned(account, passkey_id)
    before = passkey.name
    passkey.name = name.strip()[:NAME_MAX_LENGTH]
    if passkey.name != before:
        record_change("passkey_renamed", account, actor=actor, name=passkey.name)


def remove(account: Account, passkey_id: object, *, actor: Account) -> None:
    passkey = _owned(account, passkey_id)
    db.session.delete(passkey)
    db.session.flush()
    record_change("passkey_removed", account, actor=actor, name=passkey.name)


def delete_all(account: Account) -> None:
    db.session.execute(delete(Passkey).where(Passkey.account_id == account.id))


def authentication_options(account: Account, ceremony: Ceremony) -> tuple[str, str] | None:
    """The options for ``navigator.credentials.get`` (JSON) and their challenge, or ``None`` without passkeys."""
    passkeys = passkeys_of(account)
    if not passkeys:
        return None
    options = generate_authentication_options(
        rp_id=ceremony.rp_id,
        allow_credentials=[PublicKeyCredentialDescriptor(id=base64url_to_bytes(p.credential_id)) for p in passkeys],
        user_verification=UserVerificationRequirement.PREFERRED,
    )
    return _for_a_page(options_to_json(options)), bytes_to_base64url(options.challenge)


def use(account: Account, response: str | None, *, challenge: str | None, ceremony: Ceremony) -> str:
    """Check a passkey's signature over ``challenge``; returns the ``amr`` value, or ``WrongCodeError``."""
    wrong = WrongCodeError(_("The passkey could not be checked. Please try again."), field="passkey_response")
    if not challenge:
        raise wrong
    try:
        parsed = _parsed(response)
    except TwoStepError:
        raise wrong from None
    passkey = db.session.execute(
        select(Passkey).where(Passkey.credential_id == parsed["id"], Passkey.account_id == account.id)
    ).scalar_one_or_none()
    if passkey is None:
        raise wrong
    try:
        verified = verify_authentication_response(
            credential=parsed,
            expected_challenge=base64url_to_bytes(challenge),
            expected_rp_id=ceremony.rp_id,
            expected_origin=ceremony.origin,
            credential_public_key=passkey.public_key,
            credential_current_sign_count=passkey.sign_count,
        )
    except (WebAuthnException, ValueError, KeyError, TypeError):
        raise wrong from None
    passkey.sign_count = verified.new_sign_count
    passkey.last_used_at = utcnow()
    return HWK


# -- signing in with a passkey alone (no password) ------------------------------------------
@dataclass(frozen=True)
class PasskeySignIn:
    """Who a passkey signed in, and how (the RFC 8176 ``amr`` values of the session)."""

    account: Account
    methods: tuple[str, ...]


def sign_in_options(ceremony: Ceremony) -> tuple[str, str]:
    """The options for ``navigator.credentials.get`` without naming any account (a discoverable passkey).

    No e-mail address is asked first and no list of credentials is sent: the page says nothing
    about who has an account, or a passkey. User verification is required.
    """
    options = generate_authentication_options(
        rp_id=ceremony.rp_id, user_verification=UserVerificationRequirement.REQUIRED
    )
    return options_to_json(options), bytes_to_base64url(options.challenge)


def sign_in(response: str | None, *, challenge: str | None, ceremony: Ceremony) -> PasskeySignIn:
    """Check a passkey that signs someone in without a password; ``WrongCodeError`` when it does not.

    The passkey must be registered here, its owner an active account, the signature over
    ``challenge`` good, and the person verified by the authenticator (UV). Every refusal
    has the same message: nothing tells whether a passkey or an account exists.
    """
    wrong = WrongCodeError(
        _("This passkey could not sign you in. Use your password instead."), field="passkey_response"
    )
    if not challenge:
        raise wrong
    try:
        parsed = _parsed(response)
    except TwoStepError:
        raise wrong from None
    passkey = db.session.execute(select(Passkey).where(Passkey.credential_id == parsed["id"])).scalar_one_or_none()
    if passkey is None:
        raise wrong
    account = db.session.get(Account, passkey.account_id)
    if account is None or not account.is_active:
        raise wrong
    user_handle = (parsed.get("response") or {}).get("userHandle") if isinstance(parsed.get("response"), dict) else None
    if user_handle is not None:
        try:
            if base64url_to_bytes(str(user_handle)) != account.id.bytes:
                raise wrong
        except (ValueError, TypeError):
            raise wrong from None
    try:
        verified = verify_authentication_response(
            credential=parsed,
            expected_challenge=base64url_to_bytes(challenge),
            expected_rp_id=ceremony.rp_id,
            expected_origin=ceremony.origin,
            credential_public_key=passkey.public_key,
            credential_current_sign_count=passkey.sign_count,
            require_user_verification=True,
        )
    except (WebAuthnException, ValueError, KeyError, TypeError):
        raise wrong from None
    # The counter moves forward in one conditional statement: two requests with answers of the
    # same counter (a cloned authenticator) cannot both get in. A counter of 0 is a passkey that
    # keeps none (synced passkeys): the single-use challenge guards those.
    moved = db.session.execute(
        update(Passkey)
        .where(
            Passkey.id == passkey.id,
            or_(Passkey.sign_count < verified.new_sign_count, Passkey.sign_count == 0),
        )
        .values(sign_count=verified.new_sign_count, last_used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if getattr(moved, "rowcount", 1) != 1:
        raise wrong
    kind = SWK if verified.credential_device_type == CredentialDeviceType.MULTI_DEVICE else HWK
    return PasskeySignIn(account=account, methods=(kind, USER))
