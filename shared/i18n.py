"""Languages: English, Dutch and French, chosen per request.

Order of choice: an explicit choice made in the page (kept in a cookie), the
person's own language (Panda: the account; community: the token's ``locale``),
the browser's ``Accept-Language``, English.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from babel import support
from flask import Blueprint, Flask, current_app, has_request_context, redirect, request
from flask.typing import ResponseReturnValue
from flask_babel import Babel, get_locale, get_translations
from jinja2 import pass_context
from jinja2.runtime import Context
from wtforms.i18n import messages_path as wtforms_messages_path

from shared.access import public
from shared.web import safe_next

LANGUAGES = ("en", "nl", "fr")
LANGUAGE_NAMES = {"en": "English", "nl": "Nederlands", "fr": "Français"}
LANGUAGE_COOKIE = "lang"
# Texts come in a language; dates and numbers follow Belgian usage in each: English pages
# write 4 December 2026 and 04/12/2026 (not 12/4/26), Dutch and French those of Belgium.
FORMAT_LOCALES = {"en": "en_GB", "nl": "nl_BE", "fr": "fr_BE"}

language_blueprint = Blueprint("language", __name__)


def locale_for(language: str) -> str:
    """The locale that formats dates and numbers for ``language`` (its translations are the language's)."""
    return FORMAT_LOCALES.get(language, FORMAT_LOCALES["en"])


def current_language() -> str:
    """The language code of the current request or ``force_locale`` block: ``en``, ``nl`` or ``fr``."""
    return str(get_locale() or "en").split("_")[0]


def _chosen_language() -> str | None:
    value = request.cookies.get(LANGUAGE_COOKIE)
    return value if value in LANGUAGES else None


def init_i18n(
    app: Flask, babel: Babel, person_language: Callable[[], str | None], translation_directories: list[str]
) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", "en")
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", "Europe/Brussels")
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = ";".join(translation_directories)

    def select_locale() -> str:
        if not has_request_context():
            # A CLI command or worker: no browser to ask (mails choose their own with force_locale).
            return locale_for(app.config["BABEL_DEFAULT_LOCALE"])
        return locale_for(_request_language(person_language))

    babel.init_app(app, locale_selector=select_locale, timezone_selector=lambda: app.config["BABEL_DEFAULT_TIMEZONE"])
    # Flask-Babel's callables find the request's translations anew at each text (about ten
    # context-local look-ups each, a few hundred texts a page): these take them from the page's
    # context, where ``_language_context`` put them once (the same translations, the same escaping).
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=_template_gettext,
        ngettext=_template_ngettext,
        pgettext=_template_pgettext,
        npgettext=_template_npgettext,
        newstyle=True,
    )
    app.register_blueprint(language_blueprint)

    @app.before_request
    def _wtforms_catalogue() -> None:
        # Flask-WTF reads WTForms' catalogue from disk in every request that builds a form
        # unless the request already holds one: it gets the process's, read once per language.
        request.wtforms_translations = WTFORMS_TRANSLATIONS  # type: ignore[attr-defined]

    @app.context_processor
    def _language_context() -> dict:
        return {
            "current_language": current_language(),
            "language_names": LANGUAGE_NAMES,
            _PAGE_TRANSLATIONS: get_translations(),
        }


# The page's translations, in the context of every template rendered (``_language_context``).
_PAGE_TRANSLATIONS = "_page_translations"


def _translations_of(context: Context) -> Any:
    """The translations of the page being rendered; Flask-Babel's lookup where the context has none (a
    macro imported without context, a template rendered outside ``render_template``)."""
    translations = context.get(_PAGE_TRANSLATIONS)
    return translations if translations is not None else get_translations()


@pass_context
def _template_gettext(context: Context, string: str) -> str:
    return _translations_of(context).ugettext(string)


@pass_context
def _template_ngettext(context: Context, singular: str, plural: str, n: int) -> str:
    return _translations_of(context).ungettext(singular, plural, n)


@pass_context
def _template_pgettext(context: Context, message_context: str, string: str) -> str:
    return _translations_of(context).upgettext(message_context, string)


@pass_context
def _template_npgettext(context: Context, message_context: str, singular: str, plural: str, n: int) -> str:
    return _translations_of(context).unpgettext(message_context, singular, plural, n)


class _WtformsTranslations:
    """WTForms' own messages ("Field cannot be longer than 254 characters.") in the language of the
    current request, each language's catalogue read once per process."""

    def __init__(self) -> None:
        self._catalogues: dict[str, support.NullTranslations] = {}

    def _current(self) -> support.NullTranslations:
        locale = str(get_locale() or "en")
        catalogue = self._catalogues.get(locale)
        if catalogue is None:
            catalogue = support.Translations.load(wtforms_messages_path(), [locale], domain="wtforms")
            self._catalogues[locale] = catalogue
        return catalogue

    def ugettext(self, string: str) -> str:
        return self._current().ugettext(string)

    def ungettext(self, singular: str, plural: str, n: int) -> str:
        return self._current().ungettext(singular, plural, n)


WTFORMS_TRANSLATIONS = _WtformsTranslations()


def _request_language(person_language: Callable[[], str | None]) -> str:
    explicit = _chosen_language()
    if explicit:
        return explicit
    own = person_language()
    if own in LANGUAGES:
        return own
    return request.accept_languages.best_match(LANGUAGES) or "en"


@language_blueprint.post("/language")
@public
def choose_language() -> ResponseReturnValue:
    code = request.form.get("language", "")
    response = redirect(safe_next(request.form.get("next"), "/"))
    if code in LANGUAGES:
        response.set_cookie(
            LANGUAGE_COOKIE,
            code,
            max_age=365 * 24 * 3600,
            httponly=True,
            samesite="Lax",
            secure=current_app.config["SESSION_COOKIE_SECURE"],
        )
    return response
