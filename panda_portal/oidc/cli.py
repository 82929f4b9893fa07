"""``panda clients …`` and ``panda keys …``: thin wrappers over the OpenID Provider's services."""

from __future__ import annotations

import json
from typing import Any

import click
from flask.cli import AppGroup

from panda_portal.extensions import db

clients_group = AppGroup("clients", help="OpenID clients (relying parties).")
keys_group = AppGroup("keys", help="The keys that sign ID tokens, access tokens and logout tokens.")
tokens_group = AppGroup("tokens", help="Authorization codes and tokens kept by the OpenID Provider.")


@clients_group.command("add")
@click.argument("client_id")
@click.option(
    "--redirect-uri", "redirect_uris", multiple=True, required=True, help="An exact redirect URI (repeat for more)."
)
@click.option(
    "--post-logout-redirect-uri",
    "post_logout_redirect_uris",
    multiple=True,
    help="An exact address to return to after signing out (repeat for more).",
)
@click.option("--backchannel-logout-uri", help="Where Panda POSTs logout tokens.")
@click.option("--requires-grant", help="The application grant (e.g. support_community) the orgs claim requires.")
@click.option("--public", is_flag=True, help="A client without a secret (PKCE only).")
def add_client(
    client_id: str,
    redirect_uris: tuple[str, ...],
    post_logout_redirect_uris: tuple[str, ...],
    backchannel_logout_uri: str | None,
    requires_grant: str | None,
    public: bool,
) -> None:
    """Register CLIENT_ID and print its credentials as JSON (the secret is shown only now)."""
    from panda_portal.oidc.services import ClientError, register_client

    try:
        client, secret = register_client(
            client_id,
            redirect_uris,
            post_logout_redirect_uris=post_logout_redirect_uris,
            backchannel_logout_uri=backchannel_logout_uri,
            requires_grant=requires_grant,
            public=public,
        )
    except ClientError as error:
        raise click.ClickException(str(error)) from None
    db.session.commit()
    click.echo(json.dumps({"client_id": client.client_id, "client_secret": secret}))


@clients_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
def list_clients(as_json: bool) -> None:
    """Show the registered clients (never their secrets)."""
    from panda_portal.oidc.services import list_clients as all_clients

    clients = all_clients()
    rows: list[dict[str, Any]] = [
        {
            "client_id": c.client_id,
            "type": "public" if c.is_public else "confidential",
            "redirect_uris": list(c.redirect_uris or []),
            "post_logout_redirect_uris": list(c.post_logout_redirect_uris or []),
            "backchannel_logout_uri": c.backchannel_logout_uri,
            "requires_grant": c.required_grant,
            "scopes": c.allowed_scopes,
            "created_at": c.created_at.isoformat(timespec="seconds"),
        }
        for c in clients
    ]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        click.echo("No clients registered.")
        return
    for row in rows:
        click.echo(f"{row['client_id']} ({row['type']}, created {row['created_at']})")
        for uri in row["redirect_uris"]:
            click.echo(f"  redirect URI:             {uri}")
        for uri in row["post_logout_redirect_uris"]:
            click.echo(f"  post-logout redirect URI: {uri}")
        if row["backchannel_logout_uri"]:
            click.echo(f"  back-channel logout URI:  {row['backchannel_logout_uri']}")
        if row["requires_grant"]:
            click.echo(f"  requires grant:           {row['requires_grant']}")


@keys_group.command("rotate")
def rotate_keys() -> None:
    """Make a new signing key active; the previous one stays published until its tokens expire."""
    from panda_portal.oidc import keys

    row = keys.rotate()
    db.session.commit()
    click.echo(f"New signing key {row.kid} (generation {row.generation}) is active.")


@keys_group.command("list")
def list_keys() -> None:
    """Show the signing keys, newest first: active, retiring (still published) or retired."""
    from panda_portal.oidc import keys

    rows = keys.all_keys()
    if not rows:
        click.echo("No signing key yet; one is created on first use.")
        return
    for row in rows:
        retired = f", retired {row.retired_at.isoformat(timespec='seconds')}" if row.retired_at else ""
        click.echo(
            f"{row.generation:>4}  {row.kid}  {keys.key_status(row):<8}"
            f"  created {row.created_at.isoformat(timespec='seconds')}{retired}"
        )


@tokens_group.command("purge")
def purge_tokens() -> None:
    """Delete expired codes and tokens, and the grants left without any (run it daily)."""
    from panda_portal.oidc.services import purge_expired

    removed = purge_expired()
    db.session.commit()
    click.echo(f"{removed} expired codes, tokens and grants deleted.")
