"""What operators rely on in ``make cluster``: shared limits, mail sent once, TLS, metrics, logs, stops."""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from collections import Counter

import pytest
import requests

from tests.cluster.harness import ClusterBrowser
from tests.cluster.test_story import PASSWORD, register_and_verify

pytestmark = pytest.mark.cluster


def test_every_response_names_the_instance_that_served_it_in_turn(cluster, browser):
    for _ in range(4):
        response = browser.get(f"{cluster.panda_url}/healthz")
        assert response.json()["instance"] == response.headers["X-Served-By"]
    assert browser.instances_seen("panda") == {"panda-1", "panda-2"}
    for _ in range(2):
        browser.get(f"{cluster.community_url}/healthz")
    assert browser.instances_seen("community") == {"community-1", "community-2"}


def test_plain_http_redirects_to_https_with_a_certificate_for_127_0_0_1(cluster, browser):
    response = requests.get(f"{cluster.panda_plain_url}/sign-in?next=/", allow_redirects=False, timeout=10)
    assert response.status_code == 308
    assert response.headers["Location"] == f"{cluster.panda_url}/sign-in?next=/"
    assert browser.get(response.headers["Location"]).ok
    stranger = requests.Session()
    stranger.trust_env = False
    with pytest.raises(requests.exceptions.SSLError):
        stranger.get(f"{cluster.panda_url}/healthz", timeout=10)  # without the cluster's authority: refused


def test_the_public_pages_are_served_as_production_serves_them(cluster, browser):
    response = browser.get(f"{cluster.panda_url}/sign-in")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    cookie = next(cookie for cookie in browser.session.cookies if cookie.name == "panda_session")
    assert cookie.secure
    discovery = browser.get(f"{cluster.panda_url}/.well-known/openid-configuration").json()
    assert discovery["issuer"] == cluster.panda_url


def test_rate_limits_are_shared_by_every_instance(cluster):
    email = f"limited.{uuid.uuid4().hex[:6]}@example.be"
    person = ClusterBrowser(cluster.ca)
    register_and_verify(cluster, person, name="Lim Ited", email=email)
    attacker = ClusterBrowser(cluster.ca)
    statuses = []
    for _ in range(10):  # SIGN_IN_LIMIT_PER_ACCOUNT: 10 per 15 minutes
        attacker.get(f"{cluster.panda_url}/sign-in")
        attacker.submit("/sign-in", {"email": email, "password": "not the password at all"})
        statuses.append(attacker.response.status_code)
    assert 429 not in statuses
    assert attacker.instances_seen("panda") == {"panda-1", "panda-2"}
    attacker.get(f"{cluster.panda_url}/sign-in")
    attacker.submit("/sign-in", {"email": email, "password": PASSWORD})
    assert attacker.response.status_code == 429, "each instance kept its own count"


def test_each_mail_is_sent_exactly_once_by_two_racing_workers(cluster):
    tag = uuid.uuid4().hex[:8]
    queued = cluster.python(
        "panda",
        "from panda_portal import create_app\n"
        "from panda_portal.extensions import db\n"
        "from panda_portal.outbox.services import outbox\n"
        "app = create_app()\n"
        "with app.app_context():\n"
        "    for n in range(40):\n"
        f"        outbox.enqueue_mail(to=f'burst{{n}}@example.be', subject=f'Burst {tag} {{n}}', text='hello')\n"
        "    db.session.commit()\n",
    )
    assert queued.returncode == 0, queued.stderr
    cluster.wait_for_outbox("panda")
    burst = [mail for mail in cluster.mails() if tag in (mail["subject"] or "")]
    assert sorted(mail["subject"] for mail in burst) == sorted(f"Burst {tag} {n}" for n in range(40))
    # Across the whole story so far: no Message-ID arrived twice.
    message_ids = Counter()
    for mail in cluster.mails():
        match = re.search(r"^Message-ID:\s*(\S+)", cluster.mail_source(mail["id"]), re.MULTILINE | re.IGNORECASE)
        message_ids[match.group(1) if match else mail["id"]] += 1
    assert [mid for mid, count in message_ids.items() if count > 1] == []
    # Both workers took part.
    attempts = _metric_values(cluster, "panda-1", "outbox_delivery_attempts_total") + _metric_values(
        cluster, "panda-2", "outbox_delivery_attempts_total"
    )
    assert attempts and sum(value for labels, value in attempts if 'outcome="sent"' in labels) >= 40


