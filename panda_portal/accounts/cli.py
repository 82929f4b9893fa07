from __future__ import annotations

from flask.cli import AppGroup

users_group = AppGroup("users", help="Accounts.")
