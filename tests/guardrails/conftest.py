"""Guardrail test fixtures: the real Presidio analyzer, loaded once per session."""

from __future__ import annotations

import pytest

from guardrails.pii_engine import get_analyzer


@pytest.fixture(scope="session")
def analyzer():
    """The cached offline analyzer (about a second to load, once)."""
    return get_analyzer()
