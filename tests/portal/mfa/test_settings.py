"""A person's two-step settings: set it up with an app, turn it off, new recovery codes, forget browsers."""

from __future__ import annotations

import re
import time

from sqlalchemy import select

from panda_portal.audit.models import AuditEvent
from panda_portal.mfa.models import RememberedBrowser
from panda_portal.mfa.services import recovery_codes, two_step
from tests.portal.mfa.helpers import code

SECRET_SHOWN = re.compile(r'<code class="totp-secret" id="totp-secret">([A-Z2-7 ]+)</code>')


def _text(response) -> str:
    return response.get_data(as_text=True)


def _actions(panda_db, account) -> list[str]:
    return list(
        panda_db.session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.subject_account_id == account.id)
            .order_by(AuditEvent.occurred_at, AuditEvent.id)
        )
    )


def _stale_second_factor(client, minutes: int = 11) -> None:
    with client.session_transaction() as session:
        session["second_factor_at"] = int(time.time()) - minutes * 60


def test_the_profile_leads_to_two_step_verification(panda_client, make_account, login_as):
    login_as(panda_client, make_account())
    page = _text(panda_client.get("/account"))
    assert "Two-step verification is off." in page and 'href="/account/two-step"' in page


def test_setting_up_shows_a_qr_code_and_the_key_and_is_on_only_after_a_right_code(
    panda_client, panda_db, make_account, login_as
):
    account = make_account()
    login_as(panda_client, account)
    page = _text(panda_client.get("/account/two-step/set-up"))
    assert '<img src="data:image/svg+xml;' in page
    secret = SECRET_SHOWN.search(page).group(1).replace(" ", "")
    assert 'autocomplete="one-time-code"' in page and 'inputmode="numeric"' in page
    # Reloading shows the same key: the app that read it keeps working.
    assert SECRET_SHOWN.search(_text(panda_client.get("/account/two-step/set-up"))).group(1).replace(" ", "") == secret

    wrong = panda_client.post_form("/account/two-step/set-up", {"code": "000000"}, page="/account/two-step/set-up")
    assert wrong.status_code == 400 and not two_step.is_on(account)

    done = panda_client.post_form("/account/two-step/set-up", {"code": code(secret)}, page="/account/two-step/set-up")
    assert done.status_code == 200 and two_step.is_on(account)
    shown = re.findall(r"<li><code>([0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4})</code></li>", _text(done))
    assert len(set(shown)) == 10
    assert recovery_codes.unused_count(account) == 10
    assert _actions(panda_db, account) == ["account.two_step_enabled"]


def test_the_key_is_never_shown_again_once_two_step_verification_is_on(panda_client, make_account, login_as):
    account = make_account()
    login_as(panda_client, account)
    secret = SECRET_SHOWN.search(_text(panda_client.get("/account/two-step/set-up"))).group(1).replace(" ", "")
    panda_client.post_form("/account/two-step/set-up", {"code": code(secret)}, page="/account/two-step/set-up")
    assert panda_client.get("/account/two-step/set-up").location == "/account/two-step"
    for path in ("/account/two-step", "/account", "/account/activity"):
        page = _text(panda_client.get(path, follow_redirects=True))
        assert secret not in page and secret[:4] + " " + secret[4:8] not in page


def test_a_code_from_another_key_does_not_turn_it_on(panda_client, make_account, login_as):
    from panda_portal.mfa.services import totp

    account = make_account()
    login_as(panda_client, account)
    panda_client.get("/account/two-step/set-up")
    other = code(totp.new_secret())
    response = panda_client.post_form("/account/two-step/set-up", {"code": other}, page="/account/two-step/set-up")
    assert response.status_code == 400 and not two_step.is_on(account)


