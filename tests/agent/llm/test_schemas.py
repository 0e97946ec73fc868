"""The reply schemas: no empty lists or strings, and `sized` bounds one call's list."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from agent.llm.schemas import (
    SCHEMAS,
    EmailVariants,
    PushVariants,
    SegmentPlans,
    SmsVariants,
    sized,
)

PUSH = {"title": "Your mat misses you", "body": "Book one class this week."}


@pytest.mark.parametrize("schema", list(SCHEMAS.values()), ids=list(SCHEMAS))
def test_no_schema_allows_an_empty_string(schema: type) -> None:
    text = str(schema.model_json_schema())
    assert "'type': 'string'" in text
    assert text.count("'minLength': 1") >= 1


@pytest.mark.parametrize("schema", [EmailVariants, SmsVariants, PushVariants, SegmentPlans])
def test_an_empty_list_is_refused(schema: type) -> None:
    field = next(iter(schema.model_fields))
    with pytest.raises(ValidationError, match="at least 1 item"):
        schema.model_validate({field: []})


def test_an_empty_field_is_refused() -> None:
    with pytest.raises(ValidationError, match="at least 1 character"):
        PushVariants.model_validate({"variants": [{"title": "", "body": "x"}]})


def test_sized_bounds_the_list_in_the_schema_the_grammar_sees() -> None:
    schema = sized(PushVariants, 3).model_json_schema()
    assert schema["title"] == "PushVariants"
    assert schema["properties"]["variants"]["minItems"] == 1
    assert schema["properties"]["variants"]["maxItems"] == 3


def test_sized_keeps_the_name_used_for_the_tool_call() -> None:
    assert sized(EmailVariants, 2).__name__ == "EmailVariants"
    assert sized(EmailVariants, 2) is sized(EmailVariants, 2)  # built once


def test_sized_validates_the_count() -> None:
    two = sized(PushVariants, 2)
    assert len(two.model_validate({"variants": [PUSH, PUSH]}).variants) == 2
    with pytest.raises(ValidationError, match="at most 2 items"):
        two.model_validate({"variants": [PUSH, PUSH, PUSH]})


def test_sized_may_allow_an_empty_list() -> None:
    plans = sized(SegmentPlans, 3, least=0)
    assert plans.model_validate({"segments": []}).segments == []
    assert plans.model_json_schema()["properties"]["segments"].get("minItems", 0) == 0


def test_a_plan_needs_traits_and_pain_points() -> None:
    plan = {
        "cluster_id": 0,
        "name": "Silent loyalists",
        "description": "Long-time members who went quiet",
        "defining_traits": [],
        "pain_points": ["lost routine"],
        "tone": "warm",
        "message_angle": "celebrate their history",
        "incentive_tier": "none",
        "rationale": "They stayed for years",
    }
    with pytest.raises(ValidationError, match="defining_traits"):
        SegmentPlans.model_validate({"segments": [plan]})
