"""The agent workspace: the queue across every organization, a case's whole file, canned replies, reports.

Routes carry no organization: agents work for every client, and the token's
``roles`` (``support_agent``) give them the ``agent.*`` capabilities. Anyone else
gets 403. The use cases are the cases domain's (``support_community.cases.services``).
"""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("agents", __name__, url_prefix="/agent")

from support_community.agents.views import bulk, canned, case, queue, reports  # noqa: E402, F401  (their routes)
