"""Moderation of contributions: state machine, personal data, flags, suspensions, audit."""
