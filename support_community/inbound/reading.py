"""Taking a received mail apart: who sent it, to which reply address, whether a machine sent it, and what it says.

Nothing here trusts the mail: every header may be forged or malformed, the HTML part
is only ever read as text (``html_to_text``), and the text keeps only what the sender
wrote above the quoted mail and their signature (``new_text``: mail-parser-reply, which
knows the reply headers of the common mail clients in English, Dutch and French).
"""

from __future__ import annotations

import email
import email.policy
import re
from dataclasses import dataclass
from email.message import EmailMessage, Message
from email.utils import getaddresses, parseaddr
from html.parser import HTMLParser

from mailparser_reply import EmailReplyParser

# RFC 3834 and the conventions of Exchange and mailing lists: a machine wrote this mail.
_AUTOMATIC_PRECEDENCE = {"bulk", "junk", "list", "auto_reply"}
_MESSAGE_ID = re.compile(r"<[^<>\s\"\\]{1,250}@[^<>\s\"\\]{1,250}>")
_ADDRESS = re.compile(r"[^@\s<>\"(),;:\\]{1,64}@[A-Za-z0-9.-]{1,253}")


@dataclass
class Attachment:
    filename: str
    content: bytes


@dataclass
class ReadMail:
    message: EmailMessage
    sender: str  # the From address, lower case ("" when there is none that can be read)
    recipients: list[str]  # every address the mail says it was for, and the envelope's
    message_id: str | None
    subject: str
    languages: list[str]
    envelope_sender: str | None = None  # as the SMTP server was told (None: not known, as from IMAP)

    def header(self, name: str) -> str:
        try:
            return " ".join(str(self.message.get(name) or "").split())
        except (LookupError, ValueError, TypeError, AttributeError):
            return ""


def parse(raw: bytes, *, envelope_sender: str | None = None, envelope_recipients: list[str] | None = None) -> ReadMail:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    read = ReadMail(
        message=message,
        sender="",
        recipients=list(envelope_recipients or []),
        message_id=None,
        subject="",
        languages=[],
        envelope_sender=envelope_sender,
    )
    sender = parseaddr(read.header("From"))[1].strip().lower()
    read.sender = sender if _ADDRESS.fullmatch(sender) else ""
    for name in ("To", "Cc", "Delivered-To", "X-Original-To", "Envelope-To"):
        try:
            values = [str(value) for value in message.get_all(name) or []]
        except (LookupError, ValueError, TypeError, AttributeError):
            continue
        read.recipients += [address for _, address in getaddresses(values) if address]
    message_id = read.header("Message-ID")
    read.message_id = message_id if _MESSAGE_ID.fullmatch(message_id) else None
    read.subject = read.header("Subject")[:300]
    read.languages = [
        code
        for code in (part.strip()[:2].lower() for part in read.header("Content-Language").split(","))
        if code in {"en", "nl", "fr"}
    ]
    return read


# -- mail no person wrote ---------------------------------------------------------------------------
def machine_sent(mail: ReadMail, *, our_domains: set[str]) -> str | None:
    """Why ``mail`` was written by a machine (an auto-reply, a bounce, a list, our own mail come back), or None."""
    auto_submitted = mail.header("Auto-Submitted").lower()
    if auto_submitted and auto_submitted.split(";")[0].strip() != "no":
        return "auto-submitted"
    if mail.header("Precedence").lower() in _AUTOMATIC_PRECEDENCE:
        return "precedence"
    if mail.header("X-Auto-Response-Suppress") or mail.header("X-Autoreply") or mail.header("X-Autorespond"):
        return "auto-reply"
    if mail.header("List-Id") or mail.header("List-Unsubscribe"):
        return "mailing list"
    return_path = mail.header("Return-Path")
    if mail.envelope_sender in {"", "<>"} or return_path.replace(" ", "") == "<>":
        return "null sender"
    if mail.message.get_content_type() == "multipart/report":
        return "delivery report"
    local = mail.sender.partition("@")[0]
    if local in {"mailer-daemon", "postmaster"}:
        return "delivery report"
    if mail.message_id and mail.message_id[1:-1].rpartition("@")[2].lower() in our_domains:
        return "our own mail"
    if mail.sender and mail.sender.rpartition("@")[2] in our_domains:
        return "our own mail"
    return None


