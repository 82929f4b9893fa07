"""The knowledge base's forms: input shape only (the rules are the services')."""
