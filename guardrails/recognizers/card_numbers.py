"""Payment card numbers of every brand, by issuer range and Luhn checksum.

Presidio's card pattern starts with 3, 4, 5 or 6, so Mastercard's 2-series
(2221-2720) was missed. Here a card is 13 to 19 digits, grouped by spaces or
dashes in any way ("3782 822463 10005" for Amex), whose prefix is an issuer
range (Visa 4; Mastercard 51-55 and 2221-2720; Amex 34, 37; Discover 6011,
644-649, 65; JCB 3528-3589; Diners 300-305, 36, 38; UnionPay 62; Maestro 50,
56-69) and whose Luhn checksum holds. Both checks together make a false
match on an order or tracking number unlikely, so the score is high.
"""

from __future__ import annotations

import re

from presidio_analyzer import LocalRecognizer, RecognizerResult

CANDIDATE = re.compile(r"(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])")


def luhn_ok(digits: str) -> bool:
    """The Luhn checksum of a digit string."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def issuer(digits: str) -> str | None:
    """The card brand whose issuer range `digits` starts in, if any."""
    two, four = int(digits[:2]), int(digits[:4])
    if digits[0] == "4":
        return "visa"
    if 51 <= two <= 55 or 2221 <= four <= 2720:
        return "mastercard"
    if two in (34, 37):
        return "amex"
    if digits.startswith("6011") or 644 <= int(digits[:3]) <= 649 or two == 65:
        return "discover"
    if 3528 <= four <= 3589:
        return "jcb"
    if 300 <= int(digits[:3]) <= 305 or two in (36, 38):
        return "diners"
    if two == 62:
        return "unionpay"
    if two == 50 or 56 <= two <= 69:
        return "maestro"
    return None


class CardNumberRecognizer(LocalRecognizer):
    """Card numbers by issuer range and Luhn (see module doc)."""

    def __init__(self) -> None:
        super().__init__(
            supported_entities=["CREDIT_CARD"], name="CardNumberRecognizer", supported_language="en"
        )

    def load(self) -> None:
        """Nothing to load."""

    def analyze(self, text: str, entities: list[str], nlp_artifacts=None) -> list[RecognizerResult]:
        """One result per grouped digit run that is a valid card number."""
        if entities and "CREDIT_CARD" not in entities:
            return []
        out = []
        for m in CANDIDATE.finditer(text):
            digits = re.sub(r"\D", "", m.group())
            if 13 <= len(digits) <= 19 and issuer(digits) and luhn_ok(digits):
                out.append(RecognizerResult("CREDIT_CARD", m.start(), m.end(), 0.9))
        return out
