"""Articles are written in Markdown and shown as HTML: rendered by markdown-it-py, then sanitised by nh3.

Agents write the articles, but an agent's account can be misused like anyone's, and an
article is read by every customer: the HTML is cleaned whatever the Markdown held.

- Raw HTML in the Markdown is not passed through (it shows as text), and nh3 keeps only
  the tags Markdown itself produces: no scripts, styles, iframes, forms or event handlers.
- Links keep ``http``, ``https``, ``mailto`` and addresses on this site, and get
  ``rel="nofollow noopener noreferrer"``.
- Images become links to the image: the pages load nothing from other sites (the Content
  Security Policy would refuse it anyway), and the knowledge base has no uploads of its own.
- Headings move one level down (``#`` is an ``<h2>``): the page's ``<h1>`` is the title.

``plain_text`` is the text without Markdown, for the search index and the snippets.
"""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt
from markdown_it.token import Token
from markupsafe import Markup

LINK_REL = "nofollow noopener noreferrer"
ALLOWED_TAGS = {
    "a",
    "p",
    "br",
    "strong",
    "em",
    "del",
    "code",
    "pre",
    "blockquote",
    "ul",
    "ol",
    "li",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
}
# No ``style``: the Content Security Policy refuses inline styles (so table columns are not aligned).
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}
URL_SCHEMES = {"http", "https", "mailto"}

_markdown = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])


def _shift_headings(tokens: list[Token]) -> None:
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            token.tag = f"h{min(int(token.tag[1]) + 1, 6)}"


def _images_as_links(tokens: list[Token]) -> None:
    for token in tokens:
        if token.type != "inline" or not token.children:
            continue
        children: list[Token] = []
        for child in token.children:
            if child.type != "image":
                children.append(child)
                continue
            src = str(child.attrGet("src") or "")
            alt = "".join(c.content for c in child.children or []) or src
            link = Token("link_open", "a", 1)
            link.attrSet("href", src)
            text = Token("text", "", 0)
            text.content = alt
            children += [link, text, Token("link_close", "a", -1)]
        token.children = children


def render_markdown(source: str | None) -> Markup:
    """The article's body as safe HTML."""
    tokens = _markdown.parse(source or "")
    _shift_headings(tokens)
    _images_as_links(tokens)
    html = _markdown.renderer.render(tokens, _markdown.options, {})
    cleaned = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel=LINK_REL,
        strip_comments=True,
    )
    return Markup(cleaned)


def _words_of(token: Token) -> str:
    if token.type in ("text", "code_inline", "image"):
        return token.content
    return " " if token.type in ("softbreak", "hardbreak") else ""


def plain_text(source: str | None) -> str:
    """The words of the Markdown, one block a line: link texts without their addresses, no markup."""
    lines: list[str] = []
    for token in _markdown.parse(source or ""):
        if token.type == "inline":
            words = "".join(_words_of(child) for child in token.children or [])
            lines.append(" ".join(words.split()))
        elif token.type in ("code_block", "fence"):
            lines.append(" ".join(token.content.split()))
    text = "\n".join(line for line in lines if line)
    # Private-use characters mark the search snippets' words (``services.search``): never part of a text.
    return text.replace("\ue000", "").replace("\ue001", "")
