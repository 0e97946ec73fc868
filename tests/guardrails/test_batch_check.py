"""The batch path agrees with the full scan on a mixed batch.

The equivalence tests run the rule and PII layers (`RULES_ONLY`): the semantic
layer reads a template's stand-in text in the batch path and the rendered
text in a full scan, so its scores differ by design; its batch behaviour has
its own test at the end.
"""

from __future__ import annotations

import itertools

import pytest

from guardrails.batch_check import (
    BatchStats,
    RenderedMessage,
    _agreed_semantic,
    _parse,
    _readings,
    check_batch,
)
from guardrails.findings import Finding
from guardrails.policy import default_policy, policy_from_data

RULES_ONLY = policy_from_data(
    {**default_policy().raw, "semantic": {**default_policy().semantic, "enabled": False}}, "test"
)

TEMPLATES = {
    ("sms", "t1"): (
        None,
        "Hi {{ first_name }}, it's been {{ days }} days since your last "
        "{{ favorite_class }} class. Reply STOP to opt out",
    ),
    ("sms", "t2"): (
        None,
        "{{ first_name }}, since your {{ event }}, you deserve {{ incentive }} "
        "off. Reply STOP to opt out",
    ),
    ("email", "t3"): (
        "We miss you, {{ first_name }}",
        "Your {{ favorite_class }} is back. Questions? {{ contact }}. Unsubscribe here.",
    ),
    ("push", "t4"): ("{{ first_name }}, your streak", "Only 2 spots left in {{ favorite_class }}!"),
    ("push", "t5"): (
        "Back to {{ favorite_class }}?",
        "{{ incentive }} off your next month, {{ first_name }}. Hi {{ missing }}",
    ),
}
USERS = [
    {
        "first_name": "Paris",
        "days": "10",
        "favorite_class": "yoga",
        "event": "birthday",
        "incentive": "20%",
        "contact": "Reply to this e-mail",
    },
    {
        "first_name": "Christian",
        "days": "12",
        "favorite_class": "Spin with Anna Smith",
        "event": "divorce",
        "incentive": "40%",
        "contact": "Call 415-555-0134",
    },
    {
        "first_name": "Georgia",
        "days": "3",
        "favorite_class": "diabetes-friendly HIIT",
        "event": "promotion",
        "incentive": "15%",
        "contact": "Write to coach.sam@example.com",
    },
    {
        "first_name": "Jo",
        "days": "30",
        "favorite_class": "{{ class }}",
        "event": "move",
        "incentive": "10%",
        "contact": "See the app",
    },
]


def items() -> list[RenderedMessage]:
    out = []
    for n, ((channel, tid), (head, body)), user in itertools.product(
        range(2), TEMPLATES.items(), USERS
    ):
        out.append(
            RenderedMessage(
                id=f"{n}-{tid}-{user['first_name']}",
                template_id=tid,
                template_text=body,
                values=user,
                channel=channel,
                subject_template=head,
                incentive={"value": int(user["incentive"][:-1]), "cap": 30, "unit": "percent"},
            )
        )
    return out


def key(verdict):
    return verdict.id, verdict.verdict, sorted({(f.field, f.code) for f in verdict.findings})


def test_batch_path_agrees_with_full_scan_on_a_mixed_batch(analyzer):
    batch = items()
    stats = BatchStats()
    fast = check_batch(batch, RULES_ONLY, sample_rate=0, min_sample=0, stats=stats)
    full = check_batch(batch, RULES_ONLY, full_scan=True)
    assert [key(v) for v in fast] == [key(v) for v in full]
    assert {v.verdict for v in fast} == {"pass", "block"}
    assert stats.templates_scanned == 8  # 5 bodies + 3 subject/title templates
    assert all(v.scan == "batch" for v in fast)


def test_spans_map_into_the_rendered_text(analyzer):
    batch = items()
    for fast, full in zip(
        check_batch(batch, RULES_ONLY, sample_rate=0, min_sample=0),
        check_batch(batch, RULES_ONLY, full_scan=True),
        strict=True,
    ):
        fast_spans = {(f.field, f.code, f.start, f.end) for f in fast.findings}
        full_spans = {(f.field, f.code, f.start, f.end) for f in full.findings}
        assert fast_spans == full_spans, fast.id


