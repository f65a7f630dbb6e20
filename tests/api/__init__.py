"""Tests of the API's tokens and reference."""
