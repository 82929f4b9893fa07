"""Sign-ins are counted where they happen, for the operators' dashboards."""

from __future__ import annotations

from prometheus_client import REGISTRY

from tests.portal.factories import PASSWORD

WRONG = "not the right password"


def _sign_ins(outcome: str) -> float:
    return REGISTRY.get_sample_value("sign_ins_total", {"service": "panda_portal", "outcome": outcome}) or 0.0


def test_successful_failed_and_throttled_sign_ins_are_counted(panda, panda_client, make_account, sign_in, monkeypatch):
    monkeypatch.setitem(panda.config, "SIGN_IN_LIMIT_PER_ACCOUNT", "1 per 15 minutes")
    make_account(email="ann@example.org")
    before = {outcome: _sign_ins(outcome) for outcome in ("ok", "failed", "throttled")}
    assert sign_in(panda_client, "ann@example.org", PASSWORD).status_code == 302
    assert sign_in(panda_client, "ann@example.org", WRONG).status_code == 200
    assert sign_in(panda_client, "ann@example.org", WRONG).status_code == 429
    assert {outcome: _sign_ins(outcome) - before[outcome] for outcome in before} == {
        "ok": 1,
        "failed": 1,
        "throttled": 1,
    }
