"""The knowledge base's pages, one module per concern, on one blueprint ("kb").

- ``reading``: ``/kb`` (browse and search) and ``/kb/<language>/<slug>`` (an article, "was this helpful?"),
  public: what a reader sees depends on who they are (``permissions.Audience``);
- ``suggesting``: the new-case form's suggestions and "this answered my question" (``/orgs/<org_id>/kb/…``);
- ``editing`` and ``reports``: the agents' editor and report (``/agent/kb/…``, ``kb.*`` capabilities).
"""

from flask import Blueprint

bp = Blueprint("kb", __name__)

from support_community.kb.views import editing, reading, reports, suggesting  # noqa: E402,F401
