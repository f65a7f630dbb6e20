"""Synthesis of contributions: participation, words, themes, findings, exports."""
