from __future__ import annotations

from flask.cli import AppGroup

clients_group = AppGroup("clients", help="OpenID clients.")
keys_group = AppGroup("keys", help="Signing keys.")
