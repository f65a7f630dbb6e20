"""The JSON API under /api/v1/: consultations, their contributions and participation."""
