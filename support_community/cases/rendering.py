"""Text that people write, shown as HTML safely: everything escaped, line breaks and links kept.

Nobody writes HTML here: a reply is plain text. Only ``http``/``https`` addresses
become links (never ``javascript:`` or ``data:``), and the links do not pass
the page's address on nor let the other site reach back into this one.
"""

from __future__ import annotations

import re

from markupsafe import Markup, escape

# An address runs until whitespace, a quote or an angle bracket (characters that
# end an address in running text, and that could otherwise leave the attribute).
_URL = re.compile(r"\bhttps?://[^\s<>\"'`]+", re.IGNORECASE)
# Punctuation that usually ends a sentence rather than the address.
_TRAILING = ".,;:!?"
LINK_REL = "nofollow noopener noreferrer"


def _split_trailing(url: str) -> tuple[str, str]:
    """``"https://x.test/a)."`` → ``("https://x.test/a", ").")``, keeping balanced parentheses."""
    tail = ""
    while url:
        last = url[-1]
        if last in _TRAILING:
            pass
        elif last == ")" and url.count("(") < url.count(")"):
            pass
        else:
            break
        tail = last + tail
        url = url[:-1]
    return url, tail


def _link(url: str) -> Markup:
    return Markup('<a href="{0}" rel="{1}">{0}</a>').format(url, LINK_REL)


def _linkify_line(line: str) -> Markup:
    parts: list[Markup] = []
    position = 0
    for match in _URL.finditer(line):
        url, tail = _split_trailing(match.group(0))
        parts.append(escape(line[position : match.start()]))
        if re.fullmatch(r"https?://", url, re.IGNORECASE):
            parts.append(escape(url))
        else:
            parts.append(_link(url))
        parts.append(escape(tail))
        position = match.end()
    parts.append(escape(line[position:]))
    return Markup("").join(parts)


def render_text(text: str | None) -> Markup:
    """``text`` as HTML: escaped, with ``<br>`` for line breaks and links for web addresses."""
    if not text:
        return Markup("")
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return Markup("<br>\n").join(_linkify_line(line) for line in lines)
