"""The LLM judge in the batch: check_drafts(judge=...) adds findings, never removes, says it ran.

The judge here is a plain function (the real one needs a capable model; the
only endpoint on this machine is the embedded 135M model, on which `auto`
keeps the judge off by design, so there is no cassette of a judge reply).
Which judge a run gets is decided from the real `Settings` and `LLM` objects
(no request is made to build one).
"""

from __future__ import annotations

import pytest

from agent.drafts.check import check_drafts
from agent.drafts.llm_judge import batch_judge
from agent.errors import WinbackError
from agent.llm.client import LLM
from agent.settings import load_settings
from guardrails.batch_check import BatchStats
from guardrails.judge import JudgeFinding, TemplateJudge
from guardrails.policy import default_policy
from segments.incentives import load_incentive_catalog
from tests.agent.drafts.test_check import CLEAN, codes, rendered

CREEPY = "Since your divorce, {{ first_name }}, treat yourself. Reply STOP to opt out."


class CountingJudge:
    """A judge that flags 'misses you' and records every template it was shown."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def __call__(self, text: str) -> list[JudgeFinding]:
        self.seen.append(text)
        if "misses you" in text:
            return [JudgeFinding("shaming", "misses you", "guilt about a lapsed class")]
        return []


@pytest.mark.parametrize("full_scan", [False, True])
def test_the_judge_only_adds_findings_and_is_reported(analyzer, full_scan: bool) -> None:
    drafts = [rendered(CLEAN, user_id="a"), rendered(CLEAN, user_id="b"), rendered(CREEPY)]
    catalog, policy = load_incentive_catalog(None), default_policy()
    plain_stats, judged_stats = BatchStats(), BatchStats()
    plain = check_drafts(drafts, catalog, policy, full_scan=full_scan, stats=plain_stats)
    judge = TemplateJudge(CountingJudge(), "plain-function")
    judged = check_drafts(
        drafts, catalog, policy, full_scan=full_scan, stats=judged_stats, judge=judge
    )
    assert "judge" not in plain_stats.layers and plain_stats.judge_calls == 0
    assert judged_stats.layers[-1] == "judge" and "semantic" in judged_stats.layers
    assert judged_stats.judge_calls == 2  # two distinct templates, three drafts
    for before, after in zip(plain, judged, strict=True):
        # every finding of the other layers is still there
        assert all(f in after.findings for f in before.findings)
    assert [c.verdict for c in judged] == ["block", "block", "block"]
    assert codes(judged[0].findings) == [*codes(plain[0].findings), "judge_shaming"]
    assert "misses you" in judged[0].findings[-1]["message"]
    assert plain[2].verdict == "block"  # the rules' block on the divorce line stays
    assert codes(judged[2].findings) == codes(plain[2].findings)


def test_an_empty_judge_changes_nothing(analyzer) -> None:
    drafts = [rendered(CLEAN), rendered(CREEPY)]
    catalog, policy = load_incentive_catalog(None), default_policy()
    plain = check_drafts(drafts, catalog, policy)
    judged = check_drafts(drafts, catalog, policy, judge=lambda text: [])
    assert [(c.verdict, c.findings) for c in judged] == [(c.verdict, c.findings) for c in plain]


@pytest.mark.parametrize(
    ("flags", "runs"),
    [
        ({"provider": "local"}, False),  # auto on the embedded 135M model: off
        ({"provider": "local", "guard_judge": "on"}, True),
        ({"provider": "openai", "api_key": "sk-test-key-000"}, True),  # auto on a real model
        ({"provider": "openai", "api_key": "sk-test-key-000", "guard_judge": "off"}, False),
    ],
)
def test_batch_judge_follows_the_guard_judge_setting(tmp_path, flags, runs: bool) -> None:
    settings = load_settings({**flags, "home": str(tmp_path), "cache": False})
    with LLM(settings) as llm:
        judge = batch_judge(llm)
    assert (judge is not None) == runs
    if judge is not None:
        assert judge.cache_path == tmp_path / "judge-cache.json" and judge.calls == 0


@pytest.mark.parametrize("bad", ["yes", "ON ", "maybe"])
def test_a_bad_guard_judge_setting_names_the_setting_and_the_fix(monkeypatch, bad) -> None:
    monkeypatch.setenv("WINBACK_GUARD_JUDGE", bad)
    with pytest.raises(WinbackError) as err:
        load_settings({})
    assert "guard_judge" in err.value.message and "WINBACK_GUARD_JUDGE" in err.value.message
    assert err.value.exit_code == 2 and err.value.fix
