"""Mails built from templates: people's names never become markup in the HTML part."""

from __future__ import annotations

from types import SimpleNamespace

from shared.outbox.rendering import render_mail


def test_a_name_with_markup_is_escaped_in_the_html_subject_and_body(panda):
    requester = SimpleNamespace(name="<b>Eve</b> & Co", email="eve@example.test")
    organization = SimpleNamespace(
        name="Bakkerij <script>",
        id="00000000-0000-0000-0000-000000000000",
        enterprise_number_display="0403.170.701",
        customer_number="100234",
    )
    with panda.test_request_context():
        subject, text, html = render_mail(
            "join_request",
            "en",
            requester=requester,
            organization=organization,
            recipient=SimpleNamespace(name="An"),
            message=None,
            link="http://panda.test/orgs/x/requests/y",
            decide_url="http://x",
            panda_url="http://panda.test",
        )
    assert "<b>Eve</b>" in subject  # the subject line is plain text
    assert "<b>Eve</b>" not in html and "<script>" not in html
    assert "&lt;b&gt;Eve&lt;/b&gt; &amp; Co" in html
