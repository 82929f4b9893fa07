"""Sample file contents (real types and disguised markup) and the uploads made of them.

upload("aangifte.pdf", PDF)    stored_files(store)    docx(), xlsx(), odf("text"), zipped({...})
"""

from __future__ import annotations

import io
import zipfile

from support_community.cases.services.attachments import Upload

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
    types = (
        b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        b'<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.'
        b'wordprocessingml.document.main+xml"/></Types>'
    )
    return zipped({"[Content_Types].xml": types, "word/document.xml": b"<w:document/>"})


def xlsx() -> bytes:
    types = (
        b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        b'<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.'
        b'spreadsheetml.sheet.main+xml"/></Types>'
    )
    return zipped({"[Content_Types].xml": types, "xl/workbook.xml": b"<workbook/>"})


def odf(kind: str) -> bytes:
    return zipped(
        {
            "mimetype": f"application/vnd.oasis.opendocument.{kind}".encode(),
            "content.xml": b"<office:document-content/>",
        },
        first="mimetype",
    )


def upload(name: str, content: bytes) -> Upload:
    return Upload(filename=name, stream=io.BytesIO(content))


def stored_files(store) -> list[str]:
    """The keys of the files in the attachment storage ``store``."""
    return [key for key, _ in store.keys()]
