"""A word rule's block needs the meaning check's agreement (`guardrails.rule_confirmation`)."""

from __future__ import annotations

import pytest

from guardrails.batch_check import RenderedMessage, _parse, _readings, check_batch
from guardrails.check_message import text_findings
from guardrails.findings import Finding
from guardrails.policy import PolicyError, default_policy, load_policy
from guardrails.rule_confirmation import confirm_rule_blocks, needs_confirmation


def _finding(code: str, severity: str = "block") -> Finding:
    return Finding(code, code.split("_", 1)[-1], severity, 0, 4, "m", "text")


@pytest.mark.parametrize(
    ("code", "severity", "score", "expected"),
    [
        ("creepy_health", "block", 0.10, "warn"),  # the meaning check disagrees
        ("creepy_health", "block", 0.49, "warn"),
        ("creepy_health", "block", 0.50, "block"),  # at the limit: confirmed
        ("creepy_health", "block", 0.97, "block"),
        ("creepy_health", "block", None, "block"),  # not scored: the block stands
        ("creepy_urgency", "warn", 0.10, "warn"),  # only blocks are confirmed
        ("semantic_health", "block", 0.10, "block"),  # the meaning check's own finding
        ("pii_person", "block", 0.10, "block"),  # PII is not a word rule
        ("channel_sms_opt_out", "block", 0.10, "block"),
        ("judge_health", "block", 0.10, "block"),
    ],
)
def test_which_blocks_the_meaning_check_confirms(code, severity, score, expected):
    [out] = confirm_rule_blocks([_finding(code, severity)], score, default_policy())
    assert out.severity == expected
    assert ("warned, not blocked" in out.message) == (expected != severity)
    assert needs_confirmation(_finding(code, severity)) == (
        code.startswith("creepy_") and severity == "block"
    )


def _policy(tmp_path, extra: str):
    path = tmp_path / "policy.yaml"
    path.write_text(f"version: 1\nsemantic:\n  {extra}\n", encoding="utf-8")
    return load_policy(path)


def test_rule_confirm_zero_or_the_layer_off_lets_rules_block_alone(tmp_path):
    for extra in ("rule_confirm: 0", "enabled: false"):
        [out] = confirm_rule_blocks([_finding("creepy_health")], 0.1, _policy(tmp_path, extra))
        assert out.severity == "block"


@pytest.mark.parametrize("value", [1.5, -0.1, "high", True])
def test_a_rule_confirm_out_of_range_is_a_clear_error(tmp_path, value):
    with pytest.raises(PolicyError) as err:
        _policy(tmp_path, f"rule_confirm: {value}")
    assert "semantic.rule_confirm" in str(err.value)
    assert "from 0 to 1" in str(err.value)


INNOCENT = "Diwali sweets for your family and friends, 15% off."  # a festival, not a belief
CREEPY = "We know your depression makes mornings hard, so we moved your class."


@pytest.mark.parametrize(("text", "expected"), [(INNOCENT, "warn"), (CREEPY, "block")])
def test_the_full_path_confirms_rule_blocks_per_field(text, expected):
    """A word rule fires on both lines (checked, so the test cannot pass vacuously); the
    meaning check scores the festival greeting as clean copy, so that block only warns."""
    policy = default_policy()
    alone = [f for f in text_findings(text, policy, semantic=False) if needs_confirmation(f)]
    assert alone, "the word rule no longer fires: pick another line"
    rules = [f for f in text_findings(text, policy) if f.code.startswith("creepy_")]
    assert {f.severity for f in rules} == {expected}


def _greeting(i: int, festival: str) -> RenderedMessage:
    return RenderedMessage(
        f"m{i}",
        "t1",
        "{{ festival }} sweets for your family and friends, {{ first_name }}: 15% off.",
        {"first_name": ["Ana", "Ben", "Cleo", "Dev", "Eve"][i], "festival": festival},
        "push",
        subject_template="{{ festival }} treats",
    )


def test_batch_path_confirms_like_the_full_scan_for_values_it_read(tmp_path):
    """The batch path confirms a rule block inside a value with the score of a reading of
    the template with that value: the same verdicts as scanning every message. (The
    religion head's own findings are off here: a finding only one of three readings makes
    is softened or dropped in the batch path by design, which is not what this test is
    about.)"""
    path = tmp_path / "policy.yaml"
    path.write_text(
        "semantic:\n  categories:\n    religion: {block: 0.9, warn: 0.9, severity: 'off'}\n"
    )
    policy = load_policy(path)
    items = [_greeting(i, f) for i, f in enumerate(["Diwali", "Eid", "Diwali", "Hanukkah"])]
    batch = check_batch(items, policy, min_sample=0, sample_rate=0.0)
    full = check_batch(items, policy, full_scan=True)
    assert [v.verdict for v in batch] == [v.verdict for v in full]
    body = [f for f in batch[0].findings if f.field == "text" and f.code.startswith("creepy_")]
    assert body and {f.severity for f in body} == {"warn"}


def test_batch_path_keeps_a_block_in_a_value_nobody_read():
    """A fourth different value is not among the three readings, and one word is too short
    to be read alone: its rule block stands (no evidence is not agreement); a value that
    was read with its template is confirmed by that reading, for every user who has it."""
    festivals = ["Diwali", "Eid", "Hanukkah", "Passover", "Diwali"]
    items = [_greeting(i, f) for i, f in enumerate(festivals)]
    template = items[0].template_text
    assert _readings(template, _parse(template), items) == [i.values for i in items[:3]]
    batch = check_batch(items, min_sample=0, sample_rate=0.0)

    def body(v):
        return {f.severity for f in v.findings if f.code == "creepy_religion" and f.field == "text"}

    assert body(batch[3]) == {"block"}  # Passover: a rule hit nobody read
    assert body(batch[0]) == body(batch[4]) == {"warn"}  # Diwali: read, scored low


def test_rescan_compares_the_rule_layers_own_verdicts():
    """The sample re-scan (rules and PII, no meaning check) must not call a confirmed
    warning a disagreement and put the unconfirmed block back."""
    from guardrails.batch_check import BatchStats

    items = [_greeting(i, f) for i, f in enumerate(["Diwali", "Eid", "Diwali"])]
    stats = BatchStats()
    batch = check_batch(items, sample_rate=1.0, stats=stats)
    assert stats.full_scans == 3 and stats.disagreements == []
    full = check_batch(items, full_scan=True)
    assert [v.verdict for v in batch] == [v.verdict for v in full]
    assert [v.verdict for v in batch][::2] == ["warn", "warn"]  # Diwali: unconfirmed, warned


def test_a_text_the_layer_cannot_read_keeps_its_rule_block():
    """Dutch is not scored (a finding says so): no score, so the rule's block stands."""
    dutch = "Gelukkige Diwali voor je hele familie, met snoep en korting."
    found = text_findings(dutch, default_policy())
    assert any(f.code == "semantic_unsupported_language" for f in found)
    rules = [f for f in found if f.code.startswith("creepy_")]
    assert rules and all(f.severity == "block" for f in rules)
