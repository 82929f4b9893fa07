"""WTForms' own messages (a field too long) come in the language of each request.

The catalogue of each language is read once per process (``shared.i18n``); a page in French
followed by one in Dutch must still answer each in its own language.
"""

from __future__ import annotations

import pytest

TOO_LONG = "x" * 250 + "@example.org"  # 262 characters: the e-mail field takes 254
MESSAGES = {
    "en": "Field cannot be longer than 254 characters.",
    "fr": "Le champ ne peut pas contenir plus de 254 caractères.",
    "nl": "Veld mag niet langer zijn dan 254 karakters.",
}


@pytest.mark.parametrize("order", [("fr", "nl", "en", "fr"), ("en", "nl", "fr")])
def test_a_form_message_of_wtforms_is_in_the_language_of_each_request(panda, panda_client, order):
    for language in order:
        panda_client.set_cookie("lang", language)
        token = panda_client.csrf_token("/sign-in")
        response = panda_client.post(
            "/sign-in", data={"email": TOO_LONG, "password": "whatever it is", "csrf_token": token}
        )
        page = response.get_data(as_text=True)
        assert response.status_code == 400
        assert MESSAGES[language] in page, language
        assert all(MESSAGES[other] not in page for other in MESSAGES if other != language)
