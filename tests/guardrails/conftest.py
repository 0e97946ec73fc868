"""Guardrail test helpers: the shared table assertion (the analyzer fixture: tests/conftest.py)."""

from __future__ import annotations

import pytest


def codes_and_spans(findings, text: str) -> list[tuple[str, str]]:
    """(code, flagged text) pairs: what the tables compare."""
    return [(f.code, text[f.start : f.end]) for f in findings]


@pytest.fixture
def assert_findings():
    """The shared table assertion: expected is a list of (code, flagged text)."""

    def check(findings, text: str, expected: list[tuple[str, str]]) -> None:
        got = codes_and_spans(findings, text)
        assert sorted(got) == sorted(expected), f"{text!r}: got {got}"

    return check
