"""E-mail addresses, validated against tldextract's bundled suffix list.

Presidio's `EmailRecognizer.validate_result` calls the module-level
`tldextract.extract`, whose default extractor tries to download the public
suffix list and, offline, logs a traceback before falling back to its bundled
snapshot. This subclass uses an extractor built with `suffix_list_urls=()` and
no disk cache: it reads the snapshot shipped inside the tldextract wheel and
never touches the network.
"""

from __future__ import annotations

from functools import cache

import tldextract
from presidio_analyzer.predefined_recognizers import EmailRecognizer


@cache
def offline_extractor() -> tldextract.TLDExtract:
    """A tldextract extractor that only uses the bundled suffix-list snapshot."""
    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None, fallback_to_snapshot=True)


class OfflineEmailRecognizer(EmailRecognizer):
    """Presidio's e-mail recognizer without the suffix-list download."""

    def __init__(self) -> None:
        super().__init__(name="OfflineEmailRecognizer")

    def validate_result(self, pattern_text: str) -> bool:
        """True when the domain has a known public suffix (offline)."""
        return offline_extractor()(pattern_text).fqdn != ""
