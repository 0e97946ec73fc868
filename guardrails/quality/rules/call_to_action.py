"""Exactly one clear call to action.

A call to action is a sentence that starts (after an optional
`{{ first_name }},` and a softener like "why not") with one of the policy's
action verbs, or an invitation question ("Ready for a restart?"). The e-mail's
`call_to_action` field must be one (a short button label); compliance lines
("Reply STOP to opt out") are not calls to action. Too many competing asks
and none at all are both findings; the maximum is per channel.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from guardrails.quality.copy_text import CopyText, QualityContext
from guardrails.quality.rules import Hit

LEAD = re.compile(
    r"^[\s\"'(]*(?:(?:hi|hello|hey)\s+)?(?:\{\{\s*first_name\s*\}\}\s*[,!:-]?\s*)?",
    re.IGNORECASE,
)
# where a call to action counts: a preheader's "Pick up where you left off" is a teaser
ASKING_FIELDS = {"email": ("body",), "sms": ("text",), "push": ("title", "body")}
COMPLIANCE = re.compile(r"\b(reply stop|unsubscribe|opt[- ]?out)\b", re.IGNORECASE)


def is_call(sentence: str, params: Mapping[str, Any]) -> bool:
    """Whether this sentence asks the reader to act."""
    if COMPLIANCE.search(sentence):
        return False
    rest = LEAD.sub("", sentence).lower().replace("’", "'")
    for soft in params.get("softeners", ()):
        if rest.startswith(soft + " "):
            rest = rest[len(soft) + 1 :]
            break
    first = re.match(r"[a-z']+", rest)
    if not first:
        return False
    if first.group(0) in set(params.get("verbs", ())):
        return True
    return sentence.rstrip().endswith("?") and any(
        rest.startswith(q) for q in params.get("invitations", ())
    )


def find(copy: CopyText, ctx: QualityContext, params: Mapping[str, Any]) -> list[Hit]:
    """A hit when the copy asks for no action, or for more than the channel allows."""
    hits: list[Hit] = []
    asking = ASKING_FIELDS[copy.channel]
    calls = [(f, s, at) for f, s, at in copy.sentences() if f in asking and is_call(s, params)]
    if copy.channel == "email":
        label = (copy.fields.get("call_to_action") or "").strip()
        words = len(label.split())
        if not label or not is_call(label, params) or words > int(params.get("button_words", 6)):
            hits.append(
                Hit(
                    "call_to_action",
                    0,
                    len(label),
                    f"The button {label!r} is not a short, clear action (e.g. 'Book a class').",
                )
            )
        else:
            calls.insert(0, ("call_to_action", label, 0))
    most = int(params.get("max", {}).get(copy.channel, 1))
    if not calls and not hits:
        field, text = copy.main
        hits.append(
            Hit(
                field,
                0,
                len(text),
                "The copy never asks the reader to do anything; "
                "end with one clear action (e.g. 'Book a class').",
            )
        )
    elif len(calls) > most:
        for field, sentence, at in calls[most:]:
            hits.append(
                Hit(
                    field,
                    at,
                    at + len(sentence),
                    f"{len(calls)} calls to action "
                    f"compete; keep one ({most} at most on {copy.channel}).",
                )
            )
    return hits
