"""``community sla show`` and ``community sla recompute``: the service levels agents work to."""

from __future__ import annotations

import click
from flask.cli import AppGroup

sla_group = AppGroup("sla", help="Service-level targets (business hours per severity).")


@sla_group.command("show")
def show_command() -> None:
    """Print the business calendar and the targets per severity (set them with the SLA_* settings)."""
    from support_community.cases.labels import SEVERITY_ORDER
    from support_community.cases.services.sla import policy

    rules = policy()
    calendar = rules.calendar
    days = ",".join(
        name
        for number, name in enumerate(("mon", "tue", "wed", "thu", "fri", "sat", "sun"))
        if number in calendar.weekdays
    )
    click.echo(
        f"Business hours: {calendar.start:%H:%M}-{calendar.end:%H:%M} {days}, {calendar.zone.key}; "
        f"public holidays: {calendar.country or 'none'}."
    )
    click.echo(f"Breaching soon: within {rules.warning_hours:g} business hour(s) of the due time.")
    click.echo(f"{'severity':<10} {'first response':>15} {'resolution':>12}")
    for severity in SEVERITY_ORDER:
        first = rules.first_response.get(severity.value)
        resolution = rules.resolution.get(severity.value)
        click.echo(
            f"{severity.value:<10} {(f'{first:g} h' if first else 'none'):>15} "
            f"{(f'{resolution:g} h' if resolution else 'none'):>12}"
        )


@sla_group.command("recompute")
def recompute_command() -> None:
    """Compute the due times of every open case again (after the targets or the calendar changed)."""
    from support_community.cases.services.sla import recompute_open
    from support_community.extensions import db

    count = recompute_open()
    db.session.commit()
    click.echo(f"Due times of {count} open case(s) computed again.")
