"""How did we do? The solved mail's signed links, the case page's form, one rating per case for 14 days."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from shared.database import utcnow
from support_community.cases.models import CaseEvent, Status
from support_community.cases.services import satisfaction, statuses
from support_community.cases.workspace_models import CaseRating
from support_community.extensions import db
from support_community.outbox.services import outbox
from tests.community.factories import PEETERS, make_agent, make_case, make_person, withdraw


def solved_case(customer=None, *, days_ago: float = 0):
    customer = customer or make_person(name="Jan Peeters")
    case = make_case(customer, organization_id=PEETERS["id"], status=Status.IN_PROGRESS)
    statuses.change_status(case, Status.SOLVED, actor=make_agent(), by_agent=True)
    case.solved_at = utcnow() - dt.timedelta(days=days_ago)
    db.session.flush()
    return case


def rating_links(mail_sink, to: str) -> dict[str, str]:
    [mail] = [m for m in mail_sink.messages if to in m.recipients]
    return dict(re.findall(r"(Good|Bad): (http\S+)", mail.text))


def path(url: str) -> str:
    return url.split("community.test", 1)[-1] if "community.test" in url else re.sub(r"^https?://[^/]+", "", url)


def test_the_solved_mail_asks_how_we_did_with_links_that_rate_without_signing_in(
    community, community_client, mail_sink
):
    customer = make_person(name="Jan Peeters", email="jan@peeters.test")
    case = solved_case(customer)
    db.session.flush()
    outbox.deliver_due(community)
    links = rating_links(mail_sink, "jan@peeters.test")
    assert set(links) == {"Good", "Bad"}

    page = community_client.get(path(links["Bad"]))
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "How did we do?" in html and case.number in html
    assert re.search(r'<input[^>]*checked[^>]*value="bad"|<input[^>]*value="bad"[^>]*checked', html)
    assert db.session.scalar(select(CaseRating)) is None  # opening the link rates nothing (mail scanners open links)

    token_page = path(links["Bad"]).split("?")[0]
    response = community_client.post_form(
        token_page, data={"rating": "bad", "comment": "It took a week."}, page=path(links["Bad"])
    )
    assert response.status_code == 200
    assert "We are sorry" in response.get_data(as_text=True)
    rating = db.session.scalar(select(CaseRating))
    assert (rating.rating, rating.comment, rating.rated_by_sub) == ("bad", "It took a week.", customer.sub)

    # Changed within the 14 days: still one rating, and the history keeps both.
    community_client.post_form(token_page, data={"rating": "good"}, page=token_page)
    assert [r.rating for r in db.session.scalars(select(CaseRating))] == ["good"]
    history = db.session.scalars(select(CaseEvent).where(CaseEvent.field == "rating").order_by(CaseEvent.created_at))
    assert [(e.old_value, e.new_value) for e in history] == [(None, "bad"), ("bad", "good")]


def test_the_link_opens_the_rating_only(community, community_client, mail_sink):
    case = solved_case(make_person(email="jan@peeters.test"))
    outbox.deliver_due(community)
    links = rating_links(mail_sink, "jan@peeters.test")
    community_client.get(path(links["Good"]))
    # Not signed in: the case itself stays closed to the link's holder.
    response = community_client.get(f"/orgs/{PEETERS['id']}/cases/{case.id}")
    assert response.status_code == 302 and "sign-in" in response.headers["Location"]


@pytest.mark.parametrize("token", ["nonsense", "eyJjIjoiMSJ9.abc.def"])
def test_a_forged_link_is_refused_without_a_word_about_the_case(community_client, community, token):
    response = community_client.get(f"/rate/{token}?rating=good")
    assert response.status_code == 410
    assert "not valid" in response.get_data(as_text=True)


def test_a_customer_who_lost_access_or_a_case_solved_too_long_ago_cannot_be_rated(community, community_client):
    customer = make_person()
    old = solved_case(customer, days_ago=15)
    with pytest.raises(satisfaction.RatingError):
        satisfaction.rate(old, "good", "", actor=customer)

    case = solved_case(customer)
    token = satisfaction.link_token(case, customer.sub)
    withdraw(customer, PEETERS["id"])
    assert community_client.get(f"/rate/{token}").status_code == 410


def test_an_open_case_cannot_be_rated(community):
    customer = make_person()
    case = make_case(customer, status=Status.IN_PROGRESS)
    with pytest.raises(satisfaction.RatingError):
        satisfaction.rate(case, "good", "", actor=customer)


def test_the_signed_in_customer_rates_on_the_case_page_and_the_agent_sees_it(community, community_client, login):
    from tests.community.factories import acting_as

    user = login(orgs=[PEETERS])
    customer = acting_as(user)
    case = solved_case(customer)
    page = community_client.get(f"/orgs/{PEETERS['id']}/cases/{case.id}").get_data(as_text=True)
    assert 'id="rating"' in page and "How did we do?" in page

    response = community_client.post_form(
        f"/orgs/{PEETERS['id']}/cases/{case.id}/rating",
        data={"rating": "good", "comment": "Quick and clear."},
        page=f"/orgs/{PEETERS['id']}/cases/{case.id}",
    )
    assert response.status_code == 302
    page = community_client.get(f"/orgs/{PEETERS['id']}/cases/{case.id}").get_data(as_text=True)
    assert "You rated the handling of this case good." in page

    login(name="Sam Support", roles=["support_agent"], orgs=[])
    page = community_client.get(f"/agent/cases/{case.id}").get_data(as_text=True)
    assert "Customer&#39;s rating" in page or "Customer's rating" in page
    assert "Quick and clear." in page and "Rated the handling good" in page


def test_the_case_page_does_not_ask_before_the_case_is_solved(community, community_client, login):
    from tests.community.factories import acting_as

    user = login(orgs=[PEETERS])
    case = make_case(acting_as(user), organization_id=PEETERS["id"], status=Status.IN_PROGRESS)
    page = community_client.get(f"/orgs/{PEETERS['id']}/cases/{case.id}").get_data(as_text=True)
    assert 'id="rating"' not in page
    response = community_client.post_form(
        f"/orgs/{PEETERS['id']}/cases/{case.id}/rating",
        data={"rating": "good"},
        page=f"/orgs/{PEETERS['id']}/cases/{case.id}",
    )
    assert response.status_code == 302
    assert db.session.scalar(select(CaseRating)) is None


@pytest.mark.postgres_only
def test_two_clicks_at_once_leave_one_rating(committing_community):
    import threading
    import uuid

    from support_community.auth.models import PersonAccess, PersonOrganization
    from support_community.cases.models import Case, Person, Product, Severity

    app = committing_community
    with app.app_context():
        customer = Person(sub="customer", name="Ann", email="ann@example.test")
        product = Product(key="accounting", name_en="Accounting", name_nl="Boekhouding", name_fr="Comptabilité")
        case = Case(
            id=uuid.uuid4(),
            number="CS-2026-000001",
            organization_id=uuid.UUID(PEETERS["id"]),
            organization_name="Bakkerij Peeters BV",
            product=product,
            severity=Severity.NORMAL,
            status=Status.SOLVED,
            subject="VAT",
            opened_by=customer,
            created_at=utcnow(),
            last_activity_at=utcnow(),
            solved_at=utcnow(),
        )
        db.session.add_all([customer, product, case])
        db.session.flush()
        db.session.add(PersonAccess(sub="customer", roles=[], orgs_version=None))
        db.session.flush()
        db.session.add(
            PersonOrganization(sub="customer", organization_id=case.organization_id, name="Bakkerij", role="member")
        )
        db.session.commit()
        case_id = case.id

    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def click(rating: str) -> None:
        try:
            with app.app_context():
                rated = db.session.get(Case, case_id)
                start.wait(5)
                satisfaction.rate(rated, rating, "", actor=db.session.get(Person, "customer"))
                db.session.commit()
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=click, args=(rating,)) for rating in ("good", "bad")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert not errors, errors
    with app.app_context():
        assert len(db.session.scalars(select(CaseRating)).all()) == 1
