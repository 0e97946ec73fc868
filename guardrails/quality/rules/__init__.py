"""The copy-quality rules, one small module each, enabled and tuned by the quality policy.

A rule is a function `find(copy, context, params) -> list[Hit]`: where the
copy goes wrong (field, span) and a sentence a reviewer can act on. The gate
(`guardrails.quality.gate`) turns hits into `Finding`s with the rule's code,
the `quality` category and the severity the policy gives it, so severity and
weights are configuration, not code (as for the safety rules).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

from guardrails.quality.copy_text import CopyText, QualityContext


class Hit(NamedTuple):
    """One place a rule fired: the field, the span in it, and why."""

    field: str
    start: int
    end: int
    message: str


Rule = Callable[[CopyText, QualityContext, Mapping[str, Any]], list[Hit]]


def _registry() -> dict[str, Rule]:
    from guardrails.quality.rules import (
        brand_world,
        call_to_action,
        distinct_variants,
        invented_specifics,
        placeholder_articles,
        readability,
        reader_address,
        subject_preheader,
        third_party,
        unfilled_placeholders,
    )

    return {
        "second_person": reader_address.find_no_second_person,
        "first_person_narrator": reader_address.find_first_person,
        "third_party": third_party.find,
        "invented_specifics": invented_specifics.find,
        "brand_world": brand_world.find,
        "call_to_action": call_to_action.find,
        "readability": readability.find,
        "subject_repeats_preheader": subject_preheader.find,
        "distinct_variants": distinct_variants.find,
        "unfilled_placeholders": unfilled_placeholders.find,
        "placeholder_articles": placeholder_articles.find,
    }


RULES: dict[str, Rule] = _registry()
