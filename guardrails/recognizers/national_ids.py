"""National identifiers outside the US, by shape and check digit.

- UK National Insurance number: two letters, six digits in pairs, A-D
  ("QQ 12 34 56 C"); the shape alone is distinctive enough.
- Spanish DNI (8 digits and a letter) and NIE (X/Y/Z, 7 digits, a letter):
  the letter is a checksum (`TRWAGMYFPDXBNJZSQVHLCKE`[n % 23]) and must match.
- French NIR (numéro de sécurité sociale, 13 digits and a 2-digit key,
  usually spaced "1 85 05 78 006 084 36"): the key is 97 - n % 97. A wrong
  key still matches when "sécurité sociale", "NIR" or "social security" is
  near (a typo is still an ID), through the context boost.

German tax IDs (11 digits, no usable shape alone) are found with their
keyword in `keyword_number.py`.
"""

from __future__ import annotations

import re
from typing import ClassVar

from presidio_analyzer import Pattern

from guardrails.recognizers.declared_pattern import DeclaredPatternRecognizer

DNI_LETTERS = "TRWAGMYFPDXBNJZSQVHLCKE"


def dni_ok(text: str) -> bool:
    """True when a DNI/NIE's control letter matches its number."""
    s = re.sub(r"[\s-]", "", text).upper()
    s = {"X": "0", "Y": "1", "Z": "2"}.get(s[0], s[0]) + s[1:]
    return s[:-1].isdigit() and DNI_LETTERS[int(s[:-1]) % 23] == s[-1]


def nir_ok(text: str) -> bool:
    """True when a NIR's two-digit key matches (Corsica 2A/2B counted as 19/18)."""
    s = re.sub(r"\s", "", text).upper().replace("2A", "19").replace("2B", "18")
    return len(s) == 15 and s.isdigit() and 97 - int(s[:13]) % 97 == int(s[13:])


class UkNinoRecognizer(DeclaredPatternRecognizer):
    """UK National Insurance numbers."""

    ENTITY = "NATIONAL_ID"
    NAME = "UkNinoShapeRecognizer"
    CASE_SENSITIVE = True
    CONTEXT: ClassVar[list[str]] = ["national insurance", "ni number", "nino"]

    PATTERNS: ClassVar[list[Pattern]] = [
        Pattern("uk nino", r"\b[A-Z]{2} ?\d{2} ?\d{2} ?\d{2} ?[A-D]\b", 0.7)
    ]


class SpanishIdRecognizer(DeclaredPatternRecognizer):
    """Spanish DNI and NIE with a valid control letter."""

    ENTITY = "NATIONAL_ID"
    CASE_SENSITIVE = True
    CONTEXT: ClassVar[list[str]] = ["dni", "nie", "nif", "documento"]

    PATTERNS: ClassVar[list[Pattern]] = [
        Pattern("es dni", r"\b\d{8}-?[A-Z]\b", 0.5),
        Pattern("es nie", r"\b[XYZ]-?\d{7}-?[A-Z]\b", 0.5),
    ]

    def validate_result(self, pattern_text: str) -> bool:
        """The control letter must match."""
        return dni_ok(pattern_text)


class FrenchNirRecognizer(DeclaredPatternRecognizer):
    """French social-security numbers (NIR); a valid key scores full."""

    ENTITY = "NATIONAL_ID"
    CASE_SENSITIVE = True
    # single words: Presidio's context check compares one token at a time, so
    # "sécurité sociale" as a phrase never matched
    CONTEXT: ClassVar[list[str]] = [
        "sécurité",
        "securite",
        "sociale",
        "sécu",
        "secu",
        "nir",
        "social",
        "security",
        "insee",
        "vitale",
    ]

    PATTERNS: ClassVar[list[Pattern]] = [
        Pattern(
            "fr nir",
            r"\b[12] ?\d{2} ?(?:0[1-9]|1[0-2]|[2-9]\d) ?(?:\d{2}|2[AB]) ?\d{3} ?\d{3} ?\d{2}\b",
            0.45,
        )
    ]

    def validate_result(self, pattern_text: str) -> bool | None:
        """Full score with a valid key; otherwise keep the shape score (context may raise it)."""
        return True if nir_ok(pattern_text) else None
