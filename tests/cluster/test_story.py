"""The story of an accountant and his client, played over https against ``make cluster``.

Two instances of each service behind nginx, every request landing on either of them in turn,
two outbox workers of each racing for the mails. Along the way: a sign-in holds whichever
instance serves the next page, one instance of each service is killed in the middle and no
action fails beyond one repeated request, a sign-out at Panda ends the community's session
through a back-channel message whichever instance delivers and receives it, and a signing key
rotated at Panda is accepted by both community instances.
"""

from __future__ import annotations

import re
import time
import uuid

import pytest

from tests.cluster.harness import ClusterBrowser, ClusterRun

pytestmark = pytest.mark.cluster

PASSWORD = "a long and personal passphrase"
# Panda's register has this client; no organization exists for it until the story adds it.
BREWERY = ("100236", "Brouwerij De Smedt NV")
# The community asks Panda for its keys again at most this often (OIDC_JWKS_MIN_REFETCH_SECONDS).
JWKS_MIN_REFETCH_SECONDS = 10


def enterprise_number(customer_number: str) -> str:
    from panda_portal.organizations.demo_data import demo_customers

    return next(enterprise for customer, enterprise, _ in demo_customers() if customer == customer_number)


def register_and_verify(cluster: ClusterRun, browser: ClusterBrowser, *, name: str, email: str) -> None:
    browser.get(f"{cluster.panda_url}/register")
    browser.submit("/register", {"name": name, "email": email, "password": PASSWORD, "language": "en"})
    assert browser.response.status_code == 200, browser.text
    mail = cluster.wait_for_mail(email)
    link = next(link for link in mail["links"] if "/verify/" in link)
    assert link.startswith(cluster.panda_url), link
    browser.get(link)
    browser.submit("/verify/")
    assert browser.response.ok, browser.text


def sign_in_to_panda(cluster: ClusterRun, browser: ClusterBrowser, email: str, password: str = PASSWORD) -> None:
    browser.get(f"{cluster.panda_url}/sign-in")
    browser.submit("/sign-in", {"email": email, "password": password})
    assert browser.url.rstrip("/") == cluster.panda_url, (browser.url, browser.text[:2000])


def sign_in_to_community(cluster: ClusterRun, browser: ClusterBrowser) -> None:
    browser.get(f"{cluster.community_url}/auth/sign-in")
    assert browser.url.startswith(cluster.community_url), browser.url
    assert browser.response.ok, browser.text[:2000]


def signed_in_everywhere(browser: ClusterBrowser, url: str, name: str, pages: int = 4) -> None:
    """The next ``pages`` pages, served by whichever instance, all know the person."""
    for _ in range(pages):
        browser.get(url)
        assert browser.response.ok and browser.has_text(name), (browser.url, browser.served_by[-1:])


