"""Members, their roles and application accesses, invitations and hand-over."""
from __future__ import annotations

from panda_portal.organizations.views import bp
from shared.access import requires


@bp.get("/orgs/<org_id>/members/<membership_id>")
@requires("org.members.manage")
def member_detail(org_id: str, membership_id: str):
    return "member detail"
