"""Post-mortem rendering and publishing."""
