"""The LLM-judge interface: reply parsing, per-template caching, only-adds, layers shown.

No model is involved here: the judge is an interface, and these tests check
the guardrails' side of it with a plain function as the judge (what a
`Judge` is). The model-backed judge is `agent/drafts/llm_judge.py`; no
cassette exists for it because the only endpoint on these machines is the
embedded 135M model, on which the judge is off by design.
"""

from __future__ import annotations

import pytest

from guardrails.batch_check import BatchStats, RenderedMessage, check_batch
from guardrails.errors import GuardrailsError
from guardrails.findings import Finding, Verdict
from guardrails.judge import (
    JudgeFinding,
    JudgeReplyError,
    TemplateJudge,
    add_judge_findings,
    judge_enabled,
    parse_judge_reply,
    to_findings,
)


def test_parse_reply():
    item = '{"category": "health", "quote": "your knee", "reason": "health"}'
    reply = '```json\n{"findings": [' + item + "]}\n```"
    assert parse_judge_reply(reply) == [JudgeFinding("health", "your knee", "health")]
    assert parse_judge_reply('{"findings": []}') == []


@pytest.mark.parametrize(
    "reply", ["not json", "[]", '{"verdict": "ok"}', '{"findings": [{"category": 3}]}']
)
def test_malformed_reply_is_an_error(reply):
    with pytest.raises(JudgeReplyError):
        parse_judge_reply(reply)


def test_quote_located_or_whole_text_and_unknown_category():
    text = "Hi X, how is your knee since the fall?"
    a, b = to_findings(
        text,
        [
            JudgeFinding("health", "your KNEE", "implies an injury"),
            JudgeFinding("vibes", "zzz", "odd"),
        ],
    )
    assert text[a.start : a.end] == "your knee" and a.severity == "block"
    assert (b.code, b.start, b.end) == ("judge_other", 0, len(text))


def test_judge_only_adds_findings():
    blocked = Verdict.of("m1", [Finding("creepy_health", "health", "block", 0, 4, "x")])
    assert add_judge_findings(blocked, []).verdict == "block"
    passed = Verdict.of("m2", [])
    extra = to_findings("Between jobs?", [JudgeFinding("financial", "Between jobs", "job loss")])
    assert add_judge_findings(passed, extra).verdict == "block"


def test_modes():
    assert judge_enabled("auto", embedded=False) and not judge_enabled("auto", embedded=True)
    assert judge_enabled("on", embedded=True) and not judge_enabled("off", embedded=False)
    with pytest.raises(GuardrailsError):
        judge_enabled("sometimes", embedded=False)


def test_batch_asks_once_per_template_and_caches_on_disk(tmp_path, analyzer):
    asked: list[str] = []

    def judge(text: str) -> list[JudgeFinding]:
        asked.append(text)
        if "between jobs" in text.lower():
            return [JudgeFinding("financial", "Between jobs", "presumes job loss")]
        return []

    items = [
        RenderedMessage(
            f"u{i}",
            "t1" if i % 2 else "t2",
            "Between jobs, {{ first_name }}? Keep training. Reply STOP to opt out"
            if i % 2
            else "Spin is back, {{ first_name }}. Reply STOP to opt out",
            {"first_name": name},
            "sms",
        )
        for i, name in enumerate(["Ava", "Ben", "Cleo", "Dan", "Eve", "Finn"])
    ]
    cache = tmp_path / "judge.json"
    stats = BatchStats()
    verdicts = check_batch(items, judge=TemplateJudge(judge, "test", cache), stats=stats)
    assert len(asked) == 2 and stats.judge_calls == 2 and "judge" in stats.layers
    judged = {v.id for v in verdicts if any(f.code == "judge_financial" for f in v.findings)}
    assert judged == {"u1", "u3", "u5"}
    for v in verdicts:
        for f in v.findings:
            if f.code == "judge_financial":
                assert (f.start, f.end) == (0, len("Between jobs"))
    again = TemplateJudge(judge, "test", cache)
    check_batch(items, judge=again)
    assert len(asked) == 2 and again.calls == 0  # answered from the file
