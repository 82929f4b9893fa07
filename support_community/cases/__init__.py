"""Cases in an organization's name: comments, attachments, statuses, notifications."""
