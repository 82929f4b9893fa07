"""The use cases of the organizations domain, one module per concern."""
