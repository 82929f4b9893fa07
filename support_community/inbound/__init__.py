"""Replies by e-mail: case mails carry a reply address per case and recipient; replies become messages.

``addresses`` makes and checks the signed reply addresses and the threading headers;
``receiving`` stores what arrives (``community mail fetch`` over IMAP, ``community mail
listen`` over SMTP in development) before anything else, and ``watching`` keeps the mailbox
open, waiting for new mail with IMAP IDLE; ``processing`` turns a stored
mail into a reply on its case, a short answer to its sender, or nothing (auto-replies,
bounces, loops), using ``reading`` to take the mail apart.
"""
