"""The labelled evaluation corpus and the code that scores the guardrails on it."""
