"""IBAN-shaped account numbers near banking words, checksum or not.

Presidio's `IbanRecognizer` accepts only IBANs with a valid mod-97 checksum.
A mistyped or partial IBAN next to "IBAN", "account" or "bank" is still an
account number that must not be in a message.
"""

from __future__ import annotations

import re
from typing import ClassVar

from presidio_analyzer import Pattern, PatternRecognizer

IBAN_SHAPE = r"\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){2,7}(?:[ ]?[A-Z0-9]{1,3})?\b"


class IbanContextRecognizer(PatternRecognizer):
    """IBAN-shaped strings; low score alone, raised by banking context words."""

    PATTERNS: ClassVar[list[Pattern]] = [Pattern("iban shape", IBAN_SHAPE, 0.3)]
    CONTEXT: ClassVar[list[str]] = [
        "iban",
        "account",
        "bank",
        "transfer",
        "sepa",
        "bic",
        "swift",
        "refund",
    ]

    def __init__(self) -> None:
        super().__init__(
            supported_entity="IBAN_CODE",
            patterns=self.PATTERNS,
            context=self.CONTEXT,
            name="IbanContextRecognizer",
            global_regex_flags=re.MULTILINE,  # case-sensitive
        )
