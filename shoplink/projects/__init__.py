"""Projects (the unit of isolation), staff memberships and roles."""
