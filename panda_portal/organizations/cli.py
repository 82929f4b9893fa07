"""``panda customers …``: the vendor's customer register."""

from __future__ import annotations

import io
import os
import sys
from typing import TYPE_CHECKING

import click
from flask.cli import AppGroup

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

customers_group = AppGroup("customers", help="The vendor's customer register.")


class _CountingReader(io.BufferedReader):
    """A binary file that counts the bytes read, to drive the progress bar."""

    def __init__(self, raw: io.RawIOBase) -> None:
        super().__init__(raw)
        self.position = 0

    def read(self, size: int | None = -1, /) -> bytes:
        data = super().read(size)
        self.position += len(data)
        return data

    def read1(self, size: int = -1, /) -> bytes:
        data = super().read1(size)
        self.position += len(data)
        return data

    def readinto(self, buffer: WriteableBuffer, /) -> int:
        count = super().readinto(buffer)
        self.position += count or 0
        return count


@customers_group.command("import")
@click.argument("path", type=click.Path(dir_okay=False, path_type=str))
@click.option("--batch-size", default=5000, show_default=True, help="Rows per database statement.")
def import_command(path: str, batch_size: int) -> None:
    """Add or update customers from a CSV file (customer_number,enterprise_number,name).

    Rows with an invalid enterprise number, a missing field or a customer number
    already seen in the file are reported with their line number and skipped.
    """
    from panda_portal.extensions import db
    from panda_portal.organizations.services.customer_register import (
        RegisterFileError,
        import_customers,
        read_register_csv,
    )

    try:
        counting = _CountingReader(io.FileIO(path, "rb"))
    except OSError as error:
        raise click.ClickException(f"cannot read {path}: {error.strerror}") from None
    size = os.fstat(counting.fileno()).st_size
    try:
        with click.progressbar(
            length=size, label="Importing customers", file=sys.stderr, show_pos=False, show_percent=True
        ) as bar:
            done = {"bytes": 0}

            def advance(_rows: int) -> None:
                bar.update(counting.position - done["bytes"])
                done["bytes"] = counting.position

            report = import_customers(read_register_csv(counting), actor=None, batch_size=batch_size, progress=advance)
            advance(0)
        db.session.commit()
    except RegisterFileError as error:
        db.session.rollback()
        raise click.ClickException(f"{path}: {error}") from None
    finally:
        counting.close()
    for rejection in report.rejected:
        click.echo(f"line {rejection.line}: rejected: {rejection.reason}", err=True)
    click.echo(
        f"{report.added} added, {report.updated} updated, {report.unchanged} unchanged, "
        f"{len(report.rejected)} rejected."
    )