def test_turning_it_off_asks_for_a_code_again_after_ten_minutes(
    panda_client, panda_db, two_step_person, login_as, deliver
):
    person = two_step_person(email="ann@example.org", language="fr")
    login_as(panda_client, person.account)
    _stale_second_factor(panda_client)
    asked = panda_client.get("/account/two-step/turn-off")
    assert asked.location == "/account/two-step/confirm?next=/account/two-step/turn-off"
    # A post straight to the form is asked too.
    posted = panda_client.post_form("/account/two-step/turn-off", {}, page="/account/two-step")
    assert posted.location.startswith("/account/two-step/confirm") and two_step.is_on(person.account)

    confirmed = panda_client.post_form(
        "/account/two-step/confirm", {"code": code(person.secret), "next": "/account/two-step/turn-off"}
    )
    assert confirmed.location == "/account/two-step/turn-off"
    assert panda_client.get("/account/two-step/turn-off").status_code == 200
    off = panda_client.post_form("/account/two-step/turn-off", {}, page="/account/two-step/turn-off")
    assert off.location == "/account/two-step" and not two_step.is_on(person.account)
    assert recovery_codes.unused_count(person.account) == 0
    assert _actions(panda_db, person.account)[-1] == "account.two_step_disabled"
    mail = deliver("ann@example.org")
    assert "désactivée" in mail.subject


def test_a_wrong_code_does_not_confirm_a_sensitive_change(panda_client, two_step_person, login_as):
    person = two_step_person()
    login_as(panda_client, person.account)
    _stale_second_factor(panda_client)
    refused = panda_client.post_form(
        "/account/two-step/confirm", {"code": "000000", "next": "/account/two-step/turn-off"}
    )
    assert refused.status_code == 200
    assert panda_client.get("/account/two-step/turn-off").location.startswith("/account/two-step/confirm")


def test_a_recent_second_factor_needs_no_new_code(panda_client, two_step_person, login_as):
    person = two_step_person()
    login_as(panda_client, person.account)
    _stale_second_factor(panda_client, minutes=9)
    assert panda_client.get("/account/two-step/recovery-codes").status_code == 200


def test_new_recovery_codes_replace_the_old_ones(panda_client, panda_db, two_step_person, login_as, in_request):
    person = two_step_person()
    login_as(panda_client, person.account)
    _stale_second_factor(panda_client)
    assert panda_client.get("/account/two-step/recovery-codes").location.startswith("/account/two-step/confirm")
    # The paper codes confirm it is her, too (and that one is used up).
    panda_client.post_form(
        "/account/two-step/confirm",
        {"recovery_code": person.recovery_codes[0], "next": "/account/two-step/recovery-codes"},
    )
    page = panda_client.post_form("/account/two-step/recovery-codes", {}, page="/account/two-step/recovery-codes")
    fresh = re.findall(r"<li><code>([0-9a-z-]{19})</code></li>", _text(page))
    assert len(fresh) == 10 and not set(fresh) & set(person.recovery_codes)
    assert not recovery_codes.use_code(person.account, person.recovery_codes[1])
    assert recovery_codes.use_code(person.account, fresh[0])
    assert "account.recovery_codes_regenerated" in _actions(panda_db, person.account)


def test_forgetting_remembered_browsers_makes_every_browser_ask_again(
    panda_client, panda_db, two_step_person, sign_in, second_step
):
    person = two_step_person(email="ann@example.org")
    sign_in(panda_client, "ann@example.org")
    second_step(panda_client, code=code(person.secret), remember=True)
    page = _text(panda_client.get("/account/two-step"))
    assert "1 browser skips the second step" in page
    panda_client.post_form("/account/two-step/forget-browsers", {}, page="/account/two-step")
    assert panda_db.session.scalars(select(RememberedBrowser)).all() == []
    panda_client.post_form("/sign-out", {}, page="/account")
    assert sign_in(panda_client, "ann@example.org").location.startswith("/sign-in/two-step")
    assert "account.remembered_browsers_forgotten" in _actions(panda_db, person.account)


def test_turning_two_step_off_forgets_the_remembered_browsers(
    panda_client, panda_db, two_step_person, sign_in, second_step
):
    person = two_step_person(email="ann@example.org")
    sign_in(panda_client, "ann@example.org")
    second_step(panda_client, code=code(person.secret), remember=True)
    panda_client.post_form("/account/two-step/turn-off", {}, page="/account/two-step/turn-off")
    assert panda_db.session.scalars(select(RememberedBrowser)).all() == []


def test_pages_for_an_account_without_two_step_verification_lead_back_to_the_settings(
    panda_client, make_account, login_as
):
    login_as(panda_client, make_account())
    for path in ("/account/two-step/turn-off", "/account/two-step/recovery-codes"):
        assert panda_client.get(path).location == "/account/two-step"
    assert panda_client.get("/account/two-step/confirm?next=/account/password").location == "/account/password"
    assert panda_client.get("/account/password").status_code == 200
