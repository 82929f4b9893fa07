"""Personal accounts: registration, verification, sign-in, password reset, profile."""
