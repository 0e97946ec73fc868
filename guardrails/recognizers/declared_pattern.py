"""The base of our pattern recognizers: a Presidio `PatternRecognizer` declared by class attributes.

A subclass names its entity (`ENTITY`), its `PATTERNS` and `CONTEXT` words,
and whether the patterns are `CASE_SENSITIVE` (Presidio's default is to match
ignoring case; a street name or an ID's letters are matched as written). Its
Presidio name is `NAME`, or the class name. A format with a checksum adds a
`validate_result` method, as in Presidio.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from presidio_analyzer import Pattern, PatternRecognizer


class DeclaredPatternRecognizer(PatternRecognizer):
    """A pattern recognizer configured by its class attributes (see the module doc)."""

    ENTITY: ClassVar[str]
    PATTERNS: ClassVar[list[Pattern]]
    CONTEXT: ClassVar[list[str]]
    NAME: ClassVar[str] = ""
    CASE_SENSITIVE: ClassVar[bool] = False

    def __init__(self) -> None:
        options: dict[str, Any] = (
            {"global_regex_flags": re.MULTILINE} if self.CASE_SENSITIVE else {}
        )
        super().__init__(
            supported_entity=self.ENTITY,
            patterns=self.PATTERNS,
            context=self.CONTEXT,
            name=self.NAME or type(self).__name__,
            **options,
        )
