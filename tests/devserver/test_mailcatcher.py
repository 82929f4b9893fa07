"""The development mail catcher: a real SMTP server and its web page, on free ports."""

from __future__ import annotations

import json
import re
import smtplib
import urllib.error
import urllib.request
from email.message import EmailMessage

import pytest

from devserver.mailcatcher import MailCatcher, MessageStore, linkify
from tests.support import free_port


@pytest.fixture()
def catcher():
    running = MailCatcher("127.0.0.1", smtp_port=free_port(), web_port=0, store=MessageStore()).start()
    yield running
    running.stop()


def send(
    catcher: MailCatcher,
    *,
    subject: str,
    text: str,
    html: str | None = None,
    to: str = "ada@example.com",
    sender: str = "Panda <no-reply@panda.localhost>",
) -> None:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message.set_content(text)
    if html is not None:
        message.add_alternative(html, subtype="html")
    with smtplib.SMTP(catcher.host, catcher.smtp_port, timeout=10) as smtp:
        smtp.send_message(message)


def get(catcher: MailCatcher, path: str):
    return urllib.request.urlopen(catcher.web_url.rstrip("/") + path, timeout=10)


def page(catcher: MailCatcher, path: str) -> str:
    with get(catcher, path) as response:
        return response.read().decode()


def api(catcher: MailCatcher, path: str):
    with get(catcher, path) as response:
        assert response.headers["Content-Type"] == "application/json"
        return json.loads(response.read())


def test_a_sent_mail_is_listed_with_its_subject_recipient_and_sender(catcher):
    send(catcher, subject="Verify your address", text="Hello")
    listing = page(catcher, "/")
    assert "Verify your address" in listing
    assert "ada@example.com" in listing
    assert "Panda &lt;no-reply@panda.localhost&gt;" in listing
    assert '<html lang="en">' in listing


def test_the_newest_mail_comes_first(catcher):
    send(catcher, subject="First mail", text="1")
    send(catcher, subject="Second mail", text="2")
    listing = page(catcher, "/")
    assert listing.index("Second mail") < listing.index("First mail")
    assert [m["subject"] for m in api(catcher, "/api/messages")] == ["Second mail", "First mail"]


def test_markup_in_a_subject_stays_text(catcher):
    send(catcher, subject="<script>alert('x')</script> Hello", text="<b>not bold</b>")
    listing = page(catcher, "/")
    assert "<script>alert" not in listing
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; Hello" in listing
    message_id = api(catcher, "/api/messages")[0]["id"]
    detail = page(catcher, f"/messages/{message_id}")
    assert "<script>alert" not in detail
    assert "<b>not bold</b>" not in detail
    assert "&lt;b&gt;not bold&lt;/b&gt;" in detail


def test_links_in_the_text_part_are_clickable(catcher):
    send(catcher, subject="Reset", text="Choose a new password: http://127.0.0.1:5000/reset/abc?x=1&y=2.\nThanks")
    message_id = api(catcher, "/api/messages")[0]["id"]
    detail = page(catcher, f"/messages/{message_id}")
    assert (
        '<a href="http://127.0.0.1:5000/reset/abc?x=1&amp;y=2">http://127.0.0.1:5000/reset/abc?x=1&amp;y=2</a>.'
    ) in detail


def test_only_http_links_become_anchors():
    rendered = linkify('javascript:alert(1) and "https://ok.example/a" <https://ok.example/b>')
    assert rendered.count("<a href=") == 2
    assert "javascript:alert(1)" in rendered and 'href="javascript' not in rendered


def test_the_html_part_is_shown_sandboxed_from_its_own_url(catcher):
    send(catcher, subject="Welcome", text="Hi", html="<p>Hi <script>alert(1)</script></p>")
    message_id = api(catcher, "/api/messages")[0]["id"]
    detail = page(catcher, f"/messages/{message_id}")
    frame = re.search(r"<iframe[^>]*>", detail).group(0)
    assert f'src="/messages/{message_id}/html"' in frame
    assert 'sandbox="' in frame and "allow-scripts" not in frame and "allow-same-origin" not in frame
    with get(catcher, f"/messages/{message_id}/html") as response:
        policy = response.headers["Content-Security-Policy"]
        assert policy.startswith("sandbox")
        assert "allow-scripts" not in policy and "allow-same-origin" not in policy
        assert "<p>Hi" in response.read().decode()


