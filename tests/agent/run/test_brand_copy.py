"""The brand's own copy in the variant stage: few-shot examples, its words, bad `examples:`."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from agent.campaign import Campaign, load_campaign
from agent.cli import app
from agent.demo.cohort import make_fitness_cohort
from agent.errors import WinbackError
from agent.run.brand_copy import (
    baseline_fields,
    brand_world,
    check_examples,
    examples_for,
    quality_gate,
)
from guardrails.policy import default_policy
from guardrails.quality import stem

runner = CliRunner()
PUSH = {
    "channel": "push",
    "title": "Your mat misses you",
    "body": "{{ first_name }}, roll it out today.",
}


def test_examples_put_the_campaigns_own_first_then_the_baseline_for_the_tier():
    campaign = Campaign(name="t", examples=[PUSH])
    baseline = baseline_fields(campaign)
    plain = examples_for(campaign, "push", "none", baseline)
    offer = examples_for(campaign, "push", "high", baseline)
    assert plain[0] == {"title": PUSH["title"], "body": PUSH["body"]}
    assert plain[1] == baseline["push"] and offer[1] == baseline["push_with_incentive"]
    sms = examples_for(campaign, "sms", "none", baseline)[0]["text"]
    assert "Reply STOP" in baseline["sms"]["text"] and "STOP" not in sms  # the run appends it
    assert sms and baseline["sms"]["text"].startswith(sms)


def test_brand_world_is_the_listed_words_and_the_brands_own_copy():
    campaign = Campaign(name="t", brand_words=["Pilates"], examples=[PUSH])
    words = brand_world(campaign, baseline_fields(campaign))
    assert {stem("pilates"), stem("roll"), stem("workout"), stem("classes")} <= words
    assert stem("class") == stem("classes") and stem("workouts") == stem("workout")
    assert stem("you") not in words and stem("offer") not in words  # generic words are not


def test_quality_gate_judges_with_the_campaigns_words():
    campaign = Campaign(name="t", brand_words=["pilates"])
    judge = quality_gate(campaign, {})
    good = {"title": "Your mat misses you", "body": "Book a pilates class today."}
    off = {"title": "Act now please", "body": "Your work is being offered to you, act now."}
    ranked = dict(judge("push", [off, good], []))
    assert ranked[1].verdict == "pass" and ranked[0].verdict == "block"
    assert "brand_world" in ranked[0].codes


@pytest.mark.parametrize(
    ("example", "message"),
    [
        ({**PUSH, "body": "Hi {{ email }}, come back."}, "examples[0] (push), field body"),
        ({**PUSH, "body": "{{ user.first_name }}, come back."}, "examples[0] (push), field body"),
        (
            {**PUSH, "body": "Since your knee injury, we miss you at class."},
            "blocked by the guardrails",
        ),
    ],
)
def test_bad_example_is_named(example, message):
    campaign = Campaign(name="t", examples=[example])
    with pytest.raises(WinbackError) as exc:
        check_examples(campaign, default_policy())
    assert message in str(exc.value) and exc.value.exit_code == 2


@pytest.mark.parametrize(
    ("examples_yaml", "message"),
    [
        ("  - {}\n", "examples.0.channel"),
        ("  - ''\n", "examples.0"),
        ("  - {channel: push, title: '', body: 'Book a class.'}\n", "non-empty title"),
        (
            "  - {channel: push, subject: Hi, title: Hi, body: 'Book a class.'}\n",
            "no field subject",
        ),
        ("  - {channel: fax, text: Hi}\n", "examples.0.channel"),
        ("  - {channel: push, title: Hi, body: 'Hi {{ email }}, book a class.'}\n", "examples[0]"),
        (
            "  - {channel: push, title: Hi, body: 'Book a class.'}\n"
            "  - {channel: push, title: Hi, body: 'Since your divorce, book a class.'}\n",
            "examples[1] (push) is blocked by the guardrails",
        ),
    ],
)
def test_run_with_a_bad_example_exits_2_before_any_llm_call(
    examples_yaml, message, tmp_path, isolated_env
):
    cohort = tmp_path / "cohort.csv"
    make_fitness_cohort(40, seed=1).to_csv(cohort, index=False)
    camp = tmp_path / "c.yaml"
    camp.write_text("name: ex\nchannels: [push]\nexamples:\n" + examples_yaml)
    # a closed port: an LLM call would fail with exit 1, not the bad-input exit 2
    env = {
        "WINBACK_BASE_URL": "http://127.0.0.1:9/v1",
        "WINBACK_API_KEY": "sk-x",
        "WINBACK_MAX_RETRIES": "0",
    }
    result = runner.invoke(app, ["run", str(cohort), "--config", str(camp)], env=env)
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert not (isolated_env / "winback.db").exists()  # nothing written


def test_campaign_file_examples_load():
    from agent.cli.demo import DEMO_CAMPAIGN

    campaign = load_campaign(DEMO_CAMPAIGN)
    check_examples(campaign, default_policy())
    assert campaign.examples and campaign.brand_words
