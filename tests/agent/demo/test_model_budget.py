"""The demo asks less of the bundled model, and says so; other models get the campaign's budget."""

from __future__ import annotations

import pytest

from agent.campaign import load_campaign
from agent.cli.demo import DEMO_CAMPAIGN
from agent.demo.model_budget import demo_budget
from agent.settings import load_settings


def test_bundled_model_gets_no_revision_and_only_the_kept_candidates() -> None:
    campaign = load_campaign(DEMO_CAMPAIGN)
    overrides, note = demo_budget(load_settings({"provider": "local"}), campaign)
    assert overrides == {
        "max_revisions": 0,
        "candidates_per_segment": campaign.variants_per_segment,
    }
    assert note is not None and "135M" in note
    assert str(campaign.candidates_per_segment) in note
    tuned = load_campaign(DEMO_CAMPAIGN, overrides)
    assert tuned.max_revisions == 0
    assert tuned.candidates_per_segment == tuned.variants_per_segment


@pytest.mark.parametrize(
    "flags",
    [
        {"provider": "openai", "api_key": "sk-test"},
        {"base_url": "http://127.0.0.1:9/v1", "model": "llama3.1-8b"},
    ],
)
def test_other_models_get_the_campaigns_full_budget(flags: dict) -> None:
    assert demo_budget(load_settings(flags), load_campaign(DEMO_CAMPAIGN)) == ({}, None)
