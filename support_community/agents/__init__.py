"""The support agents' workspace."""
