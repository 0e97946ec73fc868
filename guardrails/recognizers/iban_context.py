"""IBANs, grouped in fours or not: a valid checksum scores full, a bad one needs context.

Presidio's `IbanRecognizer` missed grouped IBANs in running text. Here an
IBAN-shaped string ("DE89 3704 0044 0532 0130 00") with a valid ISO 13616
mod-97 checksum is reported at full score wherever it appears; a mistyped or
partial one scores 0.3 and is raised by banking words nearby ("IBAN",
"account", "transfer" ...), because it is still an account number that must
not be in a message.
"""

from __future__ import annotations

from typing import ClassVar

from presidio_analyzer import Pattern

from guardrails.recognizers.declared_pattern import DeclaredPatternRecognizer


def iban_ok(text: str) -> bool:
    """The ISO 13616 mod-97 check of an IBAN (spaces ignored)."""
    s = text.replace(" ", "").upper()
    if len(s) < 15 or not s.isalnum():
        return False
    moved = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in moved)) % 97 == 1


IBAN_SHAPE = r"\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){2,7}(?:[ ]?[A-Z0-9]{1,3})?\b"


class IbanContextRecognizer(DeclaredPatternRecognizer):
    """IBAN-shaped strings; low score alone, raised by banking context words."""

    ENTITY = "IBAN_CODE"
    CASE_SENSITIVE = True

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
        "billed",
        "debit",
        "linked",
        "received",
        "sent",
        "überweisung",
        "virement",
        "transferencia",
    ]

    def validate_result(self, pattern_text: str) -> bool | None:
        """Full score when the mod-97 checksum holds; otherwise keep the shape score."""
        return True if iban_ok(pattern_text) else None
