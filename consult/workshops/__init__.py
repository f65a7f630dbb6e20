"""Co-writing workshops ("Bright Mirror"): groups write stories of a desirable future."""
