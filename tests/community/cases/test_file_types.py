"""What a file is, read from its content: allowed types recognized, markup, scripts and executables not."""

from __future__ import annotations

import io

import pytest

from support_community.cases import file_types
from support_community.cases.services.attachments import AttachmentError, check_file
from tests.community.files import EXE, GIF, HTML, JPEG, PDF, PNG, SVG, TEXT, WEBP, docx, odf, upload, xlsx, zipped


@pytest.mark.parametrize(
    "name,content,content_type",
    [
        ("aangifte.pdf", PDF, "application/pdf"),
        ("scherm.png", PNG, "image/png"),
        ("foto.jpg", JPEG, "image/jpeg"),
        ("foto.JPEG", JPEG, "image/jpeg"),
        ("anim.gif", GIF, "image/gif"),
        ("beeld.webp", WEBP, "image/webp"),
        ("export.csv", TEXT, "text/plain; charset=utf-8"),
        ("notes.txt", "Ça marche pas: € 12".encode(), "text/plain; charset=utf-8"),
        ("server.log", b"\xef\xbb\xbf2026-01-01 ERROR boom\n", "text/plain; charset=utf-8"),
        ("brief.docx", docx(), "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        ("cijfers.xlsx", xlsx(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ("brief.odt", odf("text"), "application/vnd.oasis.opendocument.text"),
        ("cijfers.ods", odf("spreadsheet"), "application/vnd.oasis.opendocument.spreadsheet"),
        ("logs.zip", zipped({"a.log": b"x"}), "application/zip"),
    ],
)
def test_allowed_types_are_recognized_by_their_content(community, name, content, content_type):
    checked = check_file(upload(name, content))
    assert checked.file_type.content_type == content_type
    assert checked.size == len(content)


@pytest.mark.parametrize(
    "name,content",
    [
        ("invoice.pdf", HTML),
        ("page.html", HTML),
        ("notes.txt", HTML),
        ("logo.svg", SVG),
        ("logo.png", SVG),
        ("setup.exe", EXE),
        ("setup.pdf", EXE),
        ("run.txt", b"#!/bin/sh\nrm -rf /\n"),
        ("data.txt", b"abc\x00def"),
        ("latin1.txt", "café".encode("latin-1")),
        ("broken.zip", b"PK\x03\x04 not really a zip"),
    ],
)
def test_html_svg_scripts_executables_and_binary_junk_are_refused_whatever_the_name(community, name, content):
    with pytest.raises(AttachmentError, match="not a type of file that can be attached"):
        check_file(upload(name, content))


def test_reading_stops_past_the_limit_and_the_stream_is_rewound_after_a_scan():
    with pytest.raises(file_types.FileTooLarge):
        file_types.scan(io.BytesIO(b"a" * 11), limit=10)
    stream = io.BytesIO(PDF)
    scanned = file_types.scan(stream, limit=len(PDF))
    assert (scanned.size, stream.tell()) == (len(PDF), 0)
    assert file_types.detect_kind(stream, scanned) == "pdf"
