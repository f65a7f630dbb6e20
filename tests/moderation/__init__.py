"""Tests of the moderation area."""
