"""Imports every model so the metadata is complete (Alembic, tests, create_all)."""

from support_community.api.models import IdempotentRequest  # noqa: F401
from support_community.auth.models import (  # noqa: F401
    PersonAccess,
    PersonOrganization,
    SeenLogoutToken,
    WebSession,
)
from support_community.cases.models import (  # noqa: F401
    Attachment,
    Case,
    CaseCounter,
    CaseEvent,
    CaseFollower,
    CaseMessage,
    Category,
    Person,
    Product,
    QueuePreference,
)
from support_community.cases.workspace_models import CannedReply, CasePresence, CaseRating  # noqa: F401
from support_community.inbound.models import InboundMessage  # noqa: F401
from support_community.kb.models import Article, ArticleFeedback, ArticleRevision, ArticleTranslation  # noqa: F401
from support_community.outbox.models import OutboxMessage  # noqa: F401
from support_community.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookSubscription  # noqa: F401
