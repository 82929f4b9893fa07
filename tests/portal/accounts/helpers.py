"""Helpers of the accounts tests."""

from __future__ import annotations

import re

_CSRF_VALUE = re.compile(r'(name="csrf_token"(?: type="hidden")? value=")[^"]+"')


def same_page(html: str) -> str:
    """A page without the parts that differ on every request (CSRF tokens)."""
    return _CSRF_VALUE.sub(r'\1…"', html)


def link_token(mail, prefix: str) -> str:
    """The token of the link in ``mail`` whose path starts with ``prefix``."""
    return mail.link_path(prefix).rsplit("/", 1)[-1]
