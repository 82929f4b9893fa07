"""Taking a mail apart: the new text without quote or signature, in the languages customers write."""

from __future__ import annotations

import pytest

from support_community.inbound import reading
from tests.community.inbound.mails import message


def text_of(body: str, languages=("en",), html: str | None = None) -> str:
    mail = reading.parse(message(to="x@y.test", sender="a@b.test", text=body, html=html).as_bytes())
    return reading.new_text(mail, languages=list(languages))


@pytest.mark.parametrize(
    "body, languages",
    [
        ("Here it is.\n\nOn Fri, 4 Dec 2026 at 10:00, Support <s@c.test> wrote:\n> Send it.\n> Sam", ["en"]),
        ("Here it is.\n\nOp 04-12-2026 om 10:00 schreef Support:\n> Stuur het.\n", ["nl"]),
        (
            "Here it is.\n\nOp vr 4 dec. 2026 om 10:00 schreef Support Community <s@c.test>:\n> Stuur het.\n",
            ["nl"],
        ),
        ("Here it is.\n\nLe ven. 4 déc. 2026 à 10:00, Support <s@c.test> a écrit :\n> Envoyez-le.\n", ["fr"]),
        (
            "Here it is.\n\nFrom: Support Community <s@c.test>\nSent: Friday, 4 December 2026 10:00\n"
            "To: Ann <a@b.test>\nSubject: [CS-1] VAT\n\nSend it.",
            ["en"],
        ),
        ("Here it is.\n\n-- \nAnn Accountant\nBakkerij Peeters", ["en"]),
        ("Here it is.\n\nMet vriendelijke groet,\nAn Peeters", ["nl"]),
    ],
)
def test_the_quoted_mail_and_the_signature_are_left_out(body, languages):
    assert text_of(body, languages) == "Here it is."


def test_a_reply_written_below_the_quote_is_kept():
    body = "On Fri, Sam wrote:\n> Which version?\n\nVersion 4.1."
    assert "Version 4.1." in text_of(body)


def test_html_is_read_as_text_only():
    html = (
        "<p>One &lt;b&gt; two</p><script>steal()</script><style>p{}</style>"
        '<p>three<br>four <a href="javascript:alert(1)">link</a></p>'
    )
    text = reading.html_to_text(html)
    assert text == "One <b> two\nthree\nfour link"
    assert "steal" not in text and "javascript" not in text


def test_files_are_found_however_deep_and_inline_images_are_not_files():
    mail = message(to="x@y.test", sender="a@b.test", text="See attached.", html="<p>See attached.</p>")
    mail.add_attachment(b"%PDF-1.7", maintype="application", subtype="pdf", filename="export.pdf")
    related = mail.get_body(preferencelist=("html",))
    related.add_related(b"\x89PNG", maintype="image", subtype="png", cid="<logo@b.test>")

    found = reading.attachments_of(reading.parse(mail.as_bytes()))

    assert [(f.filename, f.content) for f in found] == [("export.pdf", b"%PDF-1.7")]


@pytest.mark.parametrize(
    "headers",
    [
        {"Auto-Submitted": "auto-generated"},
        {"Precedence": "bulk"},
        {"X-Auto-Response-Suppress": "OOF"},
        {"List-Id": "<support.lists.example>"},
        {"Return-Path": "<>"},
        {"From": "MAILER-DAEMON@mx.example"},
    ],
)
def test_mail_a_machine_wrote_is_recognised(headers):
    mail = message(to="x@y.test", sender=headers.pop("From", "a@b.test"), headers=headers)
    assert reading.machine_sent(reading.parse(mail.as_bytes()), our_domains={"community.test"})


def test_a_person_saying_no_to_auto_submitted_is_a_person():
    mail = message(to="x@y.test", sender="a@b.test", headers={"Auto-Submitted": "no"})
    assert reading.machine_sent(reading.parse(mail.as_bytes()), our_domains={"community.test"}) is None


def test_our_own_message_ids_are_recognised():
    mail = message(to="x@y.test", sender="a@b.test")
    del mail["Message-ID"]
    mail["Message-ID"] = "<123.456@community.test>"
    assert reading.machine_sent(reading.parse(mail.as_bytes()), our_domains={"community.test"}) == "our own mail"
