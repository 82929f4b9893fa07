"""Mails of the organizations domain."""
