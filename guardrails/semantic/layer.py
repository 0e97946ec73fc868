"""Semantic findings for one text: embed its units once, score, threshold.

`semantic_findings(text, policy, field, first_name)` is what
`guardrails.check_message.text_findings` adds to the rule findings
(`semantic_reading` also returns the field's `any` score, which confirms
the rules' blocks: `guardrails.rule_confirmation`):

1. the language is checked first (`language.py`); outside English, Spanish,
   French and German the layer reports `semantic_unsupported_language`
   (severity `semantic.unsupported_language_severity`, default warn) and
   scores nothing;
2. the field and its sentences (`units.py`) are embedded, each distinct unit
   text once per process (`_EMBEDDINGS`, keyed by backbone and text, so a
   batch of 100,000 templated messages embeds a few hundred units);
3. every head scores every unit; per head the best unit counts. At or above
   the head's `block` threshold the finding blocks, at or above `warn` it
   warns (a low-confidence hit reaches the reviewer, it does not stop the
   message). The `any` head (any category against clean copy) names the
   category whose own head scores its unit highest. The finding points at
   the best sentence when one reaches `warn` on its own, otherwise at the
   whole field, and its message names the category, the sentence and the
   score.

Thresholds live in the policy (`semantic.categories.<name>.block/warn`);
the shipped ones were set on the dev split by `scripts/train_guardrails.py`.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from guardrails.errors import GuardrailsError
from guardrails.findings import Finding, quote
from guardrails.policy import Policy
from guardrails.semantic.embedder import (
    cache_rows,
    get_embedder,
    parts_of,
    side_by_side,
    stack_rows,
)
from guardrails.semantic.heads import ANY, CategoryHeads, load_heads, shipped_heads
from guardrails.semantic.language import SUPPORTED, detect_language
from guardrails.semantic.units import MAX_UNITS, units

MAX_CACHE = 200_000
_EMBEDDINGS: dict[tuple[str, str], Any] = {}


def embed_cached(texts: list[str], backbone: str) -> Any:
    """Embeddings of `texts`, computing only those not seen before in this process.

    A combined backbone is embedded part by part; only the parts that are not
    `cheap` go through the cache (the e5 vectors and latent terms, not the
    n-grams). With a sparse part (the latent terms) the result is a CSR matrix.
    """
    blocks = []
    for part, weight in parts_of(backbone):
        embedder = get_embedder(part)
        if embedder.cheap:
            blocks.append(weight * embedder.embed(texts))
            continue
        missing = list(dict.fromkeys(t for t in texts if (part, t) not in _EMBEDDINGS))
        if missing:
            if len(_EMBEDDINGS) + len(missing) > MAX_CACHE:
                _EMBEDDINGS.clear()
            rows = cache_rows(embedder, embedder.embed(missing))
            _EMBEDDINGS.update({(part, t): r for t, r in zip(missing, rows, strict=True)})
        rows = [_EMBEDDINGS[(part, t)] for t in texts]
        blocks.append(weight * stack_rows(embedder, rows))
    return side_by_side(blocks)


def heads_for(settings: dict[str, Any]) -> CategoryHeads:
    """The heads the policy names (`semantic.weights`), else the shipped ones."""
    return load_heads(settings["weights"]) if settings.get("weights") else shipped_heads()


def backbone_for(settings: dict[str, Any], heads: CategoryHeads) -> str:
    """The heads' backbone; the policy's `semantic.backbone` must be (part of) it."""
    named = settings.get("backbone")
    if named and named != heads.backbone and named not in heads.backbone.split("+"):
        raise GuardrailsError(
            f"The semantic weights were trained on {heads.backbone!r}, "
            f"but the policy asks for the {named!r} backbone",
            f"Set `semantic: {{backbone: {heads.backbone.split('+')[0]}}}` in your guard policy, "
            "or point `semantic.weights` at heads trained with "
            f"`python scripts/train_guardrails.py --backbone {named} --write`.",
        )
    return heads.backbone


def _hit(column: np.ndarray, parts: list, limits: dict[str, Any] | None):
    """(severity, unit index, score) when a head's best unit reaches its warn threshold.

    The unit is the best sentence when one reaches `warn` on its own, else the
    whole field (unit 0).
    """
    if not limits or limits.get("severity") == "off":
        return None
    best = float(column.max())
    if best < limits["warn"]:
        return None
    at = int(column.argmax())
    if at == 0 and len(parts) > 1:
        sentence = 1 + int(column[1:].argmax())
        if column[sentence] >= limits["warn"]:
            at = sentence
    return ("block" if best >= limits["block"] else "warn"), at, best


def _describe() -> dict[str, str]:
    from guardrails.rules import RULES

    return {cls.category: cls.describe for cls in RULES}


# a bare keyword pattern of the policy (`\bstop\b`, `\bbaja\b`) is an opt-out line only
# in an opt-out instruction: "Reply STOP", "STOP to end", "BAJA al 22155", a line of its
# own; "Stop hiding under baggy T-shirts" and "Baja una talla" are copy to check
BARE_KEYWORD = re.compile(r"^\\b(\w+)\\b$")
SEND = (
    r"reply|text|txt|send|sms|responde|responda|env[ií]a|escribe|envoie|envoyez|"
    r"r[ée]pond(?:s|ez)|antworte|sende|senden|schick"
)
AFTER_KEYWORD = (
    r"to (?:end|opt|unsub|stop|cancel|quit)|al \d|au \d|an \d|para (?:no|dar|cancel)|"
    r"pour (?:ne|vous|te|arr[êe]t)|zum|senden"
)


def _in_instruction(word: str) -> str:
    return (
        rf"\b(?:{SEND})\b[^.!?]{{0,25}}\b{word}\b|\b{word}\s+(?:{AFTER_KEYWORD})"
        rf"|^\W*{word}\W*$"
    )


def opt_out_lines(policy: Policy) -> re.Pattern[str] | None:
    """One pattern for the policy's unsubscribe and opt-out wording (every channel)."""
    patterns = []
    for channel, key in (("email", "unsubscribe_patterns"), ("sms", "opt_out_patterns")):
        for p in policy.channel(channel).get(key, []):
            bare = BARE_KEYWORD.match(p)
            patterns.append(_in_instruction(bare.group(1)) if bare else p)
    if not patterns:
        return None
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)


