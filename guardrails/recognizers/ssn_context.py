"""US Social Security numbers, including the ones Presidio deliberately skips.

Presidio's `UsSsnRecognizer` drops well-known sample numbers (078-05-1120,
123-45-6789) and every number with a 000/666/9xx area. In marketing copy any
SSN-shaped number is a leak or a test artefact that must not ship, so this
recognizer flags the dashed or spaced 3-2-4 shape, scored up by context.
"""

from __future__ import annotations

from typing import ClassVar

from presidio_analyzer import Pattern

from guardrails.recognizers.declared_pattern import DeclaredPatternRecognizer


class SsnShapeRecognizer(DeclaredPatternRecognizer):
    """Any 3-2-4 digit group with dashes or spaces ("078-05-1120")."""

    ENTITY = "US_SSN"

    PATTERNS: ClassVar[list[Pattern]] = [
        Pattern("ssn shape", r"(?<![\d-])\d{3}([- ])\d{2}\1\d{4}(?![\d-])", 0.5)
    ]
    CONTEXT: ClassVar[list[str]] = ["ssn", "social", "security", "ss#", "taxpayer"]