def test_the_story_holds_across_two_instances_of_everything(cluster):
    suffix = uuid.uuid4().hex[:6]
    an_email, jan_email, sam_email = (f"{who}.{suffix}@example.be" for who in ("an", "jan", "sam"))
    customer_number, organization = BREWERY

    # The client registers (the verification mail comes from either worker) and signs in at Panda.
    an = ClusterBrowser(cluster.ca)
    register_and_verify(cluster, an, name="An De Smedt", email=an_email)
    sign_in_to_panda(cluster, an, an_email)
    # Her sign-in holds on both Panda instances, page after page.
    signed_in_everywhere(an, f"{cluster.panda_url}/", "An De Smedt")
    assert an.instances_seen("panda") == {"panda-1", "panda-2"}

    # She adds her organization and becomes its administrator.
    an.get(f"{cluster.panda_url}/orgs/add")
    numbers = {"customer_number": customer_number, "enterprise_number": enterprise_number(customer_number)}
    an.submit("/orgs/add", numbers)
    if any("/confirm" in form["action"] for form in an.forms()):
        an.submit("/orgs/add/confirm")
    assert an.has_text(organization), an.text[:2000]

    # The accountant asks to join: the request goes to her by mail.
    jan = ClusterBrowser(cluster.ca)
    register_and_verify(cluster, jan, name="Jan Peeters", email=jan_email)
    sign_in_to_panda(cluster, jan, jan_email)
    jan.get(f"{cluster.panda_url}/orgs/add")
    jan.submit("/orgs/add", numbers)
    request_mail = cluster.wait_for_mail(an_email, subject_contains="Jan Peeters")

    # One instance of each service is lost in the middle of the story (a pod killed outright).
    killed = {name: cluster.kill(name) for name in ("panda-1", "community-1")}
    retries_before = an.retries + jan.retries

    # She approves from the mail and ticks the community access on the screen she lands on.
    an.get(next(link for link in request_mail["links"] if "/requests/" in link))
    an.submit("/approve")
    assert "/members/" in an.url, an.url
    an.submit("/members/", {"role": "member", "applications": "support_community"})
    an.submit("/members/")
    assert an.response.ok, an.text[:2000]
    cluster.wait_for_mail(jan_email, subject_contains=organization)

    # In the community, Switch organization lists the client; he opens a case in its name.
    sign_in_to_community(cluster, jan)
    jan.get(f"{cluster.community_url}/switch")
    assert jan.has_text(organization), jan.text[:2000]
    org_path = re.search(r'href="(/orgs/[0-9a-f-]{36})/"', jan.text).group(1)
    jan.get(f"{cluster.community_url}{org_path}/cases/new")
    category = re.search(r'<option value="(\d+)"', jan.text).group(1)
    jan.submit(
        "/cases/new",
        {
            "product": "accounting",
            "category": category,
            "severity": "high",
            "subject": f"VAT return will not send {suffix}",
            "description": "The return hangs on 'sending'.",
        },
    )
    assert re.search(r"CS-\d{4}-\d{6}", jan.text), jan.text[:2000]
    case_url = jan.url

    # Losing an instance cost at most one repeated request per instance lost.
    assert an.retries + jan.retries - retries_before <= len(killed)
    # The cluster started both again, as Kubernetes would.
    for name, pid in killed.items():
        cluster.wait_restarted(name, pid)

    # A support agent answers; the accountant reads it on his next page and gets one mail.
    created = cluster.command(
        "panda",
        "users",
        "add",
        sam_email,
        "--name",
        "Sam Agent",
        "--password-stdin",
        "--verified",
        "--support-agent",
        stdin=PASSWORD + "\n",
    )
    assert created.returncode == 0, created.stderr
    sam = ClusterBrowser(cluster.ca)
    sign_in_to_panda(cluster, sam, sam_email)
    sign_in_to_community(cluster, sam)
    sam.get(f"{cluster.community_url}/agent?assignee=unassigned")
    agent_case = re.search(r'href="(/agent/cases/[0-9a-f-]{36})"', sam.text).group(1)
    sam.get(f"{cluster.community_url}{agent_case}")
    sam.submit("/messages", {"body": f"Could you send the error message? {suffix}"})
    signed_in_everywhere(jan, case_url, f"Could you send the error message? {suffix}")
    assert jan.instances_seen("community") == {"community-1", "community-2"}
    reply = cluster.wait_for_mail(jan_email, subject_contains="CS-")
    assert suffix in reply["text"]

    # Panda rotates its signing key; both community instances accept tokens signed with the new one.
    rotated = cluster.command("panda", "keys", "rotate")
    assert rotated.returncode == 0, rotated.stderr
    new_kid = _active_kid(cluster)
    for instance in ("panda-1", "panda-2"):
        published = {key["kid"] for key in _jwks(cluster, instance)}
        assert new_kid in published
    time.sleep(JWKS_MIN_REFETCH_SECONDS)  # the community fetches keys again only after this long
    callbacks: set[str] = set()
    for _attempt in range(6):
        person = ClusterBrowser(cluster.ca)
        sign_in_to_panda(cluster, person, jan_email)
        sign_in_to_community(cluster, person)
        assert person.has_text("Jan Peeters"), person.text[:2000]
        callbacks |= {r.headers.get("X-Served-By") for r in person.response.history if "/auth/callback" in r.url}
        if callbacks >= {"community-1", "community-2"}:
            break
    assert callbacks >= {"community-1", "community-2"}, callbacks

    # He signs out at Panda: the back-channel message ends his community session, whichever
    # instance held it and whichever instance receives the message.
    jan.get(f"{cluster.panda_url}/")
    jan.submit("/sign-out")
    cluster.wait_for_outbox("panda")
    jan.served_by.clear()
    for _ in range(4):
        jan.get(f"{cluster.community_url}/")
        assert not jan.has_text("Jan Peeters"), jan.url
    assert jan.instances_seen("community") == {"community-1", "community-2"}
    jan.get(case_url)
    assert "/sign-in" in jan.url, jan.url


def _active_kid(cluster: ClusterRun) -> str:
    rows = cluster.sql("panda", "SELECT kid FROM oidc_signing_keys WHERE retired_at IS NULL ORDER BY generation DESC")
    return rows[0][0]


def _jwks(cluster: ClusterRun, instance: str) -> list[dict]:
    import requests

    return requests.get(f"{cluster.instance_url(instance)}/jwks", timeout=10).json()["keys"]
