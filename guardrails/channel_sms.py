"""SMS rules: encoding, length, segment count, opt-out instruction.

An SMS is GSM-7 encoded when every character is in the GSM 03.38 alphabet
(the extension characters `^{}[]~|€\\` count twice), else UCS-2, where each
UTF-16 code unit counts (an emoji is two). A single message holds 160 GSM-7
or 70 UCS-2 units; a concatenated one 153 or 67 per part, because each part
carries a header. One emoji turns a 100-character text into two parts.

Policy (`channels.sms`): `max_segments` (more blocks), `multi_segment_severity`
(for 2..max parts), `opt_out_severity` when none of `opt_out_patterns` matches.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from guardrails.compliance_line import missing_line
from guardrails.findings import Finding
from guardrails.policy import Policy

GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENDED = set("^{}\\[~]|€\f")


@dataclass(frozen=True)
class SmsSize:
    """Encoding, length in that encoding's units, and the number of parts."""

    encoding: str  # "GSM-7" | "UCS-2"
    units: int
    segments: int
    single_limit: int
    part_limit: int


def sms_size(text: str) -> SmsSize:
    """How `text` is sent as SMS (see module doc)."""
    if all(c in GSM7_BASIC or c in GSM7_EXTENDED for c in text):
        units = len(text) + sum(c in GSM7_EXTENDED for c in text)
        single, part, encoding = 160, 153, "GSM-7"
    else:
        units = len(text.encode("utf-16-le")) // 2
        single, part, encoding = 70, 67, "UCS-2"
    segments = 1 if units <= single else math.ceil(units / part)
    return SmsSize(encoding, units, segments, single, part)


def _first_non_gsm(text: str) -> int | None:
    for i, c in enumerate(text):
        if c not in GSM7_BASIC and c not in GSM7_EXTENDED:
            return i
    return None


def check_sms(text: str, policy: Policy) -> list[Finding]:
    """Length, segments and opt-out findings for an SMS body."""
    cfg = policy.channel("sms")
    findings: list[Finding] = []
    size = sms_size(text)
    why = ""
    if size.encoding == "UCS-2":
        pos = _first_non_gsm(text)
        why = f" (UCS-2 because of {text[pos]!r} at {pos}; 70 per message, 67 per part)"
    if size.segments > 1:
        too_many = size.segments > cfg.get("max_segments", 2)
        severity = cfg.get("segments_severity", "block") if too_many else None
        severity = severity or cfg.get("multi_segment_severity", "warn")
        if severity != "off":
            limit = cfg.get("max_segments", 2)
            findings.append(
                Finding(
                    "sms_too_long" if too_many else "sms_multi_segment",
                    "channel",
                    severity,
                    min(size.single_limit, len(text)),
                    len(text),
                    f"SMS is {size.units} {size.encoding} characters = {size.segments} parts"
                    f"{why}; "
                    + (f"the policy allows at most {limit}" if too_many else "each part is billed"),
                )
            )
    findings += missing_line(
        text,
        cfg,
        "opt_out",
        r"\bstop\b",
        "sms_missing_opt_out",
        "SMS has no opt-out instruction; add e.g. 'Reply STOP to opt out'",
    )
    return findings