def test_sample_is_fully_scanned_and_wins(analyzer):
    stats = BatchStats()
    verdicts = check_batch(items(), RULES_ONLY, sample_rate=0.5, min_sample=5, stats=stats)
    assert stats.full_scans >= 5
    assert sum(v.scan == "full" for v in verdicts) == stats.full_scans or stats.disagreements == []


def test_semantic_findings_reach_every_message_and_survive_the_sample(analyzer):
    body = "Still limping after the surgery, {{ first_name }}? Book a slot. Reply STOP to opt out"
    batch = [
        RenderedMessage(f"u{i}", "t", body, {"first_name": name}, "sms")
        for i, name in enumerate(["Ava", "Ben", "Cleo", "Dan", "Eve", "Finn", "Gus", "Hana"])
    ]
    stats = BatchStats()
    verdicts = check_batch(batch, sample_rate=0.5, min_sample=4, stats=stats)
    assert "semantic" in stats.layers and stats.full_scans >= 4
    for item, v in zip(batch, verdicts, strict=True):
        text = body.replace("{{ first_name }}", item.values["first_name"])
        semantic = [f for f in v.findings if f.code.startswith("semantic_")]
        assert semantic, v.id
        assert any("surgery" in text[f.start : f.end] for f in semantic), v.id


def test_a_template_is_read_with_several_users_values():
    body = "Back to {{ favorite_class }} with {{ coach }}, {{ first_name }}?"
    batch = [
        RenderedMessage(f"u{i}", "t", body, {"favorite_class": c, "coach": k, "first_name": n},
                        "push")
        for i, (c, k, n) in enumerate([("yoga", "Ivy", "Ava"), ("yoga", "Ivy", "Ben"),
                                       ("spin", "Ivy", "Cy"), ("yoga", "Raj", "Di"),
                                       ("hiit", "Oz", "Ed")])
    ]  # fmt: skip
    readings = _readings(body, _parse(body), batch)
    # the first name is not a difference (the layer reads a stand-in); the fourth differs too late
    assert [r["first_name"] for r in readings] == ["Ava", "Cy", "Di"]
    assert _readings(body, _parse(body), batch[:2]) == [batch[0].values]


@pytest.mark.parametrize(
    ("severities", "expected"),
    [
        (["block"], "block"),  # one reading: its verdict
        (["block", "block", None], "block"),  # most readings block
        (["block", None, None], "warn"),  # one user's value does not decide for all
        (["block", "warn", "warn"], "warn"),
        (["warn", "warn", None], "warn"),
        (["warn", None, None], None),  # a weak finding of one reading only is dropped
        (["block", "block"], "block"),
        (["block", None], "warn"),
    ],
)
def test_readings_vote_on_a_block(monkeypatch, severities, expected):
    """The vote itself (each reading's findings given): the layer is exercised above."""
    import guardrails.batch_check as batch_check

    def reading(p, values, policy):
        severity = severities[values["i"]]
        score = {None: 0.1, "warn": 0.7, "block": 0.95}[severity] - values["i"] / 100
        return ([] if severity is None else [Finding("semantic_shaming", "shaming", severity,
                                                      0, 4, "m", "_")]), score  # fmt: skip

    monkeypatch.setattr(batch_check, "_template_semantic", reading)
    found, scores = _agreed_semantic(_parse("x"), [{"i": i} for i in range(len(severities))], None)
    assert [f.severity for f in found] == ([expected] if expected else [])
    # each reading's score comes back, in order, to confirm rule blocks
    assert scores == [{None: 0.1, "warn": 0.7, "block": 0.95}[s] - i / 100
                      for i, s in enumerate(severities)]  # fmt: skip


def test_an_obvious_template_is_blocked_whatever_the_values(analyzer):
    body = (
        "Since your {{ favorite_class }} sessions stopped, we figured the new diagnosis "
        "must be taking up your evenings, {{ first_name }}."
    )
    batch = [RenderedMessage(f"u{i}", "t", body, {"favorite_class": c, "first_name": "Ana"}, "push")
             for i, c in enumerate(["yoga", "spin", "pilates"])]  # fmt: skip
    for verdict in check_batch(batch):
        assert verdict.verdict == "block"
        assert any(f.code == "semantic_health" and f.severity == "block" for f in verdict.findings)
