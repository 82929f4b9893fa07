"""The use cases of personal accounts, one module per concern, shared by the views and the command line.

``registration`` (register, confirm the address), ``sign_in``, ``passwords`` (reset
and change), ``profile``, ``administration`` (operators: create, disable, enable,
support agents); beneath them ``lookup`` (an account by address), ``links`` (the
single-use links sent by mail), ``hashing`` (passwords hashed with no transaction
open), ``history`` (the one place a change is recorded) and ``errors``.

Services flush but never commit. No function here tells its caller whether an
address is registered when the caller could show that to someone who does not own
the address: ``register``, ``request_password_reset`` and ``resend_verification``
return nothing and always queue exactly one mail.
"""
