"""Administration: a home that says what needs attention, and settings edited in the interface."""
