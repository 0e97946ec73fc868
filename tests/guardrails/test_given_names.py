"""The given-name list a full name of another person must open with."""

from __future__ import annotations

import pytest

from guardrails.given_names import NAMES, is_given_name


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("Sarah", True),
        ("SARAH", True),
        ("sarah.", True),
        ("Marie-Ève", True),  # a compound counts by its first part
        ("Jean-Pierre", True),
        ("Sofía", True),
        ("Jürgen", True),
        ("Yuki", True),  # romanized Japanese
        ("Siobhan", True),
        ("Kwame", True),
        ("", False),
        ("Hot", False),
        ("Semana", False),
        ("Carrera", False),
        ("Healthy", False),
        ("Soirée", False),
        ("Melton", False),  # Faker's old-census `en` list is left out
        ("Dock", False),
    ],
)
def test_is_given_name(word, expected):
    assert is_given_name(word) is expected


def test_file_is_sorted_casefolded_and_unique():
    lines = [x for x in NAMES.read_text(encoding="utf-8").splitlines() if not x.startswith("#")]
    assert lines == sorted(set(lines)), "given_names.txt: run scripts/build_given_names.py"
    assert all(x == x.casefold() and x.strip() == x and x for x in lines)
    assert len(lines) > 15_000
