"""Person names: what a name may hold.

A name is shown on other people's pages, in mails, and in an operator's terminal (the
audit log, ``panda users``). It is one line of text: no control characters (an escape
sequence would reach that terminal and act there), no line or paragraph separators, and
none of the invisible controls that reorder the text around them (bidirectional
embeddings, overrides and isolates), which would make one name show as another.
Every path that sets a name checks it here: the forms, the services and so the command
line.
"""

from __future__ import annotations

import re

from flask_babel import gettext as _

# The accounts.name column.
NAME_MAX_LENGTH = 200

# C0 and C1 controls (tab, line feed, escape…), DEL, U+2028/U+2029 (line and paragraph
# separators), U+202A–U+202E and U+2066–U+2069 (bidirectional embeddings, overrides, isolates).
_NOT_IN_A_NAME = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def name_problem(name: str) -> str | None:
    """Why ``name`` (already stripped) cannot be a person's name, as a sentence; ``None`` when it can.

    An empty name is left to the caller, whose message fits its page ("Enter your name.").
    """
    if _NOT_IN_A_NAME.search(name):
        return _("Enter the name on one line, without control characters.")
    if len(name) > NAME_MAX_LENGTH:
        return _("Use at most %(maximum)d characters.", maximum=NAME_MAX_LENGTH)
    return None
