"""Both services served over real HTTP on loopback ports, for end-to-end tests.

``LiveStack`` starts Panda and the community with werkzeug's threaded server on
free 127.0.0.1 ports, each on a fresh database with committed data, registers the
community as Panda's OpenID client, and runs both outbox workers in threads.
``Browser`` is a small requests-based user agent that submits forms with their
CSRF tokens, enough to play a person through the story without JavaScript.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin

import requests
from werkzeug.serving import make_server

from tests.support import SmtpSink, drop_database, free_port, make_database


class _ServerThread(threading.Thread):
    def __init__(self, app, port: int) -> None:
        super().__init__(daemon=True)
        self.server = make_server("127.0.0.1", port, app, threaded=True)

    def run(self) -> None:
        self.server.serve_forever()

    def stop(self) -> None:
        self.server.shutdown()


class _WorkerThread(threading.Thread):
    def __init__(self, app, outbox) -> None:
        super().__init__(daemon=True)
        self.app, self.outbox = app, outbox
        self.stopping = threading.Event()

    def run(self) -> None:
        self.outbox.work(self.app, interval=0.05, should_stop=self.stopping.is_set)

    def stop(self) -> None:
        self.stopping.set()
        self.join(timeout=5)


@dataclass
class LiveStack:
    smtp: SmtpSink
    tmp_dir: str
    name: str = "live"  # names the databases: two stacks alive at once need two names
    panda_port: int = field(default_factory=free_port)
    community_port: int = field(default_factory=free_port)
    threads: list = field(default_factory=list)
    databases: list = field(default_factory=list)

    @property
    def panda_url(self) -> str:
        return f"http://127.0.0.1:{self.panda_port}"

    @property
    def community_url(self) -> str:
        return f"http://127.0.0.1:{self.community_port}"

    def _common(self, database_url: str) -> dict[str, Any]:
        return {
            "TESTING": True,
            "APP_ENV": "testing",
            "DATABASE_URL": database_url,
            "MAIL_SERVER": self.smtp.host,
            "MAIL_PORT": self.smtp.port,
            "MAIL_USE_TLS": False,
            "MAIL_USE_SSL": False,
            "RATELIMIT_STORAGE_URI": "memory://",
            "PANDA_ISSUER": self.panda_url,
            "COMMUNITY_URL": self.community_url,
        }

    def start(self) -> LiveStack:
        from panda_portal import create_app as create_panda
        from panda_portal.extensions import db as panda_db
        from panda_portal.oidc.services import register_client
        from panda_portal.outbox.services import outbox as panda_outbox
        from support_community import create_app as create_community
        from support_community.extensions import db as community_db
        from support_community.outbox.services import outbox as community_outbox

        panda_database = make_database(f"{self.name}panda", self.tmp_dir)
        community_database = make_database(f"{self.name}community", self.tmp_dir)
        self.databases = [panda_database, community_database]

        self.panda = create_panda(self._common(panda_database) | {"SECRET_KEY": "live-panda-secret"})
        with self.panda.app_context():
            panda_db.create_all()
            self.after_panda_schema()
            _client, secret = register_client(
                "support-community",
                [f"{self.community_url}/auth/callback"],
                post_logout_redirect_uris=[f"{self.community_url}/"],
                backchannel_logout_uri=f"{self.community_url}/auth/backchannel-logout",
                requires_grant="support_community",
            )
            panda_db.session.commit()

        self.community = create_community(
            self._common(community_database)
            | {
                "SECRET_KEY": "live-community-secret",
                "COMMUNITY_CLIENT_ID": "support-community",
                "COMMUNITY_CLIENT_SECRET": secret,
            }
        )
        with self.community.app_context():
            community_db.create_all()
            from support_community.cases.services.demo_data import load_demo

            load_demo()
            community_db.session.commit()

        for thread in (
            _ServerThread(self.panda, self.panda_port),
            _ServerThread(self.community, self.community_port),
            _WorkerThread(self.panda, panda_outbox),
            _WorkerThread(self.community, community_outbox),
        ):
            thread.start()
            self.threads.append(thread)
        return self

    def after_panda_schema(self) -> None:
        """Hook for seed data that must exist before the client is registered."""
        from panda_portal.organizations.demo_data import ensure_applications, ensure_demo_customers

        ensure_applications()
        ensure_demo_customers()

    def add_support_agent(self, email: str, name: str, password: str) -> None:
        """A vendor's support agent (an operator's flag in Panda, as `panda users add --support-agent`)."""
        from panda_portal.accounts.services.administration import create_account
        from panda_portal.extensions import db as panda_db

        with self.panda.app_context():
            create_account(email, name, password, "en", verified=True, support_agent=True)
            panda_db.session.commit()

    def wait_for_panda_outbox(self, timeout: float = 15.0) -> None:
        """Wait until Panda's worker has delivered everything queued (mails, back-channel messages)."""
        from panda_portal.extensions import db as panda_db
        from panda_portal.outbox.models import OutboxMessage

        _wait_for_outbox(self.panda, panda_db, OutboxMessage, timeout)

    def wait_for_community_outbox(self, timeout: float = 15.0) -> None:
        """Wait until the community's worker has delivered everything queued."""
        from support_community.extensions import db as community_db
        from support_community.outbox.models import OutboxMessage

        _wait_for_outbox(self.community, community_db, OutboxMessage, timeout)

    def stop(self) -> None:
        for thread in reversed(self.threads):
            thread.stop()
        from panda_portal.extensions import db as panda_db
        from support_community.extensions import db as community_db

        panda_db.state(self.panda).engine.dispose()
        community_db.state(self.community).engine.dispose()
        for url in self.databases:
            drop_database(url)


