"""The shapes the model must return, as pydantic models (sent as tool schemas).

Types are enforced by the tool-call grammar and pydantic; sense (words, not
numbers; unique names; every cluster covered) is checked in
`agent.llm.output_checks`. Prompt files name these classes in `output_schema:`.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

IncentiveTier = Literal["none", "low", "medium", "high"]


class SegmentPlan(BaseModel):
    """A marketer's description of one behavioural cluster."""

    cluster_id: int = Field(description="the cluster_id from the profile")
    name: str = Field(description="2-4 word segment name, e.g. 'Silent loyalists'")
    description: str = Field(description="one sentence: who they are")
    defining_traits: list[str] = Field(description="2-4 short traits from the profile")
    pain_points: list[str] = Field(description="1-3 likely reasons they drifted")
    tone: str = Field(description="tone of voice, e.g. 'warm and appreciative'")
    message_angle: str = Field(description="the angle the message should take")
    incentive_tier: IncentiveTier
    rationale: str = Field(description="why this plan fits the numbers")


class SegmentPlans(BaseModel):
    """One plan per cluster."""

    segments: list[SegmentPlan]


class EmailVariant(BaseModel):
    """One e-mail template."""

    subject: str
    preheader: str
    body: str
    call_to_action: str


class EmailVariants(BaseModel):
    """E-mail templates for one segment."""

    variants: list[EmailVariant]


class SmsVariant(BaseModel):
    """One SMS template."""

    text: str


class SmsVariants(BaseModel):
    """SMS templates for one segment."""

    variants: list[SmsVariant]


class PushVariant(BaseModel):
    """One push notification template."""

    title: str
    body: str


class PushVariants(BaseModel):
    """Push templates for one segment."""

    variants: list[PushVariant]


class PersonalTouch(BaseModel):
    """One personal opening sentence (a template) for one member."""

    opening: str = Field(description="one short sentence, may use the allowed placeholders")


SCHEMAS: dict[str, type[BaseModel]] = {
    cls.__name__: cls
    for cls in (SegmentPlans, EmailVariants, SmsVariants, PushVariants, PersonalTouch)
}
VARIANT_SCHEMAS: dict[str, type[BaseModel]] = {
    "email": EmailVariants,
    "sms": SmsVariants,
    "push": PushVariants,
}
