"""Panda API v1 under ``/api/v1/``: the same services and permission checks as the pages.

``app.api`` is the API (``shared.api``): its OpenAPI 3.1 document at ``/api/v1/openapi.json``
and reference at ``/api/v1/docs``. ``auth`` turns a bearer token into the caller (a personal
access token, or a Panda access token for ``urn:panda:api``); ``views/`` hold the routes:
``orgs`` (the caller's organizations), ``admin`` (members, application access, requests to
join, invitations, for the organization's administrators with ``orgs:admin``) and ``vendor``
(the customer register and every organization, for the vendor's staff).
"""
