"""The batch path: check 100,000 templated messages by scanning what varies.

Messages rendered from a few templates for many users share almost all of
their text. Presidio costs about 10 ms a text, so instead of scanning every
rendered message we scan:

1. each distinct template once, with every `{{ placeholder }}` replaced by a
   neutral stand-in ("X");
2. each distinct substituted value once;

and combine per message: a finding in a template's literal text is shifted to
where that literal lands in the rendered message; a finding in a value is
shifted to every place the value was substituted; a template finding that
touches a stand-in is widened to the value it stands for. The allow-list is
applied on the rendered message, exactly as in the full scan (names inside
allow-listed values and the recipient's first name pass). Channel and offer
checks depend on the whole rendered text and are cheap, so they run per
message.

The semantic layer reads each template rendered with the values of up to
`SEMANTIC_READINGS` users whose values differ (see `_template_semantic`) and
keeps what the readings agree on: a block that most readings share stays a
block; a finding most readings make, or a block of a minority, is a warning;
a warning of a minority is dropped. So one user's value
("climbing" in "Ready for climbing again?") cannot decide every user's
verdict. Each value of at least `SEMANTIC_MIN_WORDS` words is read once on
its own (the layer's cache is keyed by sentence).
An optional `judge` (see `guardrails.judge`) is asked once per distinct
template; its findings are mapped like any template finding and can only add
to a verdict. `BatchStats.layers` names the layers that ran.

What this cannot see is a finding that only exists across a boundary
between template text and a value (e.g. "since your {{ event }}" with the
value "divorce" is caught, because "divorce" is flagged on its own, but a
name split across a literal and a value is not). Therefore a deterministic
sample (`sample_rate`, at least `min_sample` messages) is also fully scanned
by the rule and PII layers, and the full-scan verdict wins where they
disagree (counted in `BatchStats.disagreements`); the learned layers'
findings are carried over, not re-computed (embedding every sampled message
would cost more than the rest of the batch). `full_scan=True` fully scans
everything, the semantic layer included.

Placeholders are Jinja-style `{{ name }}`, the only syntax the variant gate
lets through. A value that is missing leaves the placeholder in the text,
which the template-syntax check then blocks.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from guardrails.check_message import channel_findings, check_messages, text_findings
from guardrails.findings import Finding, Verdict, quote, verdict_of
from guardrails.judge import Judge, to_findings
from guardrails.message import Message
from guardrails.pii_engine import analyze_texts
from guardrails.pii_findings import pii_findings, value_spans
from guardrails.policy import Policy, default_policy
from guardrails.rule_confirmation import confirm_limit, confirm_rule_blocks, needs_confirmation

PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_]\w*)\s*\}\}")
STAND_IN = "X"
# findings of the learned layers: the sample re-scan does not repeat them (see check_batch)
LEARNED = ("semantic_", "judge_")
# a substituted value is read by the semantic layer when it has at least this many words
SEMANTIC_MIN_WORDS = 3
# a template is read by the semantic layer with the values of this many different users
SEMANTIC_READINGS = 3


@dataclass(frozen=True)
class RenderedMessage:
    """One user's message: which template, with which values, on which channel.

    `template_text` is the body template, `subject_template` the e-mail subject
    or push title template. `values` are the per-user placeholder values (all
    allow-listed personalization). `recipient` may carry `first_name`; if not,
    `values["first_name"]` is used.
    """

    id: str
    template_id: str
    template_text: str
    values: Mapping[str, Any]
    channel: str
    subject_template: str | None = None
    recipient: Mapping[str, Any] | None = None
    incentive: Mapping[str, Any] | None = None


@dataclass
class BatchStats:
    """What the batch path did, for logs and the benchmark."""

    messages: int = 0
    templates_scanned: int = 0
    values_scanned: int = 0
    full_scans: int = 0
    disagreements: list[str] = field(default_factory=list)
    layers: list[str] = field(default_factory=list)
    judge_calls: int = 0


@dataclass(frozen=True)
class _Parsed:
    literals: tuple[str, ...]  # len(names) + 1
    names: tuple[str, ...]
    scan_text: str
    stand_in_at: tuple[int, ...]  # start of each stand-in in scan_text


def _parse(template: str) -> _Parsed:
    literals, names, pos = [], [], 0
    for m in PLACEHOLDER.finditer(template):
        literals.append(template[pos : m.start()])
        names.append(m.group(1))
        pos = m.end()
    literals.append(template[pos:])
    scan, starts = literals[0], []
    for lit in literals[1:]:
        starts.append(len(scan))
        scan += STAND_IN + lit
    return _Parsed(tuple(literals), tuple(names), scan, tuple(starts))


def _render(p: _Parsed, values: Mapping[str, Any]) -> tuple[str, list[tuple[int, str]]]:
    """The rendered text and (start, value) of each substitution."""
    out, subs, pos = [p.literals[0]], [], len(p.literals[0])
    for name, lit in zip(p.names, p.literals[1:], strict=True):
        value = values.get(name)
        value = "{{ " + name + " }}" if value is None else str(value)
        subs.append((pos, value))
        out += [value, lit]
        pos += len(value) + len(lit)
    return "".join(out), subs


def _map_template_finding(f: Finding, p: _Parsed, subs: list[tuple[int, str]]) -> Finding:
    """Move a finding from the stand-in text into the rendered text."""

    def where(offset: int, is_end: bool) -> int:
        shift = 0
        for (r_start, value), s_start in zip(subs, p.stand_in_at, strict=True):
            s_end = s_start + len(STAND_IN)
            if offset < s_start or (is_end and offset == s_start):
                break
            if offset < s_end or (is_end and offset == s_end):
                return r_start + len(value) if is_end else r_start
            shift = r_start + len(value) - s_end
        return offset + shift

    return Finding(
        f.code,
        f.category,
        f.severity,
        where(f.start, False),
        where(f.end, True),
        f.message,
        f.field,
    )


def _template_semantic(
    p: _Parsed, values: Mapping[str, Any], policy: Policy
) -> tuple[list[Finding], float | None]:
    """Semantic findings of a template, read with real values, placed on its stand-in text.

    "Hi X, it's been X days since your last X class" reads as something else
    than the copy it stands for, so the layer reads the template rendered with
    one user's values (the first name becomes the layer's stand-in), and
    each finding is moved to the same sentence of the stand-in text (or the
    whole field); the quote in its message is taken from the stand-in text, so
    no user's value appears in another user's finding. Also returns the reading's `any`
    score (see `guardrails.rule_confirmation`).
    """
    from guardrails.semantic.layer import semantic_reading
    from guardrails.semantic.units import sentence_spans

    natural, _ = _render(p, {**values, "first_name": "Alex"})
    natural_spans, scan_spans = sentence_spans(natural), sentence_spans(p.scan_text)
    if not scan_spans:
        return [], None
    whole = (scan_spans[0][0], scan_spans[-1][1])
    out = []
    found, score = semantic_reading(natural, policy, "_", first_name="Alex")
    for f in found:
        start, end = whole
        if len(natural_spans) == len(scan_spans) and (f.start, f.end) in natural_spans:
            start, end = scan_spans[natural_spans.index((f.start, f.end))]
        head = f.message.rsplit(": '", 1)[0]
        message = f"{head}: {quote(p.scan_text, start, end)}"
        out.append(Finding(f.code, f.category, f.severity, start, end, message, f.field))
    return out, score


def _readings(template: str, p: _Parsed, items: list[RenderedMessage]) -> list[Mapping[str, Any]]:
    """The values of the first `SEMANTIC_READINGS` users (in batch order) whose values for
    the template's placeholders differ (the first name is not one: the layer reads a
    stand-in name)."""
    names = [n for n in p.names if n != "first_name"]
    seen: dict[tuple, Mapping[str, Any]] = {}
    for item in items:
        if template not in (item.template_text, item.subject_template):
            continue
        seen.setdefault(tuple(str(item.values.get(n)) for n in names), item.values)
        if len(seen) == SEMANTIC_READINGS:
            break
    return list(seen.values())


def _agreed_semantic(
    p: _Parsed, readings: list[Mapping[str, Any]], policy: Policy
) -> tuple[list[Finding], list[float | None]]:
    """The semantic findings of a template over its readings: a block most readings make
    stays a block; a finding most readings make, or a block of any reading, is a warning;
    a warning only a minority of readings gives is dropped. And each reading's `any`
    score, which confirms rule blocks (None: the reading was not scored)."""
    read = [_template_semantic(p, values, policy) for values in readings]
    found = [f for f, _ in read]
    scores = [s for _, s in read]
    if len(found) == 1:
        return found[0], scores
    votes: dict[tuple[str, int, int], list[Finding]] = {}
    for reading in found:
        for f in reading:
            votes.setdefault((f.code, f.start, f.end), []).append(f)
    out = []
    for same in votes.values():
        blocks = [f for f in same if f.severity == "block"]
        if 2 * len(blocks) > len(found):
            out.append(blocks[0])
        elif blocks or 2 * len(same) > len(found):
            out.append(replace(same[0], severity="warn"))
    return out, scores


def _sampled(mid: str, rate: float) -> bool:
    digest = hashlib.blake2b(mid.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64 < rate


def to_message(item: RenderedMessage) -> Message:
    """The rendered `Message` of a batch item (for the full scan)."""
    body, _ = _render(_parse(item.template_text), item.values)
    subject = None
    if item.subject_template is not None:
        subject, _ = _render(_parse(item.subject_template), item.values)
    recipient = dict(item.recipient or {})
    if "first_name" not in recipient and item.values.get("first_name"):
        recipient["first_name"] = str(item.values["first_name"])
    values = {k: str(v) for k, v in item.values.items() if v is not None}
    incentive = dict(item.incentive) if item.incentive else None
    return Message(item.id, item.channel, body, subject, recipient, values, incentive)


def check_batch(
    items: Iterable[RenderedMessage],
    policy: Policy | None = None,
    sample_rate: float = 0.002,
    full_scan: bool = False,
    min_sample: int = 20,
    stats: BatchStats | None = None,
    model_name: str | None = None,
    judge: Judge | None = None,
) -> list[Verdict]:
    """Verdicts for templated messages, in order (see module doc)."""
    policy = policy or default_policy()
    stats = stats if stats is not None else BatchStats()
    items = list(items)
    stats.messages = len(items)
    semantic_on = policy.semantic.get("enabled", True)
    stats.layers = ["pii", "rules", *(["semantic"] if semantic_on else []), "channel"]
    stats.layers += ["judge"] if judge is not None else []
    if full_scan:
        stats.full_scans = len(items)
        verdicts = check_messages([to_message(i) for i in items], policy, model_name)
        if judge is None:
            return verdicts
        return _judged_full_scan(items, verdicts, judge, stats)

    parsed: dict[str, _Parsed] = {}
    for item in items:
        for t in (item.template_text, item.subject_template):
            if t is not None and t not in parsed:
                parsed[t] = _parse(t)
    distinct_values = sorted(
        {str(v) for i in items for v in i.values.values() if v is not None and str(v).strip()}
    )
    scan_texts = [p.scan_text for p in parsed.values()] + distinct_values
    results = analyze_texts(scan_texts, model_name)
    stats.templates_scanned, stats.values_scanned = len(parsed), len(distinct_values)
    # PII with no allow-list here: the allow-list needs the rendered message
    raw: dict[str, list[Finding]] = {}
    templates = {p.scan_text for p in parsed.values()}
    # the `any` scores that confirm rule blocks: (template, None) the best of its readings,
    # (template, value) a reading of it with that value, (value, None) a value read alone
    scores: dict[tuple[str, str | None], float | None] = {}
    if semantic_on:
        from guardrails.semantic.layer import semantic_reading  # numpy: only when on
    for text, res in zip(scan_texts, results, strict=True):
        raw[text] = pii_findings(text, res, policy, field="_") + text_findings(
            text, policy, "_", semantic=False
        )
        if semantic_on and text not in templates and len(text.split()) >= SEMANTIC_MIN_WORDS:
            learned, scores[(text, None)] = semantic_reading(text, policy, "_")
            raw[text] += learned
    template_found = {t: list(raw[p.scan_text]) for t, p in parsed.items()}
    if semantic_on:
        for t, p in parsed.items():
            readings = _readings(t, p, items)
            learned, read = _agreed_semantic(p, readings, policy)
            template_found[t] += learned
            scores[(t, None)] = max((s for s in read if s is not None), default=None)
            for values, score in zip(readings, read, strict=True):
                for _, value in _render(p, values)[1]:  # each value as it is substituted
                    if score is not None and score > (scores.get((t, value)) or -1.0):
                        scores[(t, value)] = score
    if judge is not None:
        before = getattr(judge, "calls", None)
        for t, p in parsed.items():
            template_found[t] += to_findings(p.scan_text, judge(p.scan_text), "_")
        if before is not None:
            stats.judge_calls = judge.calls - before
    value_found = {v: raw[v] for v in distinct_values}
    allow_codes = {e.code for e in policy.pii_entities.values() if e.allow_in_values}

    verdicts = []
    for item in items:
        message = to_message(item)
        found = channel_findings(message, policy)
        for name, template in (("text", item.template_text), ("head", item.subject_template)):
            if template is None:
                continue
            field_name = name if name == "text" else {"email": "subject"}.get(item.channel, "title")
            p = parsed[template]
            text, subs = _render(p, item.values)
            allowed = value_spans(text, [*message.allowed_values, message.first_name or ""])
            first = (message.first_name or "").lower()
            mapped = [_map_template_finding(f, p, subs) for f in template_found[template]]
            for start, value in subs:
                if value not in value_found:  # a missing value left "{{ name }}" in the text
                    value_found[value] = text_findings(value, policy, "_", semantic=False)
                mapped += [f.shifted(start) for f in value_found[value]]
            for f in mapped:
                span = text[f.start : f.end]
                if f.code in allow_codes and (
                    any(s <= f.start and f.end <= e for s, e in allowed) or span.lower() == first
                ):
                    continue
                if f.category not in ("pii", "template") and first and span.lower() == first:
                    continue
                found.append(Finding(**{**f.to_dict(), "field": field_name}))
        verdicts.append(Verdict.of(item.id, found, "batch"))

    sample = [i for i, item in enumerate(items) if _sampled(item.id, sample_rate)]
    if len(sample) < min(min_sample, len(items)):
        sample = sorted(set(sample) | set(range(0, len(items), max(1, len(items) // min_sample))))
        sample = sample[: max(min_sample, len(sample))]
    sampled = [to_message(items[i]) for i in sample]
    full = check_messages(sampled, policy, model_name, semantic=False)
    stats.full_scans = len(sample)
    for i, verdict in zip(sample, full, strict=True):
        learned = [f for f in verdicts[i].findings if f.code.startswith(LEARNED)]
        others = [f for f in verdicts[i].findings if not f.code.startswith(LEARNED)]
        if verdict.verdict != verdict_of(others):
            stats.disagreements.append(verdict.id)
            verdicts[i] = Verdict.of(verdict.id, [*verdict.findings, *learned], "full")
    if confirm_limit(policy):
        pairs = zip(items, verdicts, strict=True)
        verdicts = [_confirmed(item, v, parsed, scores, policy) for item, v in pairs]
    return verdicts


def _confirmed(
    item: RenderedMessage,
    verdict: Verdict,
    parsed: dict[str, _Parsed],
    scores: dict[tuple[str, str | None], float | None],
    policy: Policy,
) -> Verdict:
    """`verdict` with its rule blocks confirmed by the meaning check, as the full scan does
    per field (`guardrails.rule_confirmation`): a block inside a substituted value by the
    score of a reading of the template with that value, else by the value's own score (a
    value neither read with its template nor long enough to be read alone keeps its
    block); any other block by the best score of the template's readings. Done after the
    sample re-scan, so that both sides of its comparison are the rule layer's verdicts."""
    if not any(needs_confirmation(f) for f in verdict.findings):
        return verdict
    fields = {"text": item.template_text}
    if item.subject_template is not None:
        fields[{"email": "subject"}.get(item.channel, "title")] = item.subject_template
    subs = {name: _render(parsed[t], item.values)[1] for name, t in fields.items()}
    found = []
    for f in verdict.findings:
        template = fields.get(f.field)
        if needs_confirmation(f) and template is not None:
            inside = [v for s, v in subs[f.field] if s <= f.start and f.end <= s + len(v)]
            if inside:
                score = scores.get((template, inside[0]), scores.get((inside[0], None)))
            else:
                score = scores.get((template, None))
            f = confirm_rule_blocks([f], score, policy)[0]
        found.append(f)
    return Verdict.of(verdict.id, found, verdict.scan)


def _judged_full_scan(
    items: list[RenderedMessage], verdicts: list[Verdict], judge: Judge, stats: BatchStats
) -> list[Verdict]:
    """Full-scan verdicts plus the judge's findings, asked once per distinct body template.

    The judge reads the template (placeholders as the stand-in), and its quotes
    are placed in each rendered body; nothing is removed.
    """
    before = getattr(judge, "calls", None)
    judged: dict[str, list] = {}
    out = []
    for item, verdict in zip(items, verdicts, strict=True):
        template = item.template_text
        if template not in judged:
            judged[template] = judge(_parse(template).scan_text)
        text = to_message(item).text
        extra = to_findings(text, judged[template], "text")
        out.append(Verdict.of(verdict.id, [*verdict.findings, *extra], verdict.scan))
    if before is not None:
        stats.judge_calls = judge.calls - before
    return out
