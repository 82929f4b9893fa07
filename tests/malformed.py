"""A corpus of malformed input and a sweep that sends it to every route of an app.

Used by ``tests/portal/test_malformed_input.py`` and ``tests/community/test_malformed_input.py``:
every rule of the URL map, with every method it takes, gets each value of the corpus in
its query string, in its form fields (with a valid CSRF token, so the views are reached)
and in its path parameters; the sweep collects every answer of 500 or more, and every
exception (the test apps propagate them), so one run names all of them.
"""

from __future__ import annotations

import base64
import re
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

# Values a person, a script or an attacker may send. Control characters are refused
# before any view (400); the rest must reach the views and be answered without a 5xx.
CORPUS: list[str] = [
    "\x00",
    "a\x1b[2Jb",
    "\r\nX-Injected: 1",
    "\u202eevil",
    "💥" * 50,
    "x" * 20_000,
    "9" * 5_000,
    "-1",
    "0",
    "1e309",
    "NaN",
    "99999999999999999999999999",
    "../../../etc/passwd",
    "<script>alert(1)</script>",
    "' OR '1'='1",
    "{{7*7}}",
    "%",
    "",
    "   ",
    "BE0403.170.701.0403.170.701",
]
# Field names forms and lists use; the fields a page's own forms have are added from its HTML.
FIELD_NAMES = [
    "q",
    "page",
    "next",
    "sort",
    "direction",
    "status",
    "severity",
    "product",
    "category",
    "org",
    "role",
    "email",
    "password",
    "new_password",
    "current_password",
    "recovery_code",
    "remember",
    "passkey_response",
    "name",
    "language",
    "message",
    "body",
    "subject",
    "description",
    "customer_number",
    "enterprise_number",
    "applications",
    "token",
    "internal",
    "assignee",
    "client_id",
    "redirect_uri",
    "response_type",
    "scope",
    "state",
    "nonce",
    "code_challenge",
    "code_challenge_method",
    "prompt",
    "max_age",
    "id_token_hint",
    "post_logout_redirect_uri",
    "grant_type",
    "code",
    "code_verifier",
    "refresh_token",
    "logout_token",
    "token_type_hint",
    "confirm",
    "rows",
    "file",
    "pinned",
    "back",
    "requests",
    "without",
    "per_page",
    "fragment",
    "application",
    "organization",
]
RAW_QUERIES = ["q=%ff%fe", "page=%00", "%ff=1", "a=1&a=2&a=3", "=", "&&&", "q=%C0%AF"]
HEADERS: list[dict[str, str]] = [
    {"Authorization": "Basic " + base64.b64encode(b"\xff\xfe:\xfa").decode()},
    {"Authorization": "Basic !!!not-base64!!!"},
    {"Authorization": "Basic " + base64.b64encode(b"no-colon").decode()},
    {"Authorization": "Bearer " + "x" * 5000},
    {"Authorization": "Bearer a.b.c"},
    {"Accept-Language": "xx-invalid;q=abc, *;q=2"},
    {"Cookie": "panda_session=" + "x" * 4000 + "; community_session=%ff; lang=../.."},
    {"Content-Type": "application/json"},
    {"If-Modified-Since": "not a date"},
    {"Range": "bytes=abc-"},
]
FIELD_NAME = re.compile(r'\bname="([A-Za-z_][A-Za-z0-9_\-]*)"')


@dataclass
class Sweep:
    """Sends the corpus to ``paths`` (method, url) and keeps what went wrong."""

    client: Any
    csrf_token: Callable[[], str]
    problems: list[str] = field(default_factory=list)
    sent: int = 0

    def _send(self, method: str, url: str, what: str, **kwargs: Any) -> None:
        self.sent += 1
        try:
            response = self.client.open(url, method=method, **kwargs)
        except Exception as error:  # the test apps propagate what would be a 500
            self.problems.append(f"{method} {url} {what}: {type(error).__name__}: {str(error)[:200]}")
            return
        if response.status_code >= 500:
            self.problems.append(f"{method} {url} {what}: {response.status_code}")

    def fields_of(self, url: str) -> list[str]:
        try:
            page = self.client.get(url)
        except Exception as error:
            self.problems.append(f"GET {url}: {type(error).__name__}: {str(error)[:200]}")
            return []
        names = FIELD_NAME.findall(page.get_data(as_text=True)) if page.status_code == 200 else []
        return [name for name in dict.fromkeys(names) if name != "csrf_token"]

    def route(self, method: str, url: str, extra_fields: Iterable[str] = ()) -> None:
        names = list(dict.fromkeys([*FIELD_NAMES, *extra_fields]))
        token = self.csrf_token() if method == "POST" else ""
        for value in CORPUS:
            shown = repr(value[:20])
            if method == "GET":
                self._send("GET", url, f"query={shown}", query_string={name: value for name in names})
            else:
                data = {name: value for name in names}
                data["csrf_token"] = token
                self._send("POST", url, f"form={shown}", data=data)
        for raw in RAW_QUERIES:
            self._send(method, url, f"raw query {raw!r}", query_string=raw)
        if method == "POST":
            self._send(
                "POST",
                url,
                "invalid UTF-8 form",
                data=b"name=%ff%fe&body=%c0%af",
                content_type="application/x-www-form-urlencoded",
            )
            self._send("POST", url, "JSON that is not JSON", data=b"{not json", content_type="application/json")
            self._send(
                "POST",
                url,
                "broken multipart",
                data=b"--x\r\nContent-Disposition: form-data\r\n\r\n",
                content_type="multipart/form-data; boundary=x",
            )
        for headers in HEADERS:
            self._send(method, url, f"headers {list(headers)}", headers=headers)

    def path(self, method: str, url: str) -> None:
        """A malformed path parameter alone (the form, when there is one, carries a valid CSRF token)."""
        data = {"csrf_token": self.csrf_token()} if method == "POST" else None
        self._send(method, url, "path", data=data)


def in_sweep_order(rules: Iterable[Any]) -> list[Any]:
    """The rules, those that end the session last (so the signed-in sweep stays signed in)."""
    return sorted(rules, key=lambda rule: ("sign-out" in rule.rule or "end-session" in rule.rule, rule.rule))


def url_for_rule(rule: str, values: dict[str, Any], malformed: str | None = None) -> str:
    """The rule's path with its parameters from ``values`` (or every string parameter ``malformed``)."""

    def value(match: re.Match[str]) -> str:
        converter, name = match.group(1) or "", match.group(2)
        if malformed is not None and converter in ("", "string:", "path:"):
            return malformed
        return str(values.get(name, uuid.uuid4()))

    return re.sub(r"<([a-z]+:)?([a-z_]+)>", value, rule)


PATH_VALUES = ["x" * 3000, "%ff%fe", "%2e%2e%2f%2e%2e", "💥", "%00"]
