"""The load test of `make cluster`: accountants browsing and opening cases, administrators
approving requests to join, support agents replying. See bench/README.md ("Load").

    (set -a; . instance/cluster/panda.env; set +a; .venv/bin/python bench/load/seed.py)
    .venv/bin/locust -f bench/load/locustfile.py --headless -u 200 -r 5 -t 10m \
        --csv instance/cluster/load

Every simulated person signs in once at Panda (password) and once at the community (through
Panda, OpenID Connect), then keeps working with think times of 1 to 5 seconds, over https
through nginx, trusting the cluster's certificate authority. ``CLUSTER_PATH``,
``PANDA_TLS_PORT`` and ``COMMUNITY_TLS_PORT`` are read as ``make cluster`` reads them.
"""

from __future__ import annotations

import json
import os
import random
import re
import threading
from pathlib import Path

from locust import HttpUser, between, events, task

FOLDER = Path(os.environ.get("CLUSTER_PATH") or Path(__file__).resolve().parents[2] / "instance" / "cluster")
PANDA = f"https://127.0.0.1:{os.environ.get('PANDA_TLS_PORT', '5443')}"
COMMUNITY = f"https://127.0.0.1:{os.environ.get('COMMUNITY_TLS_PORT', '5444')}"
CA = str(FOLDER / "tls" / "ca.pem")
PEOPLE = json.loads((FOLDER / "load-people.json").read_text()) if (FOLDER / "load-people.json").exists() else {}

CSRF = re.compile(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"')
ORG_LINK = re.compile(r'href="(?:https://[^"/]+)?/orgs/([0-9a-f-]{36})/"')
CASE_LINK = re.compile(r'href="(?:https://[^"/]+)?/orgs/([0-9a-f-]{36})/cases/([0-9a-f-]{36})"')
AGENT_CASE_LINK = re.compile(r'href="(?:https://[^"/]+)?/agent/cases/([0-9a-f-]{36})"')
CATEGORY = re.compile(r'<option value="(\d+)"')

_lock = threading.Lock()
_handed_out: dict[str, int] = {}


def next_of(kind: str) -> str:
    """People of one kind, handed out in turn (each simulated person signs in as another one)."""
    with _lock:
        number = _handed_out.get(kind, 0)
        _handed_out[kind] = number + 1
    people = PEOPLE[kind]
    person = people[number % len(people)]
    return person if isinstance(person, str) else person["email"]


def pending_request(orgs: list[str]) -> tuple[str, str] | None:
    """A request to join one of ``orgs`` that nobody approved yet."""
    with _lock:
        for org_id in orgs:
            requests = PEOPLE.get("pending", {}).get(org_id) or []
            if requests:
                return org_id, requests.pop()
    return None


def token(html: str) -> str:
    match = CSRF.search(html)
    return match.group(1) if match else ""


@events.test_start.add_listener
def _check(environment, **_kwargs) -> None:
    if not PEOPLE:
        raise SystemExit(f"run bench/load/seed.py first (no {FOLDER / 'load-people.json'})")


class Person(HttpUser):
    abstract = True
    host = PANDA
    wait_time = between(1, 5)
    kind = ""

    def on_start(self) -> None:
        self.client.verify = CA
        self.client.trust_env = False
        self.email = next_of(self.kind)
        page = self.client.get(f"{PANDA}/sign-in", name="panda: sign-in page")
        self.post(
            f"{PANDA}/sign-in",
            {"email": self.email, "password": PEOPLE["password"], "csrf_token": token(page.text)},
            name="panda: sign in",
            referer=f"{PANDA}/sign-in",
        )
        # Sign in at the community through Panda: authorize, callback, home.
        self.client.get(f"{COMMUNITY}/auth/sign-in", name="community: sign in through Panda")

    def post(self, url: str, data: dict, *, name: str, referer: str):  # noqa: ANN201
        return self.client.post(url, data=data, headers={"Referer": referer}, name=name)


class Accountant(Person):
    weight = 7
    kind = "accountants"

    def on_start(self) -> None:
        super().on_start()
        switch = self.client.get(f"{COMMUNITY}/switch", name="community: switch organization")
        self.orgs = ORG_LINK.findall(switch.text) or []
        self.cases: list[tuple[str, str]] = []

    @task(2)
    def panda_home(self) -> None:
        self.client.get(f"{PANDA}/", name="panda: home with the switcher")

    @task(5)
    def case_list(self) -> None:
        if not self.orgs:
            return
        org = random.choice(self.orgs)
        page = self.client.get(f"{COMMUNITY}/orgs/{org}/cases", name="community: an organization's cases")
        self.cases = CASE_LINK.findall(page.text)[:20] or self.cases

    @task(4)
    def open_case(self) -> None:
        if not self.cases:
            return
        org, case = random.choice(self.cases)
        self.client.get(f"{COMMUNITY}/orgs/{org}/cases/{case}", name="community: a case")

    @task(1)
    def new_case(self) -> None:
        if not self.orgs:
            return
        org = random.choice(self.orgs)
        url = f"{COMMUNITY}/orgs/{org}/cases/new"
        form = self.client.get(url, name="community: new case form")
        category = CATEGORY.search(form.text)
        if not category:
            return
        self.post(
            url,
            {
                "csrf_token": token(form.text),
                "product": "accounting",
                "category": category.group(1),
                "severity": random.choice(["low", "normal", "high"]),
                "subject": "The VAT return will not send",
                "description": "It hangs on 'sending' since this morning.",
            },
            name="community: open a case",
            referer=url,
        )


class Administrator(Person):
    weight = 2
    kind = "administrators"

    def on_start(self) -> None:
        super().on_start()
        self.orgs = next(a["orgs"] for a in PEOPLE["administrators"] if a["email"] == self.email)

    @task(2)
    def organization(self) -> None:
        self.client.get(f"{PANDA}/orgs/{random.choice(self.orgs)}/", name="panda: an organization")

    @task(1)
    def approve(self) -> None:
        found = pending_request(self.orgs)
        if found is None:
            return
        org, membership = found
        url = f"{PANDA}/orgs/{org}/requests/{membership}"
        page = self.client.get(url, name="panda: a request to join")
        self.post(f"{url}/approve", {"csrf_token": token(page.text)}, name="panda: approve a request", referer=url)


class Agent(Person):
    weight = 1
    kind = "agents"

    def on_start(self) -> None:
        super().on_start()
        self.cases: list[str] = []

    @task(3)
    def queue(self) -> None:
        page = self.client.get(f"{COMMUNITY}/agent", name="community: the agents' queue")
        self.cases = AGENT_CASE_LINK.findall(page.text)[:20] or self.cases

    @task(2)
    def reply(self) -> None:
        if not self.cases:
            return
        url = f"{COMMUNITY}/agent/cases/{random.choice(self.cases)}"
        page = self.client.get(url, name="community: an agent's case")
        self.post(
            f"{url}/messages",
            {"csrf_token": token(page.text), "body": "Thank you, we are looking into it."},
            name="community: an agent's reply",
            referer=url,
        )
