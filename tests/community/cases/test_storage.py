"""Where attachment files live: a folder outside the web root, random names, no file left by a rollback."""

from __future__ import annotations

import io

import pytest

from support_community.cases.storage import LocalStorage
from support_community.extensions import db
from tests.community.factories import PEETERS, acting_as, open_case, user_with
from tests.community.files import PDF, stored_files, upload


def test_the_storage_folder_is_created_when_missing(tmp_path):
    root = tmp_path / "deep" / "folder"
    store = LocalStorage(root)
    key = store.save(io.BytesIO(b"hello"))
    assert store.open(key).read() == b"hello"
    store.delete(key)
    store.delete(key)  # gone already: no error
    with pytest.raises(FileNotFoundError):
        store.open(key)


@pytest.mark.parametrize("key", ["../x", "ab/../../etc", "A" * 32, ""])
def test_storage_never_opens_a_path_of_someones_choosing(tmp_path, key):
    with pytest.raises(FileNotFoundError):
        LocalStorage(tmp_path).open(key)


def test_a_rolled_back_upload_leaves_no_file(demo_catalog, store):
    open_case(PEETERS, acting_as(user_with(PEETERS)), uploads=[upload("a.pdf", PDF)])
    assert len(stored_files(store)) == 1
    db.session.rollback()
    assert stored_files(store) == []


def test_a_committed_upload_stays(demo_catalog, store):
    open_case(PEETERS, acting_as(user_with(PEETERS)), uploads=[upload("a.pdf", PDF)])
    db.session.commit()
    db.session.rollback()  # a later rollback does not touch what was committed
    assert len(stored_files(store)) == 1
