"""How did we do? The solved mail's signed links, the case page's form, one rating per case for 14 days."""

from __future__ import annotations

import datetime as dt
import re
import time

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
    assert one_click_rating(html) == "bad"
    assert db.session.scalar(select(CaseRating)) is None  # opening the link rates nothing (mail scanners open links)

    # The page's form sends the choice (its script does so at once): the rating is recorded.
    token_page = path(links["Bad"]).split("?")[0]
    response = community_client.post_form(token_page, data={"rating": "bad"}, page=path(links["Bad"]))
    assert response.status_code == 303 and response.headers["Location"].endswith(token_page)
    rating = db.session.scalar(select(CaseRating))
    assert (rating.rating, rating.comment, rating.rated_by_sub) == ("bad", "", customer.sub)

    # The thank-you page: the comment is optional, and the answer can still be changed there.
    thanks = community_client.get(token_page).get_data(as_text=True)
    assert "We are sorry" in thanks and "You rated the handling of this case bad." in thanks
    assert one_click_rating(thanks) is None
    assert 'name="comment"' in thanks and checked(thanks) == "bad"
    response = community_client.post_form(
        token_page, data={"rating": "bad", "comment": "It took a week."}, page=token_page, follow_redirects=True
    )
    assert "Your rating is saved." in response.get_data(as_text=True)
    db.session.expire_all()
    rating = db.session.scalar(select(CaseRating))
    assert (rating.rating, rating.comment) == ("bad", "It took a week.")

    # The other link of the mail, within the 14 days: it replaces the answer and keeps the comment.
    page = community_client.get(path(links["Good"])).get_data(as_text=True)
    assert one_click_rating(page) == "good"
    community_client.post_form(token_page, data={"rating": "good"}, page=path(links["Good"]))
    db.session.expire_all()
    assert [(r.rating, r.comment) for r in db.session.scalars(select(CaseRating))] == [("good", "It took a week.")]
    history = db.session.scalars(select(CaseEvent).where(CaseEvent.field == "rating").order_by(CaseEvent.created_at))
    assert [(e.old_value, e.new_value) for e in history] == [(None, "bad"), ("bad", "good")]

    # The same link once more: the thank-you page straight away, nothing to send.
    again = community_client.get(path(links["Good"])).get_data(as_text=True)
    assert one_click_rating(again) is None and "We are glad we could help." in again


def one_click_rating(html: str) -> str | None:
    """The rating the page's one-click form would send, or None when the page has no such form."""
    form = re.search(r"<form[^>]*data-rating-one-click[^>]*>(.*?)</form>", html, re.S)
    if form is None:
        return None
    assert re.search(r'name="csrf_token"', form.group(1))
    [value] = re.findall(r'<input type="hidden" name="rating" value="(\w+)">', form.group(1))
    assert re.search(r'<button type="submit">', form.group(1))  # without script, the person clicks it
    return value


def checked(html: str) -> str | None:
    found = re.search(r'<input[^>]*checked[^>]*value="(\w+)"|<input[^>]*value="(\w+)"[^>]*checked', html)
    return (found.group(1) or found.group(2)) if found else None


def test_a_mail_scanner_fetching_the_links_rates_nothing(community, community_client, mail_sink):
    solved_case(make_person(email="jan@peeters.test"))
    outbox.deliver_due(community)
    links = rating_links(mail_sink, "jan@peeters.test")
    for link in (links["Good"], links["Bad"], links["Good"]):
        assert community_client.get(path(link)).status_code == 200
        assert community_client.head(path(link)).status_code == 200
    assert db.session.scalar(select(CaseRating)) is None
    assert db.session.scalar(select(CaseEvent).where(CaseEvent.field == "rating")) is None


