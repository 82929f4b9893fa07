"""The community's outbox: notification mails, delivered after commit."""
