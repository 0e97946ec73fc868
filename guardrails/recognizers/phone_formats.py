"""Phone numbers in the shapes marketing data actually holds.

Presidio's `PhoneRecognizer` (libphonenumbers) scores "(555) 123-4567" at
0.4 and misses dotted or spaced forms outside its region list. These patterns
catch North American and international forms with at least 10 digits.
"""

from __future__ import annotations

from typing import ClassVar

from presidio_analyzer import Pattern

from guardrails.recognizers.declared_pattern import DeclaredPatternRecognizer

NANP = r"(?<![\w-])(?:\+?1[ .-]?)?\(?[2-9]\d{2}\)?[ .-]?\d{3}[ .-]\d{4}(?![\w-])"
INTERNATIONAL = r"(?<![\w+])\+\d{1,3}(?:[ .-]?\(?\d{1,4}\)?){2,5}(?![\w-])"


class PhoneFormatsRecognizer(DeclaredPatternRecognizer):
    """NANP and +country phone numbers."""

    ENTITY = "PHONE_NUMBER"

    PATTERNS: ClassVar[list[Pattern]] = [
        Pattern("nanp phone", NANP, 0.6),
        Pattern("international phone", INTERNATIONAL, 0.5),
    ]
    CONTEXT: ClassVar[list[str]] = [
        "call",
        "phone",
        "text",
        "mobile",
        "cell",
        "number",
        "reach",
        "whatsapp",
    ]

    def validate_result(self, pattern_text: str) -> bool:
        """At least 10 digits, not all the same."""
        digits = [c for c in pattern_text if c.isdigit()]
        return len(digits) >= 10 and len(set(digits)) > 1
