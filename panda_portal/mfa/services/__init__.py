"""The use cases of two-step verification (``two_step``) over its parts (``totp``, ``recovery_codes``,
``remembered``)."""
