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
    "--redirect-uri",
    "redirect_uris",
    multiple=True,
    help="An exact redirect URI (repeat for more; required unless the client only uses client_credentials).",
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
@click.option(
    "--grant-type",
    "grant_types",
    multiple=True,
    type=click.Choice(["authorization_code", "refresh_token", "client_credentials"]),
    help="A grant the client may use (repeat for more; default: authorization_code and refresh_token).",
)
@click.option(
    "--api-scope",
    "api_scopes",
    multiple=True,
    type=click.Choice(["orgs:read", "orgs:admin", "cases:read", "cases:write", "agent"]),
    help="An API scope the client may be granted (repeat for more; default: none).",
)
def add_client(
    client_id: str,
    redirect_uris: tuple[str, ...],
    post_logout_redirect_uris: tuple[str, ...],
    backchannel_logout_uri: str | None,
    requires_grant: str | None,
    public: bool,
    grant_types: tuple[str, ...],
    api_scopes: tuple[str, ...],
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
            grant_types=grant_types or None,
            api_scopes=api_scopes,
        )
    except ClientError as error:
        raise click.ClickException(str(error)) from None
    db.session.commit()
    click.echo(json.dumps({"client_id": client.client_id, "client_secret": secret}))


@clients_group.command("access")
@click.argument("client_id")
@click.option(
    "--grant-type",
    "grant_types",
    multiple=True,
    type=click.Choice(["authorization_code", "refresh_token", "client_credentials"]),
    help="The grants the client may use (repeat; replaces the current list; omit to keep it).",
)
@click.option(
    "--api-scope",
    "api_scopes",
    multiple=True,
    type=click.Choice(["orgs:read", "orgs:admin", "cases:read", "cases:write", "agent"]),
    help="The API scopes the client may be granted (repeat; replaces the current list).",
)
@click.option("--no-api-scopes", is_flag=True, help="Take every API scope away from the client.")
def client_access(
    client_id: str, grant_types: tuple[str, ...], api_scopes: tuple[str, ...], no_api_scopes: bool
) -> None:
    """Change the grants and API scopes of CLIENT_ID (what is not given stays as it is)."""
    from panda_portal.oidc.services import ClientError, change_client_access

    try:
        client = change_client_access(
            client_id,
            grant_types=grant_types or None,
            api_scopes=[] if no_api_scopes else (api_scopes or None),
        )
    except ClientError as error:
        raise click.ClickException(str(error)) from None
    db.session.commit()
    click.echo(
        f"{client.client_id}: grants {', '.join(client.grant_types or [])};"
        f" API scopes {', '.join(client.api_scopes) or '-'}"
    )


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
            "grant_types": list(c.grant_types or []),
            "api_scopes": c.api_scopes,
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
        click.echo(f"  grant types:              {', '.join(row['grant_types'])}")
        if row["api_scopes"]:
            click.echo(f"  API scopes:               {', '.join(row['api_scopes'])}")


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


@tokens_group.command("remind")
@click.option("--days", type=click.IntRange(1, 60), default=7, show_default=True, help="How long before expiry.")
def remind_tokens(days: int) -> None:
    """Mail the owners of personal access tokens that expire within DAYS (once per token; run it daily)."""
    import datetime as dt

    from panda_portal.personal_tokens.services import remind_expiring

    sent = remind_expiring(within=dt.timedelta(days=days))
    db.session.commit()
    click.echo(f"{sent} reminders queued.")


@tokens_group.command("purge")
def purge_tokens() -> None:
    """Delete expired codes and tokens, and the grants left without any (run it daily)."""
    from panda_portal.oidc.services import purge_expired

    removed = purge_expired()
    db.session.commit()
    click.echo(f"{removed} expired codes, tokens and grants deleted.")
