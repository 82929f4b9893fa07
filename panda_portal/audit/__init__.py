"""The audit log: who did what, for which organization, when and from where."""
