"""The queue: every organization's cases, its views and their counts, due times."""

from __future__ import annotations

from flask import render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import format_number
from flask_babel import lazy_gettext as _l

from shared.access import requires
from shared.i18n import current_language
from support_community.agents.due import due_state, due_text, queue_dues
from support_community.agents.forms import BulkForm, QueueFilterForm
from support_community.agents.views import bp
from support_community.auth.session import current_user
from support_community.cases.labels import STATUS_ORDER
from support_community.cases.services import assignment, catalog
from support_community.cases.services import queue as queue_service
from support_community.cases.views.context import acting_person
from support_community.extensions import db
from support_community.permissions import has_capability

# The queue's views (``queue_service.VIEWS``) as the page names them.
VIEW_LABELS = {
    "inbox": _l("Unassigned and mine"),
    "unassigned": _l("Unassigned"),
    "mine": _l("Mine"),
    "waiting": _l("Waiting for customer"),
    "breaching": _l("Breaching SLA"),
    "open": _l("All open"),
}


def shown_count(count: int, *, at_least: bool = False) -> str:
    """A count as the page shows it; "12+" for a lower bound (nothing for a lower bound of 0)."""
    if at_least:
        return format_number(count) + "+" if count else ""
    return format_number(count)


def view_count(name: str, count: int) -> str:
    """A view's count: "1,000+" for one counted up to the limit that stopped there (``queue_service.CAPPED_VIEWS``)."""
    if name in queue_service.CAPPED_VIEWS and queue_service.is_capped(count):
        return format_number(queue_service.COUNT_LIMIT) + "+"
    return format_number(count)


def _page_number() -> int:
    try:
        return max(1, int(request.args.get("page", "1")))
    except ValueError:
        return 1


# -- the queue -------------------------------------------------------------------------------
@bp.get("")
@requires("agent.queue")
def queue() -> ResponseReturnValue:
    """The queue opens on the agent's last choice (at first: "unassigned and mine"), with the views' counts."""
    agent = acting_person()
    filters = queue_service.choose_filters(agent, request.args)
    result = queue_service.queue(filters, agent=agent, page=_page_number())
    view_counts = queue_service.view_counts(agent)
    agents = assignment.list_agents()
    products = catalog.products(include_inactive=True)
    db.session.commit()
    bulk_form = BulkForm(formdata=None)
    bulk_form.set_choices(agents)
    form = QueueFilterForm(data=filters.as_dict())
    form.set_choices(agents, products, current_language())
    return render_template(
        "agents/queue.html",
        result=result,
        filters=filters,
        form=form,
        status_order=STATUS_ORDER,
        shown_count=shown_count,
        view_count=view_count,
        views=VIEW_LABELS,
        view_counts=view_counts,
        dues=queue_dues(result.cases),
        due_text=due_text,
        due_state=due_state,
        me=agent,
        bulk_form=bulk_form,
        select_all=request.args.get("select") == "all",
        can_bulk=has_capability(current_user(), "agent.bulk"),
        here=request.full_path.rstrip("?"),
        page_url=lambda **changes: url_for(
            ".queue", **{name: value for name, value in (filters.as_dict() | changes).items() if value}
        ),
    )
