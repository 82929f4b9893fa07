"""organization choices

The accountant with thousands of clients: the enterprise number's digits on each
person_organizations row (any spelling finds it), an index of the person's list by
name (the switcher's pages), and organization_choices (favourites and the
organizations used last, per person; kept when Panda's list is read again). The index of
an organization's cases by status and activity also holds the other sort keys and the id,
so a page of an accountant's tens of thousands of cases is chosen from the index alone.

Revision ID: b7d4e2a91c3f
Revises: fac8665bb5f3
Create Date: 2026-12-04 14:50:00.000000
"""

import re

import sqlalchemy as sa
from alembic import op

import shared.database

revision = "b7d4e2a91c3f"
down_revision = "fac8665bb5f3"
branch_labels = None
depends_on = None


def _digits(number: str) -> str:
    digits = re.sub(r"\D", "", number or "")
    return ("0" + digits if len(digits) == 9 else digits)[:16]


def upgrade() -> None:
    with op.batch_alter_table("person_organizations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("enterprise_digits", sa.String(length=16), nullable=False, server_default=""))
        batch_op.create_index("ix_person_organizations_sub_name", ["sub", "name"], unique=False)
    with op.batch_alter_table("person_organizations", schema=None) as batch_op:
        batch_op.alter_column("enterprise_digits", server_default=None)

    rows = sa.table(
        "person_organizations",
        sa.column("sub", sa.String),
        sa.column("organization_id", sa.Uuid),
        sa.column("enterprise_number", sa.String),
        sa.column("enterprise_digits", sa.String),
    )
    connection = op.get_bind()
    numbers = connection.execute(sa.select(rows.c.enterprise_number).distinct()).scalars().all()
    for number in numbers:
        connection.execute(
            rows.update().where(rows.c.enterprise_number == number).values(enterprise_digits=_digits(number))
        )

    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index("ix_cases_org_status_activity")
        batch_op.create_index(
            "ix_cases_org_status_activity",
            ["organization_id", "status", "last_activity_at", "created_at", "severity", "id"],
            unique=False,
        )

    op.create_table(
        "organization_choices",
        sa.Column("sub", sa.String(length=64), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("favourite", sa.Boolean(), nullable=False),
        sa.Column("last_used_at", shared.database.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["sub"], ["person_access.sub"], name=op.f("fk_organization_choices_sub_person_access"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("sub", "organization_id", name=op.f("pk_organization_choices")),
    )
    with op.batch_alter_table("organization_choices", schema=None) as batch_op:
        batch_op.create_index("ix_organization_choices_sub_used", ["sub", "last_used_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("organization_choices", schema=None) as batch_op:
        batch_op.drop_index("ix_organization_choices_sub_used")
    op.drop_table("organization_choices")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index("ix_cases_org_status_activity")
        batch_op.create_index(
            "ix_cases_org_status_activity", ["organization_id", "status", "last_activity_at"], unique=False
        )
    with op.batch_alter_table("person_organizations", schema=None) as batch_op:
        batch_op.drop_index("ix_person_organizations_sub_name")
        batch_op.drop_column("enterprise_digits")
