"""The mail of a bulk add: one per administrator, listing every request of the batch they may decide."""

from __future__ import annotations

import uuid

from panda_portal.accounts.models import Account
from panda_portal.organizations.emails import panda_url
from panda_portal.organizations.models import Organization
from panda_portal.outbox.services import outbox
from shared.outbox.rendering import queue_mail

# A mail lists this many requests; the page of requests to join holds them all.
LISTED = 200


def send_join_requests(
    administrator: Account, requester: Account, requests: list[tuple[Organization, uuid.UUID]]
) -> None:
    listed = [
        {
            "organization": organization,
            "link": panda_url("organizations.request_detail", org_id=organization.id, membership_id=membership_id),
        }
        for organization, membership_id in requests[:LISTED]
    ]
    queue_mail(
        outbox,
        "join_requests_batch",
        to=administrator.email,
        locale=administrator.language,
        recipient=administrator.name,
        requester=requester,
        requests=listed,
        count=len(requests),
        more=max(0, len(requests) - LISTED),
        link=panda_url("organizations.requests_to_join"),
    )
