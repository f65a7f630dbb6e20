"""Meetings: registrations, waiting list, attendance, minutes, contributions from the room."""
