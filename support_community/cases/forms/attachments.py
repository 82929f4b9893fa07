"""Files a form sent, as the attachment services take them."""

from __future__ import annotations

from wtforms import MultipleFileField

from support_community.cases.services.attachments import Upload


def uploads(field: MultipleFileField) -> list[Upload]:
    """The files a multiple file input sent (a browser sends one empty entry when none was chosen)."""
    return [
        Upload(filename=item.filename or "", stream=item.stream)
        for item in (field.data or [])
        if item is not None and getattr(item, "filename", None)
    ]
