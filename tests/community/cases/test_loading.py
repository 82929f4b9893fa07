"""Finding a case and its files: within the organization for customers, anywhere for agents."""

from __future__ import annotations

import uuid

import pytest

from support_community.cases.services import attachments, loading
from tests.community.factories import JANSSENS, PEETERS, acting_as, open_case, user_with
from tests.community.files import PDF, upload


@pytest.fixture()
def ann(community):
    return acting_as(user_with(PEETERS, sub="ann", name="Ann Accountant"))


def test_a_case_is_found_only_within_its_organization(demo_catalog, ann):
    case = open_case(PEETERS, ann)
    assert loading.find_case(PEETERS["id"], case.id) is case
    assert loading.find_case(JANSSENS["id"], case.id) is None
    assert loading.find_case(PEETERS["id"], uuid.uuid4()) is None
    assert loading.find_case("not-a-uuid", case.id) is None


def test_agents_find_a_case_of_any_organization_by_its_id(demo_catalog, ann):
    case = open_case(PEETERS, ann)
    assert loading.find_any_case(case.id) is case
    assert loading.find_any_case(case.id, for_update=True) is case
    assert loading.find_any_case(uuid.uuid4()) is None


def test_the_file_of_an_internal_note_is_found_only_for_agents(demo_catalog, store, ann):
    case = open_case(PEETERS, ann)
    [public] = attachments.store_files(case, attachments.check_files([upload("public.pdf", PDF)]), actor=ann)
    [internal] = attachments.store_files(
        case, attachments.check_files([upload("note.pdf", PDF)]), actor=ann, internal=True
    )
    other = open_case(PEETERS, ann)

    assert loading.find_attachment(case, public.id) is public
    assert loading.find_attachment(case, internal.id) is None
    assert loading.find_attachment(case, internal.id, internal_too=True) is internal
    assert loading.find_attachment(other, public.id, internal_too=True) is None
