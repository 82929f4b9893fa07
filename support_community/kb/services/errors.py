"""The domain error of the knowledge base; views show its ``message`` with ``shared.errors.report_error``."""

from __future__ import annotations

from shared.errors import DomainError


class ArticleError(DomainError):
    """Something asked of an article that cannot be done; ``message`` says why, ``field`` names the form field."""


class EditConflict(ArticleError):
    """Someone else saved a newer revision since the editor was opened: saving would overwrite their work."""
