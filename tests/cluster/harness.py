"""``make cluster`` started for the tests: on free ports, in a folder and databases of its own.

``ClusterRun`` starts ``python -m devserver.cluster`` exactly as ``make cluster`` does (only the
ports, the folder, the database names and the Redis database differ), waits for its banner,
and stops it with Ctrl-C's signal at the end. ``ClusterBrowser`` is the tests' browser over
https (trusting the cluster's certificate authority) that repeats a request once when the proxy
answers 502/503/504 or the connection fails, and counts how often it had to.
"""

from __future__ import annotations

import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from shared.config import PROJECT_ROOT
from tests.live import Browser

READY_LINE = "Press Ctrl-C to stop."
START_TIMEOUT = 300.0
ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
TEST_REDIS_URL = "redis://127.0.0.1:6379/2"
PORT_NAMES = (
    "PANDA_PORT",
    "COMMUNITY_PORT",
    "PANDA_TLS_PORT",
    "COMMUNITY_TLS_PORT",
    "MAILCATCHER_SMTP_PORT",
    "MAILCATCHER_WEB_PORT",
)


def _free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port_block(size: int = 20) -> int:
    """The first of ``size`` consecutive free loopback ports."""
    for _ in range(200):
        base = random.randrange(20000, 32000, 20)  # below Linux's ephemeral ports (32768 and up)
        if all(_free(base + offset) for offset in range(size)):
            return base
    raise RuntimeError("no block of free ports found")


@dataclass
class ClusterRun:
    folder: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="cluster-test-")))
    prefix: str = "cluster_test"
    base: int = field(default_factory=free_port_block)
    process: subprocess.Popen | None = None

    # -- addresses --
    @property
    def ports(self) -> dict[str, int]:
        named = {name: self.base + 13 + offset for offset, name in enumerate(PORT_NAMES)}
        return named | {"CLUSTER_PORT_BASE": self.base}

    @property
    def panda_url(self) -> str:
        return f"https://127.0.0.1:{self.ports['PANDA_TLS_PORT']}"

    @property
    def community_url(self) -> str:
        return f"https://127.0.0.1:{self.ports['COMMUNITY_TLS_PORT']}"

    @property
    def panda_plain_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['PANDA_PORT']}"

    @property
    def mail_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['MAILCATCHER_WEB_PORT']}"

    def instance_url(self, name: str) -> str:
        service, number = name.rsplit("-", 1)
        first = self.base + (1 if service == "panda" else 11)
        return f"http://127.0.0.1:{first + int(number) - 1}"

    def service_url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.base + (0 if service == 'panda' else 10)}"

    @property
    def ca(self) -> str:
        return str(self.folder / "tls" / "ca.pem")

    @property
    def log_path(self) -> Path:
        return self.folder / "cluster.log"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    # -- lifecycle --
    def environment(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "PANDA_", "COMMUNITY_"))}
        env.update({name: str(port) for name, port in self.ports.items()})
        env.update(
            {
                "CLUSTER_PATH": str(self.folder),
                "CLUSTER_DATABASE_PREFIX": self.prefix,
                "CLUSTER_FRESH_DATABASES": "1",
                "REDIS_URL": TEST_REDIS_URL,
                "PYTHONUNBUFFERED": "1",
            }
        )
        return env

    def start(self) -> ClusterRun:
        _flush_test_redis()
        log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "devserver.cluster"],
            cwd=PROJECT_ROOT,
            env=self.environment(),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + START_TIMEOUT
        while READY_LINE not in self.log():
            if self.process.poll() is not None:
                raise RuntimeError(f"make cluster stopped (exit {self.process.returncode}):\n{self.log()[-6000:]}")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"make cluster not ready in {START_TIMEOUT:.0f} s:\n{self.log()[-6000:]}")
            time.sleep(0.5)
        return self

    def stop(self) -> int | None:
        """Ctrl-C's signal to the cluster; returns its exit status."""
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=90)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        return self.process.returncode

    def drop_databases(self) -> None:
        try:
            import psycopg

            with psycopg.connect(ADMIN_URL, autocommit=True, connect_timeout=3) as conn:
                for service in ("panda", "community"):
                    conn.execute(f'DROP DATABASE IF EXISTS "{self.prefix}_{service}" WITH (FORCE)')
        except Exception:  # PostgreSQL went with the cluster that started it: the next run drops them
            pass

    # -- what the tests look at --
    def pids(self) -> dict[str, int]:
        return json.loads((self.folder / "state.json").read_text())["pids"]

    def kill(self, name: str) -> int:
        """Kill an instance or worker outright, with everything it started (a pod lost); returns its pid."""
        pid = self.pids()[name]
        os.killpg(pid, signal.SIGKILL)
        return pid

    def terminate(self, name: str) -> int:
        """Ask an instance to stop (SIGTERM, as Kubernetes does); returns its pid."""
        pid = self.pids()[name]
        os.kill(pid, signal.SIGTERM)
        return pid

    def wait_restarted(self, name: str, old_pid: int, timeout: float = 120.0) -> None:
        """Until the cluster started ``name`` again, it answers, and nginx sends it requests again."""
        deadline = time.monotonic() + timeout
        service = name.rsplit("-", 1)[0]
        while time.monotonic() < deadline:
            pid = self.pids().get(name)
            if pid and pid != old_pid and _answers(self.instance_url(name) + "/healthz"):
                if _served_by(self.service_url(service) + "/healthz") == name:
                    return
            time.sleep(0.3)
        raise AssertionError(f"{name} was not started again:\n{self.log()[-4000:]}")

    def service_env(self, service: str) -> dict[str, str]:
        """The settings of ``service`` in the cluster (its ``.env`` file), over this environment."""
        values = {}
        for line in (self.folder / f"{service}.env").read_text().splitlines():
            name, _, value = line.partition("=")
            values[name] = value.strip("'")
        env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
        return env | values

    def command(self, service: str, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
        """``panda ...`` or ``community ...`` on the cluster's databases, as the banner says."""
        module = {"panda": "panda_portal.cli", "community": "support_community.cli"}[service]
        return subprocess.run(
            [sys.executable, "-c", f"from {module} import main; main()", *args],
            env=self.service_env(service),
            input=stdin,
            capture_output=True,
            text=True,
            timeout=120,
            cwd=PROJECT_ROOT,
        )

    def python(self, service: str, code: str) -> subprocess.CompletedProcess:
        """Python run with the service's settings (to queue work the way a use case does)."""
        return subprocess.run(
            [sys.executable, "-c", code],
            env=self.service_env(service),
            capture_output=True,
            text=True,
            timeout=120,
            cwd=PROJECT_ROOT,
        )

    def sql(self, service: str, query: str, *params: Any) -> list[tuple]:
        import psycopg

        url = ADMIN_URL.rsplit("/", 1)[0] + f"/{self.prefix}_{service}"
        with psycopg.connect(url, autocommit=True) as conn:
            return conn.execute(query, params).fetchall()

    def wait_for_outbox(self, service: str, timeout: float = 60.0) -> None:
        """Until the service's workers delivered every message (a claimed one counts until it is sent).

        A message whose last attempt failed waits for its retry; that is not waited for.
        """
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            pending = self.sql(
                service,
                "SELECT count(*) FROM outbox_messages WHERE sent_at IS NULL AND failed_at IS NULL"
                " AND last_error IS NULL",
            )[0][0]
            if not pending:
                return
            time.sleep(0.2)
        raise AssertionError(f"{service}'s outbox was not delivered in time")

    # -- the mail catcher --
    def mails(self) -> list[dict]:
        return requests.get(f"{self.mail_url}/api/messages", timeout=10).json()

    def mail(self, message_id: str) -> dict:
        return requests.get(f"{self.mail_url}/api/messages/{message_id}", timeout=10).json()

    def mail_source(self, message_id: str) -> str:
        return requests.get(f"{self.mail_url}/messages/{message_id}/source", timeout=10).text

    def wait_for_mail(self, to: str, subject_contains: str = "", timeout: float = 60.0) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for summary in self.mails():
                if (
                    to.lower() in [r.lower() for r in summary["to"]]
                    and subject_contains.lower() in (summary["subject"] or "").lower()
                ):
                    return self.mail(summary["id"])
            time.sleep(0.2)
        caught = [(m["to"], m["subject"]) for m in self.mails()]
        raise AssertionError(f"no mail to {to} about {subject_contains!r}: {caught}")


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=2).status_code == 200
    except requests.RequestException:
        return False


