"""The customer side of cases: organizations as the token lists them, the demo catalog, files.

``acting_as(panda_user)`` gives the ``Person`` the community makes of a signed-in
person (as their first action would); ``open_case`` opens a case through the
service, like the "New case" form does.
"""
from __future__ import annotations

import io
import zipfile

import pytest

from support_community.auth.session import Organization, User, user_from_claims
from support_community.cases.models import Case, Category, Person
from support_community.cases.services import catalog as catalog_service
from support_community.cases.services import creating, people
from support_community.cases.services.attachments import Upload
from support_community.extensions import db
from tests.community.auth.fake_op import PandaUser, org

PEETERS = org("Bakkerij Peeters BV", enterprise_number="0403.170.701", customer_number="100234",
              id="6a1e0b2c-1111-4c4c-8d8d-000000000001")
JANSSENS = org("Garage Janssens NV", enterprise_number="0202.239.951", customer_number="100999", role="admin",
               id="6a1e0b2c-1111-4c4c-8d8d-000000000002")


def organization(claim: dict) -> Organization:
    return user_from_claims({"sub": "x", "orgs": [claim]}).orgs[0]


def user_with(*orgs: dict, sub: str = "ann-sub", name: str = "Ann Accountant", email: str = "ann@example.test",
              roles: tuple[str, ...] = (), locale: str = "en") -> User:
    return user_from_claims({"sub": sub, "name": name, "email": email, "locale": locale, "roles": list(roles),
                             "orgs": list(orgs)})


def acting_as(user: PandaUser | User) -> Person:
    """The person row of someone signed in (made as their first action in the community would)."""
    if isinstance(user, PandaUser):
        user = user_from_claims({"sub": user.sub, **user.claims(), "roles": user.roles})
    return people.person_for(user)


def category(product_key: str, key: str) -> Category:
    return db.session.query(Category).filter_by(product_key=product_key, key=key).one()


def open_case(org_claim: dict, actor: Person, *, subject: str = "The VAT return does not balance",
              description: str = "Box 54 and box 59 differ by one cent.", severity: str = "normal",
              product: str = "accounting", category_key: str | None = "vat", uploads=()) -> Case:
    chosen = category(product, category_key).id if category_key else None
    return creating.open_case(org=organization(org_claim), actor=actor, product_key=product, category_id=chosen,
                              severity=severity, subject=subject, description=description, uploads=list(uploads))


@pytest.fixture()
def demo_catalog(community):
    catalog_service.load_demo()
    db.session.flush()
    return catalog_service.products()


@pytest.fixture()
def store(community, tmp_path, monkeypatch):
    """Attachments go to a folder of this test's own."""
    from support_community.cases.storage import storage

    monkeypatch.setitem(community.config, "ATTACHMENT_STORAGE_PATH", str(tmp_path / "attachments"))
    monkeypatch.delitem(community.extensions, "attachment_storage", raising=False)
    return storage(community)


def stored_files(store) -> list[str]:
    return [key for key, _ in store.keys()]


# -- file contents -------------------------------------------------------------------------------
PDF = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 40
GIF = b"GIF89a" + b"\x00" * 40
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 40
TEXT = "Datum;Bedrag\n2026-01-31;1.234,56 €\n".encode()
HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"
SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 60


def zipped(entries: dict[str, bytes], *, first: str | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        if first:
            archive.writestr(first, entries[first], compress_type=zipfile.ZIP_STORED)
        for name, content in entries.items():
            if name != first:
                archive.writestr(name, content, compress_type=zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def docx() -> bytes:
    types = (b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
             b'<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.'
             b'wordprocessingml.document.main+xml"/></Types>')
    return zipped({"[Content_Types].xml": types, "word/document.xml": b"<w:document/>"})


def xlsx() -> bytes:
    types = (b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
             b'<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.'
             b'spreadsheetml.sheet.main+xml"/></Types>')
    return zipped({"[Content_Types].xml": types, "xl/workbook.xml": b"<workbook/>"})


def odf(kind: str) -> bytes:
    return zipped({"mimetype": f"application/vnd.oasis.opendocument.{kind}".encode(),
                   "content.xml": b"<office:document-content/>"}, first="mimetype")


def upload(name: str, content: bytes) -> Upload:
    return Upload(filename=name, stream=io.BytesIO(content))
