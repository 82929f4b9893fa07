"""The routes of Panda's API, in ``orgs``, ``admin`` and ``vendor`` (``app.init_api`` imports them)."""
