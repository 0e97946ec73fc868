"""Street addresses (US/UK style), which Presidio does not recognize at all.

A house number, one to four capitalized words and a street-type word
("12 Oak Street", "1600 Pennsylvania Ave NW", "221B Baker St."), or a PO box.
Numbers that are prices or counts do not match: a street-type word must follow.
"""

from __future__ import annotations

import re
from typing import ClassVar

from presidio_analyzer import Pattern, PatternRecognizer

STREET_TYPES = (
    "Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Place|Pl|"
    "Terrace|Way|Parkway|Pkwy|Highway|Hwy|Square|Sq|Crescent|Close|Circle|Cir|Trail|"
    "Grove|Gardens|Row|Mews"
)
STREET = (
    r"\b\d{1,5}[A-Za-z]?(?:-\d{1,4})?\s+(?:[NSEW]\.?\s+)?(?:[A-Z][a-zA-Z'.-]+\s+){1,4}"
    rf"(?:{STREET_TYPES})\b\.?(?:\s+(?:NE|NW|SE|SW|N|S|E|W)\b)?"
    r"(?:,?\s+(?:Apt|Apartment|Suite|Unit|Flat)\.?\s*#?\s*\w+)?"
)
PO_BOX = r"\bP\.?\s?O\.?\s+Box\s+\d{1,6}\b"


class StreetAddressRecognizer(PatternRecognizer):
    """Street addresses and PO boxes."""

    PATTERNS: ClassVar[list[Pattern]] = [
        Pattern("street address", STREET, 0.6),
        Pattern("po box", PO_BOX, 0.6),
    ]
    CONTEXT: ClassVar[list[str]] = [
        "address",
        "live",
        "lives",
        "living",
        "deliver",
        "ship",
        "home",
        "near",
    ]

    def __init__(self) -> None:
        super().__init__(
            supported_entity="STREET_ADDRESS",
            patterns=self.PATTERNS,
            context=self.CONTEXT,
            name="StreetAddressRecognizer",
            global_regex_flags=re.MULTILINE,  # case-sensitive: street words are capitalized
        )
