"""Panda's outbox: mail and back-channel messages, delivered after commit."""