def test_the_json_api_gives_a_message_with_its_parts_and_links(catcher):
    send(catcher, subject="Join request", text="Decide: http://127.0.0.1:5000/requests/1", html="<p>Decide</p>")
    summary = api(catcher, "/api/messages")[0]
    assert summary["subject"] == "Join request"
    assert summary["to"] == ["ada@example.com"]
    detail = api(catcher, f"/api/messages/{summary['id']}")
    assert detail["text"].startswith("Decide: http://127.0.0.1:5000/requests/1")
    assert detail["html"].startswith("<p>Decide</p>")
    assert detail["links"] == ["http://127.0.0.1:5000/requests/1"]


@pytest.mark.parametrize(
    "path", ["/messages/999", "/messages/abc", "/api/messages/999", "/nowhere", "/messages/1/unknown"]
)
def test_unknown_pages_are_not_found(catcher, path):
    with pytest.raises(urllib.error.HTTPError) as caught:
        get(catcher, path)
    assert caught.value.code == 404


def test_delete_all_empties_the_list(catcher):
    send(catcher, subject="Old", text="x")
    token = re.search(r'name="token" value="([^"]+)"', page(catcher, "/")).group(1)
    request = urllib.request.Request(catcher.web_url + "messages/delete", data=f"token={token}".encode(), method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:  # follows the 303 to the list
        assert "No messages yet." in response.read().decode()
    assert api(catcher, "/api/messages") == []


def test_delete_all_without_the_page_token_is_refused(catcher):
    send(catcher, subject="Keep me", text="x")
    request = urllib.request.Request(catcher.web_url + "messages/delete", data=b"token=forged", method="POST")
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, timeout=10)
    assert caught.value.code == 400
    assert [m["subject"] for m in api(catcher, "/api/messages")] == ["Keep me"]


def test_the_store_keeps_only_the_newest_messages():
    store = MessageStore(limit=3)
    for number in range(5):
        store.add("a@example.com", ["b@example.com"], f"Subject: mail {number}\n\nbody".encode())
    assert [m.subject for m in store.all()] == ["mail 4", "mail 3", "mail 2"]


def test_messages_survive_a_restart_when_kept_in_a_file(tmp_path):
    path = tmp_path / "mailcatcher.db"
    first = MessageStore(path)
    first.add("a@example.com", ["b@example.com"], b"Subject: kept\n\nbody")
    first.close()
    assert [m.subject for m in MessageStore(path).all()] == ["kept"]


def test_a_message_shows_its_reply_address_and_every_header(catcher):
    message = EmailMessage()
    message["From"] = "Support Community <support@community.localhost>"
    message["To"] = "ann@example.com"
    message["Subject"] = "[CS-2026-000001] VAT return"
    message["Reply-To"] = "support+pabc@community.localhost"
    message["References"] = "<case.1@community.localhost>"
    message["X-Trick"] = "<script>alert(1)</script>"
    message.set_content("Please send us the export.")
    with smtplib.SMTP(catcher.host, catcher.smtp_port, timeout=10) as smtp:
        smtp.send_message(message)
    message_id = api(catcher, "/api/messages")[0]["id"]

    detail = page(catcher, f"/messages/{message_id}")

    assert "<dt>Reply-To</dt><dd>support+pabc@community.localhost</dd>" in detail
    assert "<dt>References</dt><dd>&lt;case.1@community.localhost&gt;</dd>" in detail
    assert "<script>alert(1)" not in detail and "&lt;script&gt;alert(1)&lt;/script&gt;" in detail
    headers = dict(api(catcher, f"/api/messages/{message_id}")["headers"])
    assert headers["Reply-To"] == "support+pabc@community.localhost"
    with get(catcher, f"/messages/{message_id}/source") as response:
        assert b"Reply-To: support+pabc@community.localhost" in response.read()
