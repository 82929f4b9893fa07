"""Articles are Markdown shown as sanitised HTML: nothing an article holds can run in a reader's browser."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from support_community.kb.rendering import ALLOWED_TAGS, plain_text, render_markdown


def elements(html: str) -> list[tuple[str, dict]]:
    """Every element of ``html`` with its attributes, as a browser would build them."""
    found: list[tuple[str, dict]] = []

    class Collector(HTMLParser):
        def handle_starttag(self, tag, attrs):
            found.append((tag, dict(attrs)))

    Collector().feed(html)
    return found


def test_markdown_becomes_html_with_headings_below_the_page_title():
    html = str(render_markdown("# Step one\n\nClick **Switch organization**.\n\n- a\n- b\n"))
    assert "<h2>Step one</h2>" in html
    assert "<strong>Switch organization</strong>" in html
    assert "<ul>" in html and "<li>a</li>" in html
    assert "<h1" not in html


@pytest.mark.parametrize(
    "source",
    [
        "<script>alert(1)</script>",
        '<img src="x" onerror="alert(1)">',
        "<iframe src='https://evil.test'></iframe>",
        "<style>body{display:none}</style>",
        "[click](javascript:alert(1))",
        "[data](data:text/html;base64,PHNjcmlwdD4=)",
        '<a href="https://x.test" onclick="alert(1)">x</a>',
        "<form action='https://evil.test'><input></form>",
        '[x](https://x.test "title" onmouseover=alert(1))',
        '<https://x.test/a"onmouseover="alert(1)>',
    ],
)
def test_raw_html_and_dangerous_links_never_reach_the_page(source):
    for tag, attributes in elements(str(render_markdown(source))):
        assert tag in ALLOWED_TAGS
        assert not any(name.startswith("on") or name == "style" for name in attributes)
        assert not attributes.get("href", "").lower().startswith(("javascript:", "data:"))


def test_raw_html_is_shown_as_text():
    assert "&lt;b&gt;bold&lt;/b&gt;" in str(render_markdown("<b>bold</b>"))


def test_links_keep_their_address_and_do_not_pass_the_page_on():
    html = str(render_markdown("[Panda](https://panda.example.test/orgs) and [an article](/kb/en/x)"))
    assert '<a href="https://panda.example.test/orgs" rel="nofollow noopener noreferrer">Panda</a>' in html
    assert '<a href="/kb/en/x" rel="nofollow noopener noreferrer">an article</a>' in html


def test_images_become_links_so_no_other_site_is_contacted():
    html = str(render_markdown("![The switcher](https://images.example.test/switcher.png)"))
    assert "<img" not in html
    assert (
        '<a href="https://images.example.test/switcher.png" rel="nofollow noopener noreferrer">The switcher</a>' in html
    )


def test_tables_are_kept_without_inline_styles_the_page_would_refuse():
    html = str(render_markdown("| a | b |\n|:--|--:|\n| 1 | 2 |\n"))
    assert "<table>" in html and "<td>1</td>" in html
    assert "style=" not in html


def test_the_plain_text_has_the_words_without_markup_or_addresses():
    text = plain_text("# Title\n\nClick **here** and [read on](https://x.test/a).\nNext line\n\n```\ncode\n```")
    assert text == "Title\nClick here and read on. Next line\ncode"
