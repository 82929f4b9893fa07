"""How languages and visibilities are named on the knowledge base's pages (translated).

Templates use the filters ``language_label`` and ``visibility_label`` (registered by
``support_community.templating``). Links to the other language versions of an article
name each language in itself ("Nederlands", "Français": ``shared.i18n.LANGUAGE_NAMES``),
as a reader looks for their own; the editor names them in the agent's language.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from support_community.kb.models import Visibility

LANGUAGE_LABELS = {"en": _l("English"), "nl": _l("Dutch"), "fr": _l("French")}
VISIBILITY_LABELS = {
    Visibility.PUBLIC: _l("Everyone, also without signing in"),
    Visibility.CUSTOMERS: _l("Signed-in customers"),
    Visibility.INTERNAL: _l("Support agents only (internal)"),
}


def language_label(code: str | None) -> str:
    return str(LANGUAGE_LABELS.get(code or "", code or ""))


def visibility_label(visibility: Visibility | str | None) -> str:
    try:
        return str(VISIBILITY_LABELS[Visibility(visibility or "")])
    except ValueError:
        return str(visibility or "")
