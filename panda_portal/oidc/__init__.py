"""Panda as OpenID Provider (Authlib): clients, grants, keys, claims, discovery, logout."""
from flask import Flask


def init_oidc(app: Flask) -> None:
    pass
