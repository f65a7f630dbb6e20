"""Open-question consultations: questions, contributions and reactions."""
