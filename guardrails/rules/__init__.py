"""Creepy-factor rules: one concern per file, tuned by the policy's `rules:` section.

`RULES` lists every rule class; `CATEGORIES` their categories, the one list of
creepy-factor categories (the judge, the eval and the semantic heads use it);
`build_rules(policy)` instantiates the enabled ones. A policy section names the
rule by its file name (`rules.age`).
"""

from __future__ import annotations

from guardrails.rules.age import AgeRule
from guardrails.rules.base import Rule
from guardrails.rules.body_weight import BodyWeightRule
from guardrails.rules.criminal_record import CriminalRecordRule
from guardrails.rules.disability import DisabilityRule
from guardrails.rules.ethnicity_origin import EthnicityOriginRule
from guardrails.rules.false_urgency import FalseUrgencyRule
from guardrails.rules.family_relationship import FamilyRelationshipRule
from guardrails.rules.financial_vulnerability import FinancialVulnerabilityRule
from guardrails.rules.health_condition import HealthConditionRule
from guardrails.rules.politics_union import PoliticsUnionRule
from guardrails.rules.pregnancy_fertility import PregnancyFertilityRule
from guardrails.rules.religion_beliefs import ReligionBeliefsRule
from guardrails.rules.sexual_orientation_gender import SexualOrientationGenderRule
from guardrails.rules.shaming_guilt import ShamingGuiltRule
from guardrails.rules.surveillance import SurveillanceRule

RULES: tuple[type[Rule], ...] = (
    HealthConditionRule,
    BodyWeightRule,
    PregnancyFertilityRule,
    DisabilityRule,
    ReligionBeliefsRule,
    SexualOrientationGenderRule,
    EthnicityOriginRule,
    PoliticsUnionRule,
    FinancialVulnerabilityRule,
    CriminalRecordRule,
    AgeRule,
    FamilyRelationshipRule,
    SurveillanceRule,
    ShamingGuiltRule,
    FalseUrgencyRule,
)
CATEGORIES: tuple[str, ...] = tuple(cls.category for cls in RULES)


def build_rules(policy) -> list[Rule]:
    """The enabled rules, configured by `policy`."""
    rules = [cls(policy.rule(cls.name)) for cls in RULES]
    return [r for r in rules if r.enabled]
