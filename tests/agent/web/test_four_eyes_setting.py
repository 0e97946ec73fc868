"""The campaign setting that relaxes four-eyes reaches the batch's config snapshot."""

from __future__ import annotations

import pytest

from agent.campaign import load_campaign
from agent.store.variant_decisions import four_eyes_on
from prompts.errors import UserError


def test_four_eyes_is_on_by_default_and_can_be_relaxed(tmp_path) -> None:
    assert load_campaign(None, {"name": "spring"}).model_dump()["four_eyes"] is True
    path = tmp_path / "solo.yaml"
    path.write_text("name: solo\nfour_eyes: false\n")
    config = load_campaign(path).model_dump()  # what `winback run` snapshots into the batch
    assert four_eyes_on({"config": config}) is False
    assert four_eyes_on({"config": {}}) is True  # batches from before the setting


def test_a_malformed_setting_is_refused(tmp_path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("name: bad\nfour_eyes: sometimes\n")
    with pytest.raises(UserError, match="four_eyes"):
        load_campaign(path)
