"""Notifications: what concerns a person, shown in the app and sent by e-mail (with opt-out)."""
