"""The draft record: frozen, checked before it has a row, stored and read back as written."""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import Engine

from agent.campaign import Campaign
from agent.drafts.placeholders import DEFAULT_PLACEHOLDERS, sample_value
from agent.drafts.record import CheckedDraft, Draft, unrendered_body
from agent.store import get_draft, insert_drafts, list_drafts, start_batch
from agent.store.drafts import DRAFT_FIELDS
from tests.agent.conftest import CONFIG

INCENTIVE = {
    "code": "pct_20_month",
    "text": "20% off",
    "value": 20.0,
    "unit": "percent",
    "cost": 4.0,
}


def draft(**extra) -> Draft:
    fields = {
        "user_id": "u1",
        "arm": "treatment",
        "channel": "email",
        "segment": "Lapsed yogis",
        "address": "sam@example.com",
        "incentive": INCENTIVE,
        "values": {"first_name": "Sam", "days_since_last_activity": 12},
        "first_name": "Sam",
        "subject": "We saved your spot",
        "body": "Hi Sam, it has been 12 days. Unsubscribe anytime.",
        "template_id": "c0-email-v1+personal-u1",
        "variant": "c0-email-v1+personal",
        "prompt": "email_variants@1+personal_touch@1",
        "body_template": "Hi {{ first_name }}, it has been {{ days_since_last_activity }} days.",
    }
    return Draft(**{**fields, **extra})


def test_to_row_is_the_tables_fields_and_personalization_is_what_was_allowed() -> None:
    row = CheckedDraft(draft(), "pass").to_row()
    assert tuple(row) == DRAFT_FIELDS  # every column the store takes, nothing else
    assert row["variant"] == "c0-email-v1+personal" and row["incentive"] == INCENTIVE
    assert row["verdict"] == "pass" and row["findings"] == []
    # values as the guardrails saw them in the text: strings
    assert row["personalization"] == {
        "first_name": "Sam",
        "values": {"first_name": "Sam", "days_since_last_activity": "12"},
    }


def test_a_draft_is_frozen_and_only_a_checked_one_has_a_row() -> None:
    d = draft()
    with pytest.raises(dataclasses.FrozenInstanceError):
        d.body = "changed"  # type: ignore[misc]
    assert not hasattr(d, "to_row")
    checked = CheckedDraft(d, "warn", [{"code": "x"}])
    with pytest.raises(dataclasses.FrozenInstanceError):
        checked.verdict = "pass"  # type: ignore[misc]
    assert checked.draft is d and checked.to_row()["verdict"] == "warn"


@pytest.mark.parametrize(
    ("prompt", "prompts"),
    [
        (None, []),
        ("email_variants@1", ["email_variants@1"]),
        ("email_variants@1+personal_touch@1", ["email_variants@1", "personal_touch@1"]),
    ],
)
def test_prompts_that_wrote_the_copy(prompt: str | None, prompts: list[str]) -> None:
    assert draft(prompt=prompt).prompts == prompts


def test_unrendered_draft_names_the_missing_value() -> None:
    unrendered = draft(
        template_id=None,
        variant=None,
        prompt=None,
        subject=None,
        body=unrendered_body("favorite_category"),
        unrendered="favorite_category",
    )
    assert not unrendered.rendered and draft().rendered
    assert unrendered.body == "(not rendered: no value for {{ favorite_category }})"
    assert CheckedDraft(unrendered, "block").to_row()["variant"] is None


def test_stored_and_read_back_as_written(engine: Engine) -> None:
    batch = start_batch(engine, "spring", "fp", config=CONFIG, prompts={})
    finding = {"code": "x", "category": "c", "severity": "warn", "start": 0, "end": 2,
               "message": "m", "field": "text"}  # fmt: skip
    checked = [CheckedDraft(draft(), "pass"), CheckedDraft(draft(user_id="u2"), "warn", [finding])]
    assert insert_drafts(engine, batch.batch_id, "spring", [c.to_row() for c in checked]) == 2
    for c, stored in zip(checked, list_drafts(engine, batch_id=batch.batch_id), strict=True):
        again = get_draft(engine, stored["id"])
        assert {k: again[k] for k in DRAFT_FIELDS} == c.to_row()
        assert again["status"] == "pending"


def test_one_table_of_default_placeholders_and_their_sample_values() -> None:
    assert Campaign(name="x").placeholders == list(DEFAULT_PLACEHOLDERS)
    assert sample_value("favorite_class") == "favorite class"  # a campaign's own placeholder
