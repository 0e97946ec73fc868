"""The full check of whole messages: every field through every check.

`check_messages` is the reference path: each field (subject/title and body)
goes through Presidio (in batches, `nlp.pipe`), the creepy-factor rules, the
template-leftover check, and the message through the channel and offer rules.
It costs about 10 ms per message; the batch path (`batch_check`) reaches the
same verdicts for templated batches without scanning every message.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

from guardrails.channel_email import check_email
from guardrails.channel_push import check_push
from guardrails.channel_sms import check_sms
from guardrails.findings import Finding, Verdict
from guardrails.message import Message
from guardrails.offer_incentive import check_incentive
from guardrails.pii_engine import analyze_texts
from guardrails.pii_findings import pii_findings
from guardrails.policy import Policy, default_policy
from guardrails.rule_confirmation import confirm_rule_blocks
from guardrails.rules import build_rules
from guardrails.rules.base import Rule
from guardrails.template_leftovers import check_template_leftovers


@cache
def rules_for(policy: Policy) -> list[Rule]:
    """The enabled rules of `policy`, built once per policy object."""
    return build_rules(policy)


def text_findings(
    text: str,
    policy: Policy,
    field: str = "text",
    first_name: str | None = None,
    semantic: bool = True,
) -> list[Finding]:
    """Creepy-factor (rules, then the semantic layer) and template-syntax findings of one
    text (no PII, no channel). With the semantic layer, a rule's block that the layer's
    score of the text does not confirm warns (`guardrails.rule_confirmation`).

    A rule match that is exactly the recipient's first name is dropped: Christian,
    Faith or Grace are names here, not beliefs. `semantic=False` leaves out the
    semantic layer (the batch path's sample re-scan compares the other layers).
    """
    name = (first_name or "").strip().lower()
    found = [
        f
        for rule in rules_for(policy)
        for f in rule.check(text, field)
        if not name or text[f.start : f.end].lower() != name
    ]
    if semantic:
        from guardrails.semantic.layer import semantic_reading  # numpy: only when checking

        learned, score = semantic_reading(text, policy, field, first_name)
        found = confirm_rule_blocks(found, score, policy) + learned
    return found + check_template_leftovers(text, policy, field)


def channel_findings(message: Message, policy: Policy) -> list[Finding]:
    """Channel and offer findings of a message (cheap, length-dependent)."""
    if message.channel == "sms":
        found = check_sms(message.text, policy)
    elif message.channel == "email":
        found = check_email(message.subject, message.text, policy)
    else:
        found = check_push(message.subject, message.text, policy)
    for name, text in message.fields():
        found += check_incentive(text, message.incentive, policy, name)
    return found


def check_messages(
    messages: Sequence[Message],
    policy: Policy | None = None,
    model_name: str | None = None,
    pii: bool = True,
    semantic: bool = True,
) -> list[Verdict]:
    """Full-scan verdicts for `messages`, in order."""
    policy = policy or default_policy()
    keys = [(i, name, text) for i, m in enumerate(messages) for name, text in m.fields()]
    results = analyze_texts([t for _, _, t in keys], model_name) if pii else [[] for _ in keys]
    found: list[list[Finding]] = [channel_findings(m, policy) for m in messages]
    for (i, name, text), res in zip(keys, results, strict=True):
        m = messages[i]
        found[i] += pii_findings(
            text, res, policy, first_name=m.first_name, allowed_values=m.allowed_values, field=name
        )
        found[i] += text_findings(text, policy, name, m.first_name, semantic)
    return [Verdict.of(m.id, f, "full") for m, f in zip(messages, found, strict=True)]


def check_message(message: Message, policy: Policy | None = None) -> Verdict:
    """Full-scan verdict for one message."""
    return check_messages([message], policy)[0]
