"""E-mail rules: subject length and an unsubscribe line.

Subjects are cut off in inboxes beyond about 50 characters on phones and are
flagged beyond `channels.email.max_subject_chars` (78, RFC 2822's line
length); past `max_subject_chars_warn` they warn. CAN-SPAM and GDPR require a
working unsubscribe: the body must contain one of `unsubscribe_patterns`
(set `unsubscribe_severity: off` if your ESP appends the footer itself).
Subject findings carry `field: "subject"` and offsets into the subject.
"""

from __future__ import annotations

from guardrails.compliance_line import missing_line
from guardrails.findings import Finding
from guardrails.policy import Policy


def check_email(subject: str | None, body: str, policy: Policy) -> list[Finding]:
    """Subject-length and unsubscribe findings."""
    cfg = policy.channel("email")
    findings: list[Finding] = []
    subject = subject or ""
    hard, soft = cfg.get("max_subject_chars", 78), cfg.get("max_subject_chars_warn", 50)
    if not subject.strip() and cfg.get("missing_subject_severity", "block") != "off":
        findings.append(
            Finding(
                "email_missing_subject",
                "channel",
                cfg.get("missing_subject_severity", "block"),
                0,
                0,
                "E-mail has no subject line",
                "subject",
            )
        )
    elif len(subject) > soft:
        severity = cfg.get("subject_severity", "block") if len(subject) > hard else "warn"
        limit = hard if len(subject) > hard else soft
        findings.append(
            Finding(
                "email_subject_too_long",
                "channel",
                severity,
                limit,
                len(subject),
                f"Subject is {len(subject)} characters; keep it under {limit} so it is not cut off",
                "subject",
            )
        )
    findings += missing_line(
        body,
        cfg,
        "unsubscribe",
        r"unsubscribe",
        "email_missing_unsubscribe",
        "E-mail has no unsubscribe line; add e.g. 'Unsubscribe anytime'",
    )
    return findings
