"""The catcher's web page and JSON API (standard library only; works without JavaScript)."""

from __future__ import annotations

import datetime as dt
import html
import json
import secrets
import sys
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

from devserver.mailcatcher.store import LINK, CaughtMessage, MessageStore, trim_link

PAGE_CSP = (
    "default-src 'none'; style-src 'self'; frame-src 'self'; img-src 'self'; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
# The HTML part gets a unique opaque origin (``sandbox`` without allow-same-origin) and may
# not run scripts or submit forms; links open in a new top-level tab.
MAIL_HTML_CSP = (
    "sandbox allow-popups allow-popups-to-escape-sandbox; default-src 'none'; "
    "img-src data: http: https:; style-src 'unsafe-inline'; font-src data:; "
    "frame-ancestors 'self'"
)


STYLE = """
body { font: 16px/1.5 system-ui, sans-serif; margin: 0 auto; max-width: 72rem; padding: 1rem; color: #1b1b1b; }
header { display: flex; flex-wrap: wrap; gap: 1rem; align-items: baseline; justify-content: space-between; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .4rem .6rem; border-bottom: 1px solid #ccc; vertical-align: top; }
a { color: #0b4fa8; }
a:focus, button:focus { outline: 3px solid #f0a000; outline-offset: 2px; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; }
dt { font-weight: 600; }
dd { margin: 0; overflow-wrap: anywhere; }
pre { white-space: pre-wrap; overflow-wrap: anywhere; background: #f5f5f5; padding: 1rem; border: 1px solid #ddd; }
iframe { width: 100%; min-height: 32rem; border: 1px solid #ccc; background: #fff; }
button { font: inherit; padding: .3rem .8rem; }
.muted { color: #555; }
"""


def e(value: object) -> str:
    return html.escape(str(value), quote=True)


def linkify(text: str) -> str:
    """Escaped text in which every http(s) link is a clickable ``<a>``."""
    out: list[str] = []
    position = 0
    for match in LINK.finditer(text):
        url = trim_link(match.group(0))
        out.append(e(text[position : match.start()]))
        out.append(f'<a href="{e(url)}">{e(url)}</a>')
        position = match.start() + len(url)
    out.append(e(text[position:]))
    return "".join(out)


def _local_time(moment: dt.datetime) -> str:
    return moment.astimezone().strftime("%Y-%m-%d %H:%M:%S")


def _page(title: str, body: str) -> str:
    return (
        f'<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<title>{e(title)}</title><link rel="stylesheet" href="/style.css"></head>'
        f"<body>{body}</body></html>"
    )


def list_page(messages: list[CaughtMessage], *, smtp_address: str, token: str) -> str:
    if messages:
        rows = "".join(
            f'<tr><td><a href="/messages/{m.id}">{e(m.subject or "(no subject)")}</a></td>'
            f"<td>{e(', '.join(m.recipients))}</td><td>{e(m.sender)}</td>"
            f'<td><time datetime="{e(m.received_at.isoformat())}">{e(_local_time(m.received_at))}</time></td></tr>'
            for m in messages
        )
        table = (
            '<table><caption class="muted">Newest first</caption><thead><tr>'
            '<th scope="col">Subject</th><th scope="col">To</th><th scope="col">From</th>'
            f'<th scope="col">Received</th></tr></thead><tbody>{rows}</tbody></table>'
        )
        delete = (
            '<form method="post" action="/messages/delete">'
            f'<input type="hidden" name="token" value="{e(token)}">'
            '<button type="submit">Delete all messages</button></form>'
        )
    else:
        table = "<p>No messages yet.</p>"
        delete = ""
    body = (
        f'<header><h1>Caught mail ({len(messages)})</h1><p><a href="/">Refresh</a></p></header>'
        f'<main><p class="muted">Every message sent to SMTP {e(smtp_address)} appears here; '
        f"nothing is delivered.</p>{table}{delete}</main>"
    )
    return _page("Caught mail", body)


def detail_page(message: CaughtMessage) -> str:
    text = message.text
    html_part = message.html
    attachments = message.attachments()
    parts = []
    if text is not None:
        parts.append(
            f'<section aria-labelledby="text-part"><h2 id="text-part">Text</h2><pre>{linkify(text)}</pre></section>'
        )
    if html_part is not None:
        parts.append(
            '<section aria-labelledby="html-part"><h2 id="html-part">HTML</h2>'
            f'<iframe title="HTML part of the message" src="/messages/{message.id}/html" '
            'sandbox="allow-popups allow-popups-to-escape-sandbox" referrerpolicy="no-referrer">'
            "</iframe></section>"
        )
    if attachments:
        items = "".join(f"<li>{e(name)}</li>" for name in attachments)
        parts.append(
            f'<section aria-labelledby="attachments"><h2 id="attachments">Attachments</h2><ul>{items}</ul></section>'
        )
    if not parts:
        parts.append("<p>This message has no text or HTML part.</p>")
    headers = message.headers()
    if headers:
        rows = "".join(f"<dt>{e(name)}</dt><dd>{e(value)}</dd>" for name, value in headers)
        parts.append(
            '<section aria-labelledby="headers"><h2 id="headers">Headers</h2>'
            f"<details><summary>All {len(headers)} headers</summary><dl>{rows}</dl></details></section>"
        )
    reply_to = next((value for name, value in headers if name.lower() == "reply-to"), None)
    reply_row = f"<dt>Reply-To</dt><dd>{e(reply_to)}</dd>" if reply_to else ""
    body = (
        f'<header><p><a href="/">All messages</a></p></header><main>'
        f"<h1>{e(message.subject or '(no subject)')}</h1>"
        f"<dl><dt>From</dt><dd>{e(message.sender)}</dd>"
        f"<dt>To</dt><dd>{e(', '.join(message.recipients))}</dd>{reply_row}"
        f"<dt>Envelope sender</dt><dd>{e(message.envelope_sender)}</dd>"
        f'<dt>Received</dt><dd><time datetime="{e(message.received_at.isoformat())}">'
        f"{e(_local_time(message.received_at))}</time></dd></dl>"
        f'{"".join(parts)}<p><a href="/messages/{message.id}/source">View the source</a></p></main>'
    )
    return _page(message.subject or "(no subject)", body)


# -- web server --------------------------------------------------------------------------
class CatcherWebServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], store: MessageStore, smtp_address: str) -> None:
        super().__init__(address, CatcherRequestHandler)
        self.store = store
        self.smtp_address = smtp_address
        # A cross-site form must not be able to empty the catcher.
        self.token = secrets.token_urlsafe(24)


