"""Discord features, one extension package per feature."""
