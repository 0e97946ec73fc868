"""Prompt evaluation: suites of cases with typed assertions, run on a model, compared by version."""