class CatcherRequestHandler(BaseHTTPRequestHandler):
    server: CatcherWebServer
    server_version = "mailcatcher"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        # The development stack polls this server; only errors are worth a line.
        pass

    def log_error(self, format: str, *args: Any) -> None:  # noqa: A002
        sys.stderr.write("mailcatcher: " + (format % args) + "\n")

    # -- responses --
    def _send(
        self, status: int, body: bytes, content_type: str, csp: str = PAGE_CSP, extra: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Content-Security-Policy", csp)
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        self.send_header("Cache-Control", "no-store")
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _html(self, page: str, status: int = HTTPStatus.OK) -> None:
        self._send(status, page.encode(), "text/html; charset=utf-8")

    def _json(self, data: Any, status: int = HTTPStatus.OK) -> None:
        self._send(status, json.dumps(data, ensure_ascii=False).encode(), "application/json")

    def _not_found(self) -> None:
        if self.path.startswith("/api/"):
            self._json({"error": "not found"}, HTTPStatus.NOT_FOUND)
        else:
            self._html(
                _page("Not found", '<main><h1>Not found</h1><p><a href="/">All messages</a></p></main>'),
                HTTPStatus.NOT_FOUND,
            )

    def _message(self, raw_id: str) -> CaughtMessage | None:
        return self.server.store.get(int(raw_id)) if raw_id.isdigit() and len(raw_id) < 18 else None

    # -- routes --
    def do_HEAD(self) -> None:  # noqa: N802
        self.do_GET()

    def do_GET(self) -> None:  # noqa: N802
        path = self.path.split("?", 1)[0].split("#", 1)[0]
        store = self.server.store
        parts = [p for p in path.split("/") if p]
        if path == "/":
            self._html(list_page(store.all(), smtp_address=self.server.smtp_address, token=self.server.token))
        elif path == "/style.css":
            self._send(HTTPStatus.OK, STYLE.encode(), "text/css; charset=utf-8")
        elif path == "/healthz":
            self._json({"status": "ok"})
        elif parts == ["api", "messages"]:
            self._json([m.summary() for m in store.all()])
        elif len(parts) == 3 and parts[:2] == ["api", "messages"]:
            message = self._message(parts[2])
            self._json(message.detail()) if message else self._not_found()
        elif len(parts) >= 2 and parts[0] == "messages" and len(parts) <= 3:
            message = self._message(parts[1])
            view = parts[2] if len(parts) == 3 else ""
            if message is None or view not in {"", "html", "source"}:
                self._not_found()
            elif view == "":
                self._html(detail_page(message))
            elif view == "html":
                html_part = message.html
                if html_part is None:
                    self._not_found()
                    return
                # Links in the part open outside the frame (our pages refuse to be framed).
                document = '<base target="_blank">' + html_part
                self._send(HTTPStatus.OK, document.encode(), "text/html; charset=utf-8", csp=MAIL_HTML_CSP)
            else:
                self._send(HTTPStatus.OK, message.raw, "text/plain; charset=utf-8", csp="sandbox; default-src 'none'")
        else:
            self._not_found()

    def do_POST(self) -> None:  # noqa: N802
        if self.path != "/messages/delete":
            self._not_found()
            return
        length = int(self.headers.get("Content-Length") or 0)
        if length > 10_000:
            self._html(
                _page("Too large", "<main><h1>Request too large</h1></main>"), HTTPStatus.REQUEST_ENTITY_TOO_LARGE
            )
            return
        form = parse_qs(self.rfile.read(length).decode("utf-8", "replace"))
        if not secrets.compare_digest((form.get("token") or [""])[0], self.server.token):
            self._html(
                _page(
                    "Refused",
                    "<main><h1>Refused</h1><p>The form expired. "
                    '<a href="/">Reload the page</a> and try again.</p></main>',
                ),
                HTTPStatus.BAD_REQUEST,
            )
            return
        self.server.store.clear()
        self.send_response(HTTPStatus.SEE_OTHER)
        self.send_header("Location", "/")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_DELETE(self) -> None:  # noqa: N802
        # A DELETE cannot be sent cross-site without a CORS preflight, which we never allow.
        if self.path != "/api/messages":
            self._not_found()
            return
        self.server.store.clear()
        self.send_response(HTTPStatus.NO_CONTENT)
        self.end_headers()