def test_the_one_click_page_sends_itself_by_a_script_file_the_security_policy_allows(
    community, community_client, mail_sink
):
    solved_case(make_person(email="jan@peeters.test"))
    outbox.deliver_due(community)
    response = community_client.get(path(rating_links(mail_sink, "jan@peeters.test")["Good"]))
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    html = response.get_data(as_text=True)
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
    assert all('src="' in attributes and not body.strip() for attributes, body in scripts)  # no inline script
    assert any('src="/static/rating-submit.js"' in attributes for attributes, _body in scripts)
    script = community_client.get("/static/rating-submit.js")
    assert script.status_code == 200 and "data-rating-one-click" in script.get_data(as_text=True)
    script.close()


def test_a_rating_without_the_pages_csrf_token_is_refused(community, community_client):
    customer = make_person()
    case = solved_case(customer)
    token = satisfaction.link_token(case, customer.sub)
    response = community_client.post(f"/rate/{token}", data={"rating": "good"})
    assert response.status_code == 400
    assert db.session.scalar(select(CaseRating)) is None


def test_an_expired_or_tampered_link_refuses_the_rating_with_a_clear_page(community, community_client, monkeypatch):
    from itsdangerous import TimestampSigner

    customer = make_person()
    case = solved_case(customer)
    with monkeypatch.context() as past:
        past.setattr(TimestampSigner, "get_timestamp", lambda self: int(time.time()) - 16 * 86400)
        expired = satisfaction.link_token(case, customer.sub)
    fresh = satisfaction.link_token(case, customer.sub)
    payload, stamp, signature = fresh.rsplit(".", 2)
    tampered = f"{payload}.{stamp}.{signature[:-2]}{'AA' if not signature.endswith('AA') else 'BB'}"
    someone_else = satisfaction.link_token(solved_case(make_person(sub="someone-else")), "someone-else")
    borrowed = f"{someone_else.rsplit('.', 2)[0]}.{stamp}.{signature}"  # another case's payload, this signature
    for token in (expired, tampered, borrowed, "nonsense"):
        page = f"/rate/{fresh}?rating=good"
        response = community_client.post_form(f"/rate/{token}", data={"rating": "good"}, page=page)
        assert response.status_code == 410, token
        assert "This rating link is not valid (any more)." in response.get_data(as_text=True)
        assert community_client.get(f"/rate/{token}?rating=good").status_code == 410
    assert db.session.scalar(select(CaseRating)) is None


def test_a_case_solved_too_long_ago_shows_no_form_and_refuses_the_post(community, community_client):
    customer = make_person()
    case = solved_case(customer)
    token = satisfaction.link_token(case, customer.sub)
    case.solved_at = utcnow() - dt.timedelta(days=15)
    db.session.flush()
    page = community_client.get(f"/rate/{token}?rating=good").get_data(as_text=True)
    assert one_click_rating(page) is None and "can no longer be rated" in page
    response = community_client.post_form(f"/rate/{token}", data={"rating": "good"}, page=f"/rate/{token}")
    assert response.status_code == 400 and "can no longer be rated" in response.get_data(as_text=True)
    assert db.session.scalar(select(CaseRating)) is None


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


@pytest.mark.parametrize(("locale", "says"), [("nl", "Hoe hebben we het gedaan?"), ("fr", "Comment avons-nous fait ?")])
def test_the_page_of_the_mails_link_speaks_the_language_of_the_mail(
    community, community_client, mail_sink, locale, says
):
    customer = make_person(name="Jan Peeters", email="jan@peeters.test", locale=locale)
    solved_case(customer)
    db.session.flush()
    outbox.deliver_due(community)
    link = path(rating_links_in_any_language(mail_sink, "jan@peeters.test")[0])
    html = community_client.get(link, headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert says in html and "How did we do?" not in html
    community_client.set_cookie("lang", "en")  # the browser's own choice still wins
    assert "How did we do?" in community_client.get(link).get_data(as_text=True)


def rating_links_in_any_language(mail_sink, to: str) -> list[str]:
    [mail] = [m for m in mail_sink.messages if to in m.recipients]
    return re.findall(r"(http\S+/rate/\S+)", mail.text)
