"""Templates translate with the page's translations, taken once per page (``shared.i18n``).

The texts of a page, of a macro imported without the page's context and of a mail rendered
in another language inside a request must each come in their own language, and the values
put into a text are escaped as Jinja's own ``gettext`` does.
"""

from __future__ import annotations

from flask import render_template_string
from flask_babel import force_locale

PAGE = (
    '{% macro sign_out() %}{{ _("Sign out") }}{% endmacro %}'
    '{{ _("Sign out") }}|{{ sign_out() }}|{{ ngettext("%(num)s day", "%(num)s days", 3) }}'
    '|{{ _("%(name)s (Support)", name=name) }}'
)


def _render(language: str, *, name: str = "Eva") -> str:
    with force_locale(language):
        return render_template_string(PAGE, name=name)


def test_a_page_a_macro_and_a_plural_come_in_the_requests_language(panda):
    with panda.test_request_context("/", headers={"Cookie": "lang=fr"}):
        page = render_template_string(PAGE, name="Eva")
        assert page.split("|")[0] == page.split("|")[1] != "Sign out"
        assert page.split("|")[0] == "Se déconnecter"


def test_a_mail_in_another_language_inside_a_request_is_in_its_own_language(panda):
    with panda.test_request_context("/", headers={"Cookie": "lang=fr"}):
        french = render_template_string(PAGE, name="Eva")
        dutch = _render("nl_BE")
        english = _render("en_GB")
        again = render_template_string(PAGE, name="Eva")
    assert dutch.split("|")[0] == "Afmelden"
    assert english.split("|")[0] == "Sign out"
    assert french == again and french.split("|")[0] == "Se déconnecter"


def test_values_put_into_a_text_are_escaped(panda):
    with panda.test_request_context("/"):
        page = _render("en_GB", name='<script>alert("x")</script>')
    assert "<script>" not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; (Support)" in page
