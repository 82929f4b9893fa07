"""Personal access tokens: a person's own bearer tokens for the APIs, made on the profile.

A token is ``pat_`` and 43 random characters, shown once and stored as its SHA-256. It is
named, scoped (from the APIs' scopes), expires within a year, and can be revoked; its last
use is recorded. Panda's API checks Panda's tokens itself (``services.find_active``); other
services ask Panda's introspection endpoint (``oidc.introspection``). An organization's
administrators may forbid them for their organization (``OrganizationTokenPolicy``).
"""
