"""Helpers of both services' translation tests: the English to look for, and what a page says."""

from __future__ import annotations

import html as html_lib
import re
from collections.abc import Iterable

PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]")
WORD = re.compile(r"[A-Za-z][A-Za-z'-]*")
HIDDEN = re.compile(r"<(script|style)\b.*?</\1>", re.S | re.I)
SPOKEN_ATTRIBUTE = re.compile(r'\b(?:aria-label|title|placeholder|alt)="([^"]*)"')
TAG = re.compile(r"<[^>]+>")


def catalog_english(service: str, *, strip: str, extra: Iterable[str] = ()) -> set[str]:
    """Every stretch of at least three English words in ``service``'s catalog (placeholders cut it up)."""
    from shared.i18n_catalogs import extract

    fragments: set[str] = set(extra)
    for message in extract(service):
        if not message.id:
            continue
        for msgid in message.id if isinstance(message.id, tuple) else (message.id,):
            for piece in PLACEHOLDER.split(msgid):
                piece = " ".join(piece.split()).strip(strip)
                if len(WORD.findall(piece)) >= 3:
                    fragments.add(piece)
    return fragments


def page_text(html: str) -> str:
    """The visible text of a page, with what a screen reader says (labels, titles), entities decoded."""
    html = HIDDEN.sub(" ", html)
    spoken = " ".join(SPOKEN_ATTRIBUTE.findall(html))
    text = TAG.sub(" ", html) + " " + spoken
    return " ".join(html_lib.unescape(text).split())


def html_lang(html: str) -> str | None:
    match = re.search(r'<html lang="([a-z-]+)"', html)
    return match.group(1) if match else None
