"""Customer register, organizations, memberships, join requests, invitations, grants, switcher."""
