"""The knowledge base's use cases, one module per concern."""
