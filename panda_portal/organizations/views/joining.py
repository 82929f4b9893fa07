"""Adding an organization, requests to join and the decisions on them."""
