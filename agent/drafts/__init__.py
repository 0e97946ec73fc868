"""Drafts: the typed draft record, sandboxed template rendering, variant assignment and the one
draft-check entry point (guardrails on a rendered template)."""
