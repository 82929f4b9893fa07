"""The knowledge base: help articles in three languages, suggested before a question becomes a case."""
