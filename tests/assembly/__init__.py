"""Assembly tests."""
