"""Training scripts for the problem-mention model (not imported at runtime)."""
