"""The shapes the model must return, as pydantic models (sent as tool schemas).

Types are enforced by the tool-call grammar and pydantic; sense (words, not
numbers; unique names; every cluster covered) is checked in
`agent.llm.output_checks`. Prompt files name these classes in `output_schema:`.

Lists and strings must not be empty, so a local model's grammar cannot answer
`{"variants": []}` and be re-asked (the 135M model did, often). `sized`
narrows a schema's list to the number of items one call asks for, so the
grammar stops a runaway list; the segment plans' call alone allows an empty
list, the short answer of a model that cannot plan. Strings have no `maxLength`: llama.cpp's grammar
sampler slows from ~15 ms to ~240 ms a token under long bounded repetitions
(measured); length is the guardrails' job (push title 50, subject 78).
"""

from __future__ import annotations

from functools import cache
from typing import Annotated, Literal, get_args

from pydantic import BaseModel, Field, create_model

IncentiveTier = Literal["none", "low", "medium", "high"]


def nonempty(description: str | None = None) -> object:
    """A non-empty string field."""
    return Field(min_length=1, description=description)


MAX_ITEMS = 12  # candidates_per_segment's ceiling (agent.campaign)


class SegmentPlan(BaseModel):
    """A marketer's description of one behavioural cluster."""

    cluster_id: int = Field(description="the cluster_id from the profile")
    name: str = nonempty("2-4 word segment name, e.g. 'Silent loyalists'")
    description: str = nonempty("one sentence: who they are")
    defining_traits: list[Annotated[str, nonempty()]] = Field(
        min_length=1, max_length=4, description="2-4 short traits from the profile"
    )
    pain_points: list[Annotated[str, nonempty()]] = Field(
        min_length=1, max_length=3, description="1-3 likely reasons they drifted"
    )
    tone: str = nonempty("tone of voice, e.g. 'warm and appreciative'")
    message_angle: str = nonempty("the angle the message should take")
    incentive_tier: IncentiveTier
    rationale: str = nonempty("why this plan fits the numbers")


class SegmentPlans(BaseModel):
    """One plan per cluster."""

    segments: list[SegmentPlan] = Field(min_length=1, max_length=MAX_ITEMS)


class EmailVariant(BaseModel):
    """One e-mail template."""

    subject: str = nonempty()
    preheader: str = nonempty()
    body: str = nonempty()
    call_to_action: str = nonempty()


class EmailVariants(BaseModel):
    """E-mail templates for one segment."""

    variants: list[EmailVariant] = Field(min_length=1, max_length=MAX_ITEMS)


class SmsVariant(BaseModel):
    """One SMS template."""

    text: str = nonempty()


class SmsVariants(BaseModel):
    """SMS templates for one segment."""

    variants: list[SmsVariant] = Field(min_length=1, max_length=MAX_ITEMS)


class PushVariant(BaseModel):
    """One push notification template."""

    title: str = nonempty()
    body: str = nonempty()


class PushVariants(BaseModel):
    """Push templates for one segment."""

    variants: list[PushVariant] = Field(min_length=1, max_length=MAX_ITEMS)


class PersonalTouch(BaseModel):
    """One personal opening sentence (a template) for one member."""

    opening: str = nonempty("one short sentence, may use the allowed placeholders")


SCHEMAS: dict[str, type[BaseModel]] = {
    cls.__name__: cls
    for cls in (SegmentPlans, EmailVariants, SmsVariants, PushVariants, PersonalTouch)
}
VARIANT_SCHEMAS: dict[str, type[BaseModel]] = {
    "email": EmailVariants,
    "sms": SmsVariants,
    "push": PushVariants,
}


@cache
def sized(schema: type[BaseModel], most: int, least: int = 1) -> type[BaseModel]:
    """`schema` (one list field) asking for `least`..`most` items: what one call wants.

    Same name and title, so the tool call and the prompts are unchanged; the
    grammar of a local model stops the list at `most`.
    """
    (field, info), *_ = schema.model_fields.items()
    (item,) = get_args(info.annotation)
    bounded = Annotated[list[item], Field(min_length=least, max_length=most)]  # type: ignore[valid-type]
    return create_model(
        schema.__name__, __base__=schema, __doc__=schema.__doc__, **{field: (bounded, ...)}
    )
