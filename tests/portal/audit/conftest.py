"""The audit pages are tested with the organizations' factories."""
from tests.portal.organizations.conftest import (applications, login_as, make_account, make_customer,  # noqa: F401
                                                 make_membership, make_org)
