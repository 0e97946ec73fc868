"""Evaluation suites for the prompt library and the python checks they reference."""