# -- what the person wrote ---------------------------------------------------------------------------
class _TextOfHtml(HTMLParser):
    """Text of an HTML part: block elements end lines, scripts and styles are dropped, quotes keep their ``>``."""

    BLOCKS = {
        "p", "div", "br", "li", "ul", "ol", "tr", "table", "h1", "h2", "h3", "h4", "h5", "h6",
        "pre", "hr", "section", "article", "header", "footer", "blockquote", "dt", "dd",
    }  # fmt: skip
    SKIPPED = {"script", "style", "head", "title", "template", "noscript"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = [""]
        self.depth_quoted = 0
        self.skipping = 0

    def _break(self) -> None:
        if self.lines[-1].strip():
            self.lines.append("")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIPPED:
            self.skipping += 1
        elif tag in self.BLOCKS:
            if tag == "br":
                self.lines.append("")
            else:
                self._break()
            if tag == "blockquote":
                self.depth_quoted += 1
            if tag == "li":
                self.lines[-1] = "- "

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self.lines.append("")
        elif tag == "hr":
            self._break()

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIPPED:
            self.skipping = max(self.skipping - 1, 0)
        elif tag in self.BLOCKS:
            if tag == "blockquote":
                self._break()
                self.depth_quoted = max(self.depth_quoted - 1, 0)
            elif tag != "br":
                self._break()

    def handle_data(self, data: str) -> None:
        if self.skipping:
            return
        text = " ".join(data.split())
        if not text:
            if data and self.lines[-1] and not self.lines[-1].endswith(" "):
                self.lines[-1] += " "
            return
        if data[:1].isspace() and self.lines[-1] and not self.lines[-1].endswith(" "):
            text = " " + text
        if data[-1:].isspace():
            text += " "
        if not self.lines[-1] and self.depth_quoted:
            self.lines[-1] = "> " * self.depth_quoted
        self.lines[-1] += text


def html_to_text(markup: str) -> str:
    """The text a person reads in ``markup``: no tags, no scripts or styles, entities decoded, quotes as ``>``."""
    parser = _TextOfHtml()
    parser.feed(markup)
    parser.close()
    lines = [line.rstrip() for line in parser.lines]
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def _text_part(message: Message) -> tuple[str | None, bool]:
    """The mail's text, and whether it came from its HTML part."""
    if not isinstance(message, EmailMessage):
        return None, False
    for subtype, from_html in (("plain", False), ("html", True)):
        try:
            part = message.get_body(preferencelist=(subtype,))
            if part is None:
                continue
            content = part.get_content()
        except (LookupError, ValueError, TypeError, AttributeError, UnicodeError):
            continue
        if isinstance(content, str):
            return content, from_html
    return None, False


def _without_trailing_quote(text: str) -> str:
    """What the library did not recognise: a quoted block at the end (``>`` lines) and the line introducing it.

    Mail clients write the line before a quote in ways no list knows in full (Gmail in
    Dutch: ``Op vr 4 dec. 2026 om 10:00 schreef X <x@y>:``); the quote itself is
    always marked with ``>``, and a reply written below it is kept.
    """
    lines = text.split("\n")
    end = len(lines)
    while end and (not lines[end - 1].strip() or lines[end - 1].lstrip().startswith(">")):
        end -= 1
    if end == len(lines) or not any(line.lstrip().startswith(">") for line in lines[end:]):
        return text
    if end and lines[end - 1].rstrip().endswith(":"):
        end -= 1
    return "\n".join(lines[:end]).rstrip()


def new_text(mail: ReadMail, *, languages: list[str]) -> str:
    """What the sender wrote in this mail: without the quoted mail and without their signature."""
    text, from_html = _text_part(mail.message)
    if text is None:
        return ""
    if from_html:
        text = html_to_text(text)
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\0", "")
    wanted = [code for code in [*languages, "en", "nl", "fr"] if code]
    parsed = EmailReplyParser(languages=list(dict.fromkeys(wanted))).read(text)
    body = parsed.replies[0].body if parsed.replies else text
    return _without_trailing_quote(body or "").strip()


def attachments_of(mail: ReadMail) -> list[Attachment]:
    """The files attached to the mail, however deep; images shown inside the HTML part (signature logos) are not."""
    found: list[Attachment] = []
    for part in mail.message.walk():
        if part.is_multipart():
            continue
        disposition = part.get_content_disposition()
        filename = part.get_filename()
        if disposition != "attachment" and not filename:
            continue  # the text or HTML of the mail itself
        if disposition != "attachment" and part.get("Content-ID"):
            continue
        try:
            content = part.get_payload(decode=True)
        except (LookupError, ValueError, TypeError):
            content = None
        if isinstance(content, bytes):
            found.append(Attachment(filename=filename or "", content=content))
    return found
