"""No message in the code without its Dutch and French translation, and no catalog out of date.

Extracts every message of both services (code, templates and shared/) and compares
them with the committed catalogs: a new English text without translation, a fuzzy
or empty translation, or a translation whose English text is gone all fail here.
Fix with `python -m shared.i18n_catalogs update`, then translate what it added.
"""

from __future__ import annotations

from shared.i18n_catalogs import check


def test_every_message_has_a_dutch_and_a_french_translation_and_the_catalogs_are_current():
    problems = check()
    assert not problems, "\n".join(str(problem) for problem in problems)
