"""The compliance line a channel requires: an e-mail's unsubscribe line, an SMS's opt-out.

The policy's channel section names, per line, the patterns that count
(`<kind>_patterns`, regular expressions matched case-insensitively) and the
severity of a message without any of them (`<kind>_severity`; `off` turns the
check off). The finding marks the end of the text, where the line belongs.
"""

from __future__ import annotations

import re
from typing import Any

from guardrails.findings import Finding


def missing_line(
    text: str, cfg: dict[str, Any], kind: str, default_pattern: str, code: str, message: str
) -> list[Finding]:
    """One `code` finding when `text` matches none of the `kind` patterns, else none."""
    severity = cfg.get(f"{kind}_severity", "block")
    patterns = cfg.get(f"{kind}_patterns", [default_pattern])
    if severity == "off" or any(re.search(p, text, re.IGNORECASE) for p in patterns):
        return []
    return [Finding(code, "channel", severity, len(text), len(text), message)]