def _served_by(url: str) -> str | None:
    try:
        return requests.get(url, timeout=2).headers.get("X-Served-By")
    except requests.RequestException:
        return None


def _flush_test_redis() -> None:
    """The tests' own Redis database starts empty (rate limits of an earlier run are gone)."""
    try:
        import redis

        client = redis.Redis.from_url(TEST_REDIS_URL, socket_timeout=2, socket_connect_timeout=2)
        client.flushdb()
        client.close()
    except Exception:  # nothing answers: the cluster starts a Redis of its own, empty
        pass


class ClusterBrowser(Browser):
    """A person's browser over https through nginx; one retry when the proxy or the connection fails."""

    def __init__(self, ca: str) -> None:
        super().__init__()
        # Only the cluster's authority (an environment's REQUESTS_CA_BUNDLE would win otherwise).
        self.session.trust_env = False
        self.session.verify = ca
        retry = Retry(
            total=1,
            connect=1,
            read=1,
            status=1,
            status_forcelist=(502, 503, 504),
            allowed_methods=None,  # a form post too: the person would press the button again
            raise_on_status=False,
            respect_retry_after_header=False,
            redirect=False,
        )
        self.session.mount("https://", HTTPAdapter(max_retries=retry))
        self.retries = 0
        self.served_by: list[str] = []
        self.session.hooks["response"].append(self._note)

    def submit(self, action_contains: str = "", data: dict | None = None, **kwargs: Any) -> requests.Response:
        """As a browser does over https: the page's address goes along (Flask-WTF checks it)."""
        headers = {"Referer": self.url, **kwargs.pop("headers", {})}
        return super().submit(action_contains, data, headers=headers, **kwargs)

    def _note(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        history = getattr(getattr(response.raw, "retries", None), "history", ()) or ()
        self.retries += len(history)
        served = response.headers.get("X-Served-By")
        if served:
            self.served_by.append(served)

    def instances_seen(self, service: str) -> set[str]:
        return {name for name in self.served_by if name.startswith(f"{service}-")}


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)
