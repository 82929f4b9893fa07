"""The community's test app talks to a fake Panda served on a loopback port.

``community_app`` (and so ``community``, ``community_client``, ``community_db``)
is overridden here: its ``PANDA_ISSUER`` is the fake provider of
``tests/community/auth/fake_op.py``, so signing in runs the real OIDC flow over
real HTTP. Request ``fake_panda`` to bend or inspect it; it starts clean for
every test. ``login`` signs someone in without the round trip (see ``fake_op.login_as``).

``demo_catalog`` loads the demo products, ``store`` gives attachments a folder of the
test's own, and ``committing_community`` is an app whose transactions really commit,
for two concurrent ones (PostgreSQL only). Rows and claims: ``tests.community.factories``;
file contents: ``tests.community.files``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.community.auth.fake_op import CLIENT_ID, CLIENT_SECRET, COMMUNITY_URL, FakePanda, PandaUser, login_as
from tests.support import TEST_INSTANCE, FormClient, SmtpSink, base_config, drop_database, is_postgres, make_database


@pytest.fixture(scope="session")
def fake_panda_server() -> Iterator[FakePanda]:
    op = FakePanda().start()
    yield op
    op.stop()


@pytest.fixture(scope="session")
def community_app(smtp_sink: SmtpSink, fake_panda_server: FakePanda):
    from support_community import create_app
    from support_community.extensions import db

    url = make_database("community", TEST_INSTANCE)
    config = base_config(smtp_sink, url) | {
        "PANDA_ISSUER": fake_panda_server.issuer,
        "COMMUNITY_URL": COMMUNITY_URL,
        "COMMUNITY_CLIENT_ID": CLIENT_ID,
        "COMMUNITY_CLIENT_SECRET": CLIENT_SECRET,
        # A rotated key must be picked up at once, not after the anti-hammering pause.
        "OIDC_JWKS_MIN_REFETCH_SECONDS": 0,
    }
    app = create_app(config)
    app.test_client_class = FormClient
    with app.app_context():
        db.create_all()
    yield app
    db.state(app).engine.dispose()
    drop_database(url)


@pytest.fixture(autouse=True)
def _fresh_panda(request, fake_panda_server: FakePanda) -> None:
    """Every test starts with a fake Panda that knows nobody, and a community that knows nothing of it."""
    fake_panda_server.reset()
    if "community" in request.fixturenames:
        from support_community.auth.provider import panda

        panda(request.getfixturevalue("community")).clear_cache()


@pytest.fixture()
def fake_panda(fake_panda_server: FakePanda, community) -> FakePanda:
    return fake_panda_server


@pytest.fixture()
def login(community_client, fake_panda: FakePanda):
    """``user = login(orgs=[org("Bakkerij Peeters")])`` signs a new person in to ``community_client``."""

    def sign_in(user: PandaUser | None = None, **attributes) -> PandaUser:
        user = user or fake_panda.add_user(**attributes)
        login_as(community_client, fake_panda, user)
        return user

    return sign_in


@pytest.fixture()
def demo_catalog(community):
    """The demo products and categories (accounting software, named in three languages)."""
    from support_community.cases.services import catalog
    from support_community.cases.services.demo_data import load_demo
    from support_community.extensions import db

    load_demo()
    db.session.flush()
    return catalog.products()


@pytest.fixture()
def store(community, tmp_path, monkeypatch):
    """Attachments go to a folder of this test's own."""
    from support_community.cases.storage import storage

    monkeypatch.setitem(community.config, "ATTACHMENT_STORAGE_PATH", str(tmp_path / "attachments"))
    monkeypatch.delitem(community.extensions, "attachment_storage", raising=False)
    return storage(community)


@pytest.fixture()
def committing_community(smtp_sink: SmtpSink, fake_panda_server: FakePanda) -> Iterator:
    """A community on a database of its own whose requests and transactions commit for real.

    For two transactions at the same moment (row locks, counters): PostgreSQL only, as
    SQLite has one writer at a time and no row locks. The database goes with the test.
    """
    if not is_postgres():
        pytest.skip(
            "needs PostgreSQL (TEST_DATABASE_URL): SQLite has one writer at a time and no row locks, "
            "so two transactions cannot overlap there"
        )
    from support_community import create_app
    from support_community.extensions import db

    url = make_database("community_committing", TEST_INSTANCE)
    app = create_app(
        base_config(smtp_sink, url)
        | {
            "PANDA_ISSUER": fake_panda_server.issuer,
            "COMMUNITY_URL": COMMUNITY_URL,
            "COMMUNITY_CLIENT_ID": CLIENT_ID,
            "COMMUNITY_CLIENT_SECRET": CLIENT_SECRET,
        }
    )
    app.test_client_class = FormClient
    with app.app_context():
        db.create_all()
    yield app
    db.state(app).engine.dispose()
    drop_database(url)
