"""Demo rows: fictitious Belgian customers in the register, and the applications.

Both functions are idempotent (safe to run on every ``panda demo``); they flush
and leave the commit to the caller.
"""

from __future__ import annotations

from flask import current_app, has_app_context
from sqlalchemy import select

from panda_portal.extensions import db
from panda_portal.organizations.models import Application, CustomerRecord
from panda_portal.organizations.services.customer_register import enterprise_number_with_check_digits

# (customer number, first eight digits of the enterprise number, legal name).
# The check digits are computed, so every number is valid; the companies are made up.
DEMO_CUSTOMERS: tuple[tuple[str, str, str], ...] = (
    ("100234", "04031707", "Bakkerij Peeters BV"),
    ("100235", "07123456", "Garage Dubois SRL"),
    ("100236", "08765432", "Brouwerij De Smedt NV"),
    ("100237", "04567890", "Fiduciaire Lambert SC"),
    ("100238", "06543210", "Bloemen Janssens BV"),
    ("100239", "05551234", "Menuiserie Lejeune SRL"),
    ("100240", "07770001", "Accountantskantoor Maes & Co BV"),
    ("100241", "10123456", "Transport Willems NV"),
)

APPLICATIONS: tuple[dict, ...] = (
    {
        "key": "support_community",
        "name_en": "Support Community",
        "name_nl": "Support Community",
        "name_fr": "Support Community",
        "description_en": "Create and manage support cases in this organization's name.",
        "description_nl": "Cases aanmaken en beheren in naam van deze organisatie.",
        "description_fr": "Créer et gérer des cas au nom de cette organisation.",
        "position": 10,
    },
)


def demo_customers() -> list[tuple[str, str, str]]:
    """The demo register as (customer number, ten-digit enterprise number, name)."""
    return [(customer, enterprise_number_with_check_digits(stem), name) for customer, stem, name in DEMO_CUSTOMERS]


def ensure_demo_customers() -> int:
    """Insert or refresh the demo customers; returns how many rows were added."""
    existing = {
        record.customer_number: record
        for record in db.session.scalars(
            select(CustomerRecord).where(CustomerRecord.customer_number.in_([c[0] for c in DEMO_CUSTOMERS]))
        )
    }
    added = 0
    for customer_number, enterprise_number, name in demo_customers():
        record = existing.get(customer_number)
        if record is None:
            db.session.add(
                CustomerRecord(customer_number=customer_number, enterprise_number=enterprise_number, name=name)
            )
            added += 1
        elif (record.enterprise_number, record.name) != (enterprise_number, name):
            record.enterprise_number, record.name = enterprise_number, name
    db.session.flush()
    return added


# The setting that holds each application's public base URL (its organization pages are
# ``{url}/orgs/<id>/``): the address is configuration, stored on the row as data.
APPLICATION_URL_SETTINGS = {"support_community": "COMMUNITY_URL"}


def ensure_applications() -> int:
    """Insert or refresh the application rows (their URL from the settings); returns how many were added."""
    added = 0
    for defaults in APPLICATIONS:
        values = dict(defaults)
        setting = APPLICATION_URL_SETTINGS.get(values["key"])
        if setting and has_app_context() and current_app.config.get(setting):
            values["url"] = str(current_app.config[setting]).rstrip("/")
        application = db.session.get(Application, values["key"])
        if application is None:
            db.session.add(Application(**values))
            added += 1
        else:
            for name, value in values.items():
                setattr(application, name, value)
    db.session.flush()
    return added
