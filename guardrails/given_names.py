"""Given names: what another person's full name starts with ("Sarah Connor", not "Semana Santa").

spaCy's English tagger reads any run of capitalized words as a person, in
Spanish and French copy most of all ("Hot Sale", "Carrera Séptima", "Soirée
Halloween", "Melton Mowbray"). A full name in marketing copy opens with a
given name; `given_names.txt` holds 17,000 of them from 50 locales
(`scripts/build_given_names.py`), so a run of capitalized words that opens
with none of them is a product, an event or a place.
"""

from __future__ import annotations

import functools
from pathlib import Path

NAMES = Path(__file__).with_name("given_names.txt")


@functools.cache
def _names() -> frozenset[str]:
    lines = NAMES.read_text(encoding="utf-8").splitlines()
    return frozenset(line for line in lines if line and not line.startswith("#"))


def is_given_name(word: str) -> bool:
    """True for a given name in any case ("Sarah", "SARAH"); a compound counts by its first
    part ("Marie-Ève", "Jean-Pierre")."""
    word = word.strip(".'’").casefold()
    return bool(word) and (word in _names() or word.split("-")[0] in _names())