def semantic_findings(
    text: str, policy: Policy, field: str = "text", first_name: str | None = None
) -> list[Finding]:
    """Findings of the semantic layer for one field (see module doc)."""
    return semantic_reading(text, policy, field, first_name)[0]


def semantic_reading(
    text: str, policy: Policy, field: str = "text", first_name: str | None = None
) -> tuple[list[Finding], float | None]:
    """The semantic findings of one field and its `any` score (the best unit's), or None
    when the layer scored nothing (off, an empty field, a language it does not read)."""
    settings = policy.semantic
    if not settings.get("enabled", True) or not text.strip():
        return [], None
    lang = detect_language(text)
    if lang not in SUPPORTED:
        severity = settings.get("unsupported_language_severity", "warn")
        if severity == "off":
            return [], None
        return [
            Finding(
                "semantic_unsupported_language",
                "language",
                severity,
                0,
                len(text),
                "Not English, Spanish, French or German: the meaning check did not run; "
                "a reviewer who reads the language must check it",
                field,
            )
        ], None
    parts, cut = units(text, first_name, skip=opt_out_lines(policy))
    if not parts:
        return [], None
    heads = heads_for(settings)
    backbone = backbone_for(settings, heads)
    scores = heads.scores(embed_cached([u.text for u in parts], backbone))
    limits = settings.get("categories", {})
    hits: dict[str, tuple[str, int, float]] = {}  # category -> (severity, unit, score)
    named = [k for k, c in enumerate(heads.categories) if c != ANY]
    for k in named:
        category = heads.categories[k]
        found = _hit(scores[:, k], parts, limits.get(category))
        if found:
            hits[category] = found
    any_score = None
    if ANY in heads.categories:
        a = heads.categories.index(ANY)
        any_score = float(scores[:, a].max())
        found = _hit(scores[:, a], parts, limits.get(ANY))
        if found:
            severity, at, score = found
            category = heads.categories[max(named, key=lambda k: scores[at, k])]
            old = hits.get(category)
            if old is None or (old[0] == "warn" and severity == "block"):
                hits[category] = (severity, at, max(score, old[2] if old else 0.0))
    describe = _describe()
    found_list = []
    for category, (severity, at, score) in hits.items():
        unit = parts[at]
        label = describe.get(category, category)
        found_list.append(
            Finding(
                f"semantic_{category}",
                category,
                severity,
                unit.start,
                unit.end,
                f"{label} (meaning check, score {score:.2f}): {quote(text, unit.start, unit.end)}",
                field,
            )
        )
    found = found_list
    if cut:
        found.append(
            Finding(
                "semantic_truncated",
                "language",
                "warn",
                parts[-1].end,
                len(text),
                f"Only the first {MAX_UNITS} sentences were read by the meaning check",
                field,
            )
        )
    return found, any_score
