"""Text people write is shown escaped, with its line breaks, and with web addresses as safe links."""

from __future__ import annotations

from markupsafe import Markup

from support_community.cases.rendering import render_text

REL = 'rel="nofollow noopener noreferrer"'


def test_markup_is_shown_as_text_never_run():
    html = render_text('<script>alert("x")</script><img src=x onerror=alert(1)>')
    assert "<script>" not in html and "<img" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;" == html


def test_line_breaks_are_kept():
    html = render_text("Dear support,\r\n\nit fails.\rThanks")
    assert html == Markup("Dear support,<br>\n<br>\nit fails.<br>\nThanks")


def test_web_addresses_become_links_that_pass_nothing_on():
    html = render_text("See https://help.panda.test/vat?box=54&year=2026 for details")
    assert html == Markup(
        f'See <a href="https://help.panda.test/vat?box=54&amp;year=2026" {REL}>'
        "https://help.panda.test/vat?box=54&amp;year=2026</a> for details"
    )


def test_only_http_and_https_become_links():
    html = render_text("javascript:alert(1) data:text/html,<b>x</b> ftp://files.test/a http://ok.test")
    assert html.count("<a ") == 1
    assert 'href="http://ok.test"' in html
    assert 'href="javascript' not in html and 'href="data' not in html
    assert "&lt;b&gt;" in html


def test_a_link_cannot_smuggle_javascript_after_the_scheme():
    html = render_text("https://x.test/javascript:alert(1)")
    assert html == Markup(f'<a href="https://x.test/javascript:alert(1)" {REL}>https://x.test/javascript:alert(1)</a>')


def test_quotes_end_an_address_and_cannot_leave_the_attribute():
    html = render_text('https://x.test/a"onmouseover="alert(1) and https://x.test/b\'c')
    assert 'href="https://x.test/a"' in html
    assert "onmouseover=&#34;alert(1)" in html  # shown as text, outside any tag
    assert '<a href="https://x.test/b"' in html
    assert "<a" not in html.split("</a>")[0].split(">", 1)[1]


def test_angle_brackets_end_an_address():
    html = render_text("<https://x.test/page><script>")
    assert html == Markup(f'&lt;<a href="https://x.test/page" {REL}>https://x.test/page</a>&gt;&lt;script&gt;')


def test_sentence_punctuation_and_unbalanced_parentheses_stay_outside_the_link():
    html = render_text("(see https://x.test/wiki/Foo_(bar)). Or https://x.test/b, then https://x.test/c!")
    assert f'<a href="https://x.test/wiki/Foo_(bar)" {REL}>' in html
    assert "</a>). Or" in html
    assert 'href="https://x.test/b"' in html and "</a>, then" in html
    assert 'href="https://x.test/c"' in html and html.endswith("</a>!")


def test_a_bare_scheme_is_not_a_link():
    assert "<a" not in render_text("type https:// and then the address")


def test_nothing_renders_as_nothing():
    assert render_text(None) == Markup("") and render_text("") == Markup("")
