"""Cases in an organization's name: the conversation, attachments, statuses, mails; the agents' queue."""
