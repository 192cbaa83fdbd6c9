"""Domain package."""
