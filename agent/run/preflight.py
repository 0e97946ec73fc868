"""Everything a campaign can get wrong, checked against the cohort before the first LLM call.

`winback run` and `winback segments preview` call `preflight` once, first. It
collects every problem instead of stopping at the first, then raises one
`PreflightFailed` (exit 2) that lists them all, so a marketer fixes the
campaign in one pass and nothing is queued or spent on the model. What it
checks, each a small function returning `Problem`s:

- the files the campaign names load: prompt versions, guardrail and quality
  policies, the incentive catalog, the baseline copy, the brand's examples;
- the activation rule evaluates on the cohort (its columns exist, types fit);
- placeholders against the cohort's columns *that hold values*: a cohort with
  no column any placeholder could use, and each allowed placeholder the
  cohort cannot fill (unless it has a fallback such as `first_name` -> "there"),
  since the model would write copy around it and every such draft would be
  blocked;
- channels against address columns (`email`, `phone`; push goes to `user_id`);
- the baseline copy against the campaign (only when the baseline arm is not
  empty): an entry per channel, placeholders the cohort can fill, and when the
  catalog can assign an offer, a `<channel>_with_incentive` entry that says
  `{{ incentive }}` (otherwise the offer is given and never mentioned); a
  placeholder the cohort fills only partly is a warning with the share of
  users whose baseline draft will be blocked;
- the catalog against the campaign: `incentive` allowed as a placeholder when
  offers can be assigned, no offer costing more than the whole budget, every
  eligibility rule's columns present in the cohort.

`winback init` (`agent.starters.campaign_folder`) runs the same cohort checks
(`cohort_problems`, `budget_problems`) before it writes a campaign folder: one
implementation of each check.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from agent.campaign import Campaign
from agent.drafts.template import DEFAULT_FALLBACKS
from agent.run.preflight_copy import baseline_problems, example_problems
from agent.run.preflight_problem import INCENTIVE, PreflightFailed, Problem
from prompts.channels import ADDRESS_COLUMN
from prompts.errors import UserError


@dataclass
class Preflight:
    """What passed the checks, loaded once for the run: policies, catalog, prompt library."""

    policy: Any
    catalog: Any
    library: Any
    warnings: list[str] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)


def filled_columns(frame: pd.DataFrame) -> set[str]:
    """The columns that hold at least one value (blank text does not count)."""
    filled = set()
    for column in frame.columns:
        values = frame[column].dropna()
        if values.dtype == object or pd.api.types.is_string_dtype(values.dtype):
            values = values[values.astype(str).str.strip() != ""]
        if len(values):
            filled.add(str(column))
    return filled


def cohort_problems(
    columns: set[str],
    placeholders: Iterable[str],
    channels: Iterable[str],
    cohort: str,
    *,
    every_placeholder: bool = True,
) -> list[Problem]:
    """Placeholders and channels against the cohort's filled columns.

    `every_placeholder=False` (for `winback init`, which keeps only the
    placeholders the cohort fills) reports only a cohort that fills none.
    """
    problems = []
    personal = [p for p in placeholders if p != INCENTIVE]
    fillable = [p for p in personal if p in columns]
    if personal and not fillable:
        problems.append(
            Problem(
                f"Cohort {cohort}",
                f"has no column a placeholder could use (looked for {', '.join(personal)}; it has "
                f"{', '.join(sorted(columns)) or 'none'})",
                f"Add one of {', '.join(personal)} to the cohort (first_name is the usual "
                "one), or rename yours with --mapping MAPPING.yaml.",
            )
        )
    elif every_placeholder:
        for name in personal:
            if name not in columns and name not in DEFAULT_FALLBACKS:
                problems.append(
                    Problem(
                        f"Campaign placeholder {name}",
                        f"cannot be filled: cohort {cohort} has no {name} column with values, "
                        f"so every message that says {{{{ {name} }}}} would be blocked",
                        f"Remove {name} from `placeholders` in the campaign file (or write one "
                        f"for this cohort with `winback init`), or add a {name} column.",
                    )
                )
    for channel in channels:
        column = ADDRESS_COLUMN[channel]
        if column not in columns:
            problems.append(
                Problem(
                    f"Channel {channel}",
                    f"needs a {column} column with values; cohort {cohort} has none",
                    f"Add {column} to the cohort, or leave {channel} out of the channels.",
                )
            )
    return problems


def budget_problems(
    costs: Mapping[str, float], budget: float | None, currency: str
) -> list[Problem]:
    """Offers whose cost per redemption alone exceeds the whole incentive budget."""
    if budget is None:
        return []
    expensive = sorted(o for o, c in costs.items() if float(c or 0) > budget)
    if not expensive:
        return []
    listed = ", ".join(f"{o} ({float(costs[o]):g})" for o in expensive)
    return [
        Problem(
            "Incentive catalog",
            "has offers that cost more per redemption than the whole budget "
            f"{budget:g} {currency}: {listed}",
            "Raise the budget (incentive_budget, or --budget for winback init), or lower those "
            "offers' cost or remove them from the catalog.",
        )
    ]


def _rule_columns(rule: str) -> set[str]:
    from segments.rule_tokens import tokenize

    return {str(t.value) for t in tokenize(rule) if t.kind == "name"}


def catalog_problems(catalog: Any, campaign: Campaign, columns: set[str]) -> list[Problem]:
    """The catalog against the campaign: budget, eligibility columns, the incentive placeholder."""
    problems = budget_problems(
        {o: offer.cost for o, offer in catalog.offers.items()},
        campaign.incentive_budget,
        catalog.currency,
    )
    for offer_id, offer in sorted(catalog.offers.items()):
        missing = sorted(_rule_columns(offer.eligibility) - columns) if offer.eligibility else []
        if missing:
            problems.append(
                Problem(
                    f"Incentive catalog offer {offer_id}",
                    f"is out of reach: its eligibility ({offer.eligibility}) reads "
                    f"{', '.join(missing)}, which the cohort lacks, so nobody could get it",
                    "Remove the offer or its eligibility rule, or add the column to the cohort.",
                )
            )
    if gives_offers(catalog) and INCENTIVE not in campaign.placeholders:
        problems.append(
            Problem(
                "Campaign placeholders",
                "lack incentive although the incentive catalog assigns offers, so no message "
                "could say the offer",
                "Add incentive to `placeholders` in the campaign file, or give every tier "
                "no offer (null) in the catalog.",
            )
        )
    return problems


def gives_offers(catalog: Any) -> bool:
    """Whether any (segment tier, value tier) pair of the catalog maps to an offer."""
    return any(o is not None for slots in catalog.tiers.values() for o in slots.values())


def _attempt(problems: list[Problem], where: str, load: Any, *, prefix: str = "") -> Any:
    """`load()`, or None with its error recorded as a problem (`prefix` names the input)."""
    try:
        return load()
    except UserError as exc:
        problems.append(Problem(prefix, exc.message, exc.fix or f"Fix the {where}."))
        return None


def preflight(
    frame: pd.DataFrame,
    campaign: Campaign,
    cohort: str = "(cohort)",
    *,
    note: Callable[[str], None] | None = None,
) -> Preflight:
    """Run every check (module doc); raise `PreflightFailed` listing all problems.

    Warnings (nothing to stop the run for) go to `note` and into the result.
    """
    from agent.llm.prompt_library import PromptLibrary
    from agent.run.brand_copy import check_examples
    from guardrails.policy import load_policy
    from guardrails.quality import load_quality_policy
    from segments.activation_rules import evaluate_rule
    from segments.incentives import load_incentive_catalog

    problems: list[Problem] = []
    library = PromptLibrary()
    names = ["segment_synthesis", *(f"{ch}_variants" for ch in campaign.channels)]
    if campaign.personalize_top:
        names.append("personal_touch")
    for name in names:
        _attempt(
            problems,
            f"Prompt {campaign.prompt_ref(name)}",
            lambda n=name: library.get(campaign.prompt_ref(n)),
        )
    policy = _attempt(
        problems,
        "Guard policy",
        lambda: load_policy(Path(campaign.guard_policy) if campaign.guard_policy else None),
    )
    _attempt(problems, "Quality policy", lambda: load_quality_policy(campaign.quality_policy))
    if policy is not None:
        _attempt(problems, "Campaign examples", lambda: check_examples(campaign, policy))
    catalog = _attempt(
        problems, "Incentive catalog", lambda: load_incentive_catalog(campaign.incentive_catalog)
    )
    if campaign.rule:
        _attempt(
            problems,
            "activation rule",
            lambda: evaluate_rule(frame, campaign.rule),
            prefix=f"Activation rule {campaign.rule!r}:",
        )
    columns = filled_columns(frame)
    problems += cohort_problems(columns, campaign.placeholders, campaign.channels, cohort)
    problems += example_problems(campaign, columns)
    warnings: list[str] = []
    if catalog is not None:
        problems += catalog_problems(catalog, campaign, columns)
        found, warnings = baseline_problems(campaign, frame, columns, gives_offers(catalog))
        problems += found
    if problems:
        raise PreflightFailed(problems)
    for warning in warnings:
        if note is not None:
            note(f"warning: {warning}")
    return Preflight(
        policy=policy,
        catalog=catalog,
        library=library,
        warnings=warnings,
        checks=[
            "prompts",
            "guard and quality policies",
            "examples",
            "incentive catalog",
            "activation rule",
            "placeholders vs cohort columns",
            "channels vs address columns",
            "baseline copy vs campaign",
            "catalog vs budget and campaign",
        ],
    )