def test_metrics_are_read_on_each_instance_and_never_through_the_proxy(cluster, browser):
    browser.get(f"{cluster.panda_url}/sign-in")
    assert browser.get(f"{cluster.panda_url}/metrics").status_code == 404
    assert requests.get(f"{cluster.service_url('panda')}/metrics", timeout=10).status_code in (404,)
    text = requests.get(f"{cluster.instance_url('panda-1')}/metrics", timeout=10).text
    for name in (
        "http_requests_total",
        "http_request_duration_seconds_bucket",
        "sign_ins_total",
        "oidc_token_grants_total",
        "outbox_backlog",
        "outbox_oldest_pending_age_seconds",
        "outbox_failed",
        "db_pool_connections_in_use",
        "database_up",
    ):
        assert name in text, name
    assert (
        'endpoint="accounts.sign_in"' in text
        or 'endpoint="accounts.sign_in"' in requests.get(f"{cluster.instance_url('panda-2')}/metrics", timeout=10).text
    )


def test_logs_are_json_lines_with_the_instance_and_the_request_id(cluster, browser):
    request_id = f"test-{uuid.uuid4().hex[:12]}"
    response = browser.get(f"{cluster.community_url}/healthz", headers={"X-Request-ID": request_id})
    assert response.headers["X-Request-ID"] == request_id
    instance = response.headers["X-Served-By"]
    mine = _log_entries(cluster, instance, request_id)
    assert mine, "the request's line is missing"
    assert mine[-1]["instance"] == instance and mine[-1]["service"] == "support_community"
    assert mine[-1]["path"] == "/healthz" and mine[-1]["status"] == 200 and "duration_ms" in mine[-1]
    assert {"time", "level", "message"} <= set(mine[-1])
    # A made-up request id that could break a log line or a header is replaced.
    replaced = browser.get(f"{cluster.community_url}/healthz", headers={"X-Request-ID": "bad id\twith spaces"})
    assert re.fullmatch(r"[0-9a-f]{32}", replaced.headers["X-Request-ID"])


def test_a_graceful_stop_under_load_fails_no_request(cluster):
    failures: list[str] = []
    served: Counter = Counter()
    stop = threading.Event()

    def load() -> None:
        session = requests.Session()
        session.trust_env = False
        session.verify = cluster.ca
        for _ in range(60):
            if stop.is_set():
                return
            try:
                response = session.get(f"{cluster.panda_url}/sign-in", timeout=30)
            except requests.RequestException as exc:
                failures.append(type(exc).__name__)
                continue
            served[response.headers.get("X-Served-By")] += 1
            if response.status_code != 200:
                failures.append(str(response.status_code))

    threads = [threading.Thread(target=load) for _ in range(8)]
    for thread in threads:
        thread.start()
    while sum(served.values()) < 40 and any(thread.is_alive() for thread in threads):
        threading.Event().wait(0.05)
    pid = cluster.terminate("panda-2")  # SIGTERM, as Kubernetes sends it
    for thread in threads:
        thread.join(timeout=120)
    stop.set()
    assert failures == []
    assert served["panda-1"] and served["panda-2"]
    cluster.wait_restarted("panda-2", pid)


def test_the_migrations_ran_once_before_any_instance(cluster):
    log = cluster.log()
    assert log.count("panda-migrate      | Database is at head.") == 1
    assert log.count("community-migrate  | Database is at head.") == 1
    first_instance = log.index("started panda-1")
    assert log.index("panda-migrate") < first_instance and log.index("community-migrate") < first_instance


def _metric_values(cluster, instance: str, name: str) -> list[tuple[str, float]]:
    text = requests.get(f"{cluster.instance_url(instance)}/metrics", timeout=10).text
    found = []
    for line in text.splitlines():
        if line.startswith(name + "{"):
            labels, _, value = line.rpartition(" ")
            found.append((labels, float(value)))
    return found


def _log_entries(cluster, instance: str, request_id: str, timeout: float = 20.0) -> list[dict]:
    """The JSON lines ``instance`` wrote about ``request_id`` (they reach the cluster's output a moment later)."""
    deadline = time.monotonic() + timeout
    while True:
        lines = [line.split(" | ", 1)[1] for line in cluster.log().splitlines() if line.startswith(f"{instance} ")]
        entries = [json.loads(line) for line in lines if line.startswith("{")]
        mine = [entry for entry in entries if entry.get("request_id") == request_id]
        if mine or time.monotonic() > deadline:
            return mine
        time.sleep(0.2)
