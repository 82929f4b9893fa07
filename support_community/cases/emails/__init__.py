"""Mails about cases, through the outbox, each in its recipient's own language.

The customer side (the person who opened the case and its followers) hears of an
agent's public reply and of status changes; the agent side (the assignee or, for
an unassigned case, the agents' team address) hears of new cases and customer
replies. Nobody is told of what they did themselves, internal notes are never
mailed, and each person gets at most one mail per event. Followers who turned off
mails for followed cases (``Person.notify_followed``) hear nothing of cases they did
not open. Who hears what: ``recipients``; the mails: one module per concern, as the
services.
"""
