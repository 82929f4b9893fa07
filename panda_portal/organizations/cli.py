"""``panda customers …``: the vendor's customer register."""
from __future__ import annotations

import os
import sys

import click
from flask.cli import AppGroup

customers_group = AppGroup("customers", help="The vendor's customer register.")


class _CountingReader:
    """A binary file that counts the bytes read, to drive the progress bar."""

    def __init__(self, raw) -> None:
        self.raw = raw
        self.position = 0

    def read(self, size: int = -1) -> bytes:
        data = self.raw.read(size)
        self.position += len(data)
        return data

    def read1(self, size: int = -1) -> bytes:
        data = self.raw.read1(size)
        self.position += len(data)
        return data

    def readinto(self, buffer) -> int:
        count = self.raw.readinto(buffer)
        self.position += count or 0
        return count

    def __getattr__(self, name):
        return getattr(self.raw, name)


@customers_group.command("import")
@click.argument("path", type=click.Path(dir_okay=False, path_type=str))
@click.option("--batch-size", default=5000, show_default=True, help="Rows per database statement.")
def import_command(path: str, batch_size: int) -> None:
    """Add or update customers from a CSV file (customer_number,enterprise_number,name).

    Rows with an invalid enterprise number, a missing field or a customer number
    already seen in the file are reported with their line number and skipped.
    """
    from panda_portal.extensions import db
    from panda_portal.organizations.services.register import (RegisterFileError, import_customers,
                                                              read_register_csv)

    try:
        raw = open(path, "rb")
    except OSError as error:
        raise click.ClickException(f"cannot read {path}: {error.strerror}") from None
    size = os.fstat(raw.fileno()).st_size
    counting = _CountingReader(raw)
    try:
        with click.progressbar(length=size, label="Importing customers", file=sys.stderr,
                               show_pos=False, show_percent=True) as bar:
            done = {"bytes": 0}

            def advance(_rows: int) -> None:
                bar.update(counting.position - done["bytes"])
                done["bytes"] = counting.position

            report = import_customers(read_register_csv(counting), actor=None, batch_size=batch_size,
                                      progress=advance)
            advance(0)
        db.session.commit()
    except RegisterFileError as error:
        db.session.rollback()
        raise click.ClickException(f"{path}: {error}") from None
    finally:
        raw.close()
    for rejection in report.rejected:
        click.echo(f"line {rejection.line}: rejected: {rejection.reason}", err=True)
    click.echo(f"{report.added} added, {report.updated} updated, {report.unchanged} unchanged, "
               f"{len(report.rejected)} rejected.")
