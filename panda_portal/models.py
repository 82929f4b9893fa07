"""Imports every model so the metadata is complete (Alembic, tests, create_all)."""

from panda_portal.accounts.models import Account, WebSession  # noqa: F401
from panda_portal.api.models import IdempotentRequest  # noqa: F401
from panda_portal.audit.models import AuditEvent  # noqa: F401
from panda_portal.mfa.models import Passkey, RecoveryCode, RememberedBrowser, TotpAuthenticator  # noqa: F401
from panda_portal.oidc.models import *  # noqa: F401,F403
from panda_portal.organizations.models import (  # noqa: F401
    AccessAsk,
    Application,
    ApplicationGrant,
    BulkAddBatch,
    BulkAddRow,
    CustomerRecord,
    Invitation,
    Membership,
    Organization,
)
from panda_portal.outbox.models import OutboxMessage  # noqa: F401
from panda_portal.personal_tokens.models import OrganizationTokenPolicy, PersonalAccessToken  # noqa: F401
from panda_portal.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookSubscription  # noqa: F401
