"""Attachments: the type must fit the name, sizes are limited, files are stored and purged when orphaned."""

from __future__ import annotations

import datetime as dt
import io
import os

import pytest
from sqlalchemy import select

from support_community.cases.models import Attachment
from support_community.cases.services import attachments
from support_community.cases.services.attachments import AttachmentError, check_file, clean_filename
from support_community.extensions import db
from tests.community.factories import PEETERS, acting_as, open_case, user_with
from tests.community.files import PDF, PNG, TEXT, docx, stored_files, upload, xlsx, zipped


@pytest.mark.parametrize(
    "name,content",
    [
        ("photo.pdf", PNG),
        ("report.png", PDF),
        ("script.js", TEXT),
        ("export", TEXT),
        ("brief.zip", docx()),
        ("archive.docx", zipped({"a.txt": b"x"})),
        ("cijfers.docx", xlsx()),
    ],
)
def test_the_extension_must_fit_the_content(community, name, content):
    with pytest.raises(AttachmentError, match="so its name must end in"):
        check_file(upload(name, content))


def test_an_empty_file_is_refused(community):
    with pytest.raises(AttachmentError, match="is empty"):
        check_file(upload("empty.txt", b""))


def test_a_file_over_the_limit_is_refused(community, monkeypatch):
    monkeypatch.setitem(community.config, "ATTACHMENT_MAX_MB", 1)
    check_file(upload("fits.txt", b"a" * (1024 * 1024)))
    with pytest.raises(AttachmentError, match="larger than 1 MB"):
        check_file(upload("big.txt", b"a" * (1024 * 1024 + 1)))


def test_a_case_holds_at_most_its_limit_of_files(community, demo_catalog, store, monkeypatch):
    monkeypatch.setitem(community.config, "ATTACHMENTS_PER_CASE_MAX_MB", 1)
    ann = acting_as(user_with(PEETERS))
    half = b"a" * (600 * 1024)
    case = open_case(PEETERS, ann, uploads=[upload("one.txt", half)])
    with pytest.raises(AttachmentError, match="at most 1 MB of attachments"):
        attachments.check_files([upload("two.txt", half)], case=case)
    with pytest.raises(AttachmentError, match="at most 1 MB"):
        open_case(PEETERS, ann, uploads=[upload("a.txt", half), upload("b.txt", half)])


def test_at_most_ten_files_at_a_time(community):
    with pytest.raises(AttachmentError, match="at most 10 files"):
        attachments.check_files([upload(f"{n}.txt", b"x") for n in range(11)])


@pytest.mark.parametrize(
    "raw,clean",
    [
        ("C:\\Users\\jan\\Desktop\\factuur.pdf", "factuur.pdf"),
        ("../../etc/passwd.txt", "passwd.txt"),
        ("rapport\u0000\r\n.pdf", "rapport.pdf"),
        ("e\u0301te\u0301.txt", "été.txt"),
        ("  .hidden.txt. ", "hidden.txt"),
        ("x" * 300 + ".pdf", "x" * 251 + ".pdf"),
    ],
)
def test_file_names_keep_only_their_last_part_without_control_characters(raw, clean):
    assert clean_filename(raw) == clean


def test_the_sha256_of_the_content_is_recorded(demo_catalog, store):
    import hashlib

    case = open_case(PEETERS, acting_as(user_with(PEETERS)), uploads=[upload("a.pdf", PDF)])
    attachment = db.session.scalar(select(Attachment).where(Attachment.case_id == case.id))
    assert attachment.sha256 == hashlib.sha256(PDF).hexdigest()


def test_files_are_stored_under_random_names_outside_the_package(demo_catalog, store):
    case = open_case(PEETERS, acting_as(user_with(PEETERS)), uploads=[upload("../../aangifte.pdf", PDF)])
    attachment = db.session.scalar(select(Attachment).where(Attachment.case_id == case.id))
    path = store.root / attachment.storage_key[:2] / attachment.storage_key
    assert path.read_bytes() == PDF
    assert "aangifte" not in attachment.storage_key and len(attachment.storage_key) == 32
    package = os.path.dirname(os.path.dirname(os.path.dirname(attachments.__file__)))
    assert not str(path.resolve()).startswith(package)


def test_purge_deletes_old_files_no_attachment_names(demo_catalog, store):
    case = open_case(PEETERS, acting_as(user_with(PEETERS)), uploads=[upload("kept.pdf", PDF)])
    kept = db.session.scalar(select(Attachment.storage_key).where(Attachment.case_id == case.id))
    orphan = store.save(io.BytesIO(b"left behind by a crash"))
    young = store.save(io.BytesIO(b"an upload still in progress"))
    old = (dt.datetime.now() - dt.timedelta(days=2)).timestamp()
    for key in (kept, orphan):
        os.utime(store.root / key[:2] / key, (old, old))

    assert attachments.purge_orphans(older_than=dt.timedelta(hours=1), batch_size=1) == 1
    assert sorted(stored_files(store)) == sorted([kept, young])