def _wait_for_outbox(app, database, model, timeout: float) -> None:
    import time

    from sqlalchemy import func, select

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with database.state(app).sessionmaker() as session:
            pending = session.scalar(
                select(func.count()).select_from(model).where(model.sent_at.is_(None), model.failed_at.is_(None))
            )
        if not pending:
            return
        time.sleep(0.05)
    raise AssertionError(f"{app.name}'s outbox was not delivered in time")


class _FormParser(HTMLParser):
    """Collects forms: action, method, and their named inputs' default values."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict] = []
        self._current: dict | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        a = dict(attrs)
        if tag == "form":
            self._current = {
                "action": a.get("action") or "",
                "method": (a.get("method") or "get").lower(),
                "fields": {},
                "buttons": [],
                "id": a.get("id"),
            }
            self.forms.append(self._current)
        elif self._current is not None and tag in ("input", "select", "textarea", "button"):
            name = a.get("name")
            kind = (a.get("type") or "").lower()
            if tag == "button" or kind == "submit":
                self._current["buttons"].append((name, a.get("value")))
                return
            if name and kind in ("checkbox", "radio"):
                if "checked" in a:
                    self._current["fields"][name] = a.get("value", "on")
            elif name:
                self._current["fields"].setdefault(name, a.get("value") or "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._current = None


class Browser:
    """A person's browser, without JavaScript: follows redirects, keeps cookies, submits forms."""

    def __init__(self) -> None:
        self.session = requests.Session()
        self.response: requests.Response | None = None

    def get(self, url: str, **kwargs) -> requests.Response:
        self.response = self.session.get(url, timeout=20, **kwargs)
        return self.response

    @property
    def text(self) -> str:
        assert self.response is not None
        return self.response.text

    @property
    def url(self) -> str:
        assert self.response is not None
        return self.response.url

    def forms(self) -> list[dict]:
        parser = _FormParser()
        parser.feed(self.text)
        return parser.forms

    def submit(self, action_contains: str = "", data: dict | None = None, **kwargs) -> requests.Response:
        """Submit the first form whose action contains ``action_contains`` (its CSRF token included).

        ``data`` fills or overrides fields; a value of None leaves the field out (an unticked box).
        """
        for form in self.forms():
            if action_contains in form["action"] and (action_contains or form["method"] == "post"):
                fields = dict(form["fields"])
                fields.update(data or {})
                fields = {name: value for name, value in fields.items() if value is not None}  # None: unticked
                target = urljoin(self.url, form["action"] or self.url)
                if form["method"] == "post":
                    self.response = self.session.post(target, data=fields, timeout=20, **kwargs)
                else:
                    self.response = self.session.get(target, params=fields, timeout=20, **kwargs)
                return self.response
        raise AssertionError(
            f"no form with action containing {action_contains!r} on {self.url}: {[f['action'] for f in self.forms()]}"
        )

    def has_text(self, text: str) -> bool:
        return text in re.sub(r"\s+", " ", self.text)
