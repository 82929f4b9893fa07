"""The shape of the case forms and of the lists' query strings, one module per concern (rules live in the services)."""
