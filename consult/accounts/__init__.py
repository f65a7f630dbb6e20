"""People: accounts, roles, profiles, invitations and password resets."""
