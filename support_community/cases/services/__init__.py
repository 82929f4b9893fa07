"""The use cases of the cases domain, one module per concern."""
