"""Token grants are counted where they happen, for the operators' dashboards."""

from __future__ import annotations

from prometheus_client import REGISTRY


def _grants(grant_type: str) -> float:
    return REGISTRY.get_sample_value("oidc_token_grants_total", {"grant_type": grant_type}) or 0.0


def test_token_grants_are_counted_by_grant_type_and_refusals_are_not(flow):
    codes, refreshes = _grants("authorization_code"), _grants("refresh_token")
    tokens = flow.tokens()
    assert flow.refresh(tokens["refresh_token"]).status_code == 200
    assert flow.refresh(tokens["refresh_token"]).status_code == 400  # reused: refused, not counted
    assert _grants("authorization_code") - codes == 1
    assert _grants("refresh_token") - refreshes == 1
