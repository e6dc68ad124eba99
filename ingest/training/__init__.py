"""Build scripts for the dictation stage's data files (not imported at runtime)."""
