"""Two API requests at the same moment (PostgreSQL, real transactions): one change per copy, one case per key."""

from __future__ import annotations

import threading
import time

import pytest

from tests.community.api.support import access_token
from tests.community.auth.fake_op import org

PEETERS = org("Bakkerij Peeters BV")


def slowed(monkeypatch, module, name: str, seconds: float = 0.5) -> None:
    """The first call of ``module.name`` takes ``seconds`` longer (inside its transaction)."""
    original = getattr(module, name)
    calls = []

    def slow(*args, **kwargs):
        calls.append(1)
        result = original(*args, **kwargs)
        if len(calls) == 1:
            time.sleep(seconds)
        return result

    monkeypatch.setattr(module, name, slow)


def at_once(*requests_):
    answers: list = [None] * len(requests_)

    def run(index, request):
        answers[index] = request()

    threads = [threading.Thread(target=run, args=(i, r)) for i, r in enumerate(requests_)]
    for thread in threads:
        thread.start()
        time.sleep(0.1)
    for thread in threads:
        thread.join(timeout=20)
    return answers


@pytest.fixture()
def setting(committing_community, fake_panda_server):
    from support_community.cases.services.demo_data import load_demo
    from support_community.extensions import db
    from tests.community.factories import acting_as, open_case

    app = committing_community
    ann = fake_panda_server.add_user(orgs=[PEETERS])
    with app.app_context():
        load_demo()
        case = open_case(PEETERS, acting_as(ann))
        db.session.commit()
        case_id = case.id
    return app, access_token(fake_panda_server, ann.sub), case_id


def test_two_closings_from_the_same_copy_one_is_refused(setting, monkeypatch):
    from support_community.cases.services import conversation

    app, token, case_id = setting
    path = f"/api/v1/orgs/{PEETERS['id']}/cases/{case_id}"
    headers = {"Authorization": f"Bearer {token}"}
    etag = app.test_client().get(path, headers=headers).headers["ETag"]
    slowed(monkeypatch, conversation, "close")

    def close(comment: str):
        return lambda: app.test_client().patch(
            path, headers={**headers, "If-Match": etag}, json={"status": "closed", "comment": comment}
        )

    answers = at_once(close("First"), close("Second"))
    assert sorted(a.status_code for a in answers) == [200, 412]


def test_one_idempotency_key_sent_twice_at_once_opens_one_case(setting, monkeypatch):
    from sqlalchemy import func, select

    from support_community.cases.models import Case
    from support_community.cases.services import creating
    from support_community.extensions import db

    app, token, _case_id = setting
    slowed(monkeypatch, creating, "open_case")
    with app.app_context():
        from tests.community.factories import category

        vat = category("accounting", "vat").id
    body = {"product": "accounting", "category_id": vat, "severity": "low", "subject": "Twice?", "description": "?"}
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": "same-key"}

    def post():
        return app.test_client().post(f"/api/v1/orgs/{PEETERS['id']}/cases", headers=headers, json=body)

    answers = at_once(post, post)
    statuses = sorted(a.status_code for a in answers)
    assert statuses in ([201, 201], [201, 409]), [a.json for a in answers]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Case).where(Case.subject == "Twice?")) == 1
