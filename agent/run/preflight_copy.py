"""Preflight checks of the brand's own copy: the baseline copy and the campaign's examples.

The baseline copy must have an entry per channel, use only placeholders the
cohort can fill, and say `{{ incentive }}` exactly where an offer is given; a
placeholder the cohort fills only partly is a warning with the share of users
whose baseline draft will be blocked. Each example may use only placeholders
the cohort fills. Called by `agent.run.preflight.preflight`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from agent.campaign import Campaign
from agent.drafts.template import DEFAULT_FALLBACKS
from agent.run.preflight_problem import INCENTIVE, WARN_EMPTY_SHARE, Problem
from prompts.errors import UserError


def baseline_problems(
    campaign: Campaign, frame: pd.DataFrame, columns: set[str], offers: bool
) -> tuple[list[Problem], list[str]]:
    """The baseline copy against the campaign and cohort: (problems, warnings)."""
    from agent.drafts.render import BASELINE_COPY, load_baseline_copy

    if campaign.arms.baseline <= 0:
        return [], []
    path = Path(campaign.baseline_copy) if campaign.baseline_copy else BASELINE_COPY
    try:
        templates = load_baseline_copy(path, campaign.placeholders)
    except UserError as exc:
        return [Problem("", exc.message, exc.fix or "Fix the baseline copy.")], []
    problems: list[Problem] = []
    warnings: list[str] = []
    for channel in campaign.channels:
        keys = [channel] + ([f"{channel}_with_incentive"] if offers else [])
        for key in keys:
            template = templates.get(key)
            where = f"Baseline copy {path}, entry {key}"
            if template is None:
                problems.append(_missing_entry(where, key, channel, offers))
                continue
            used = _template_names(template)
            if key == channel and INCENTIVE in used:
                problems.append(
                    Problem(
                        where,
                        "says {{ incentive }}, but it goes to baseline users who get no offer",
                        f"Move the offer sentence to {channel}_with_incentive.",
                    )
                )
            if key != channel and INCENTIVE not in used:
                problems.append(
                    Problem(
                        where,
                        "never says {{ incentive }}, so users given an offer would not hear of it",
                        f"Mention the offer in {key} with {{{{ incentive }}}}.",
                    )
                )
            for name in sorted(used - {INCENTIVE}):
                if name in DEFAULT_FALLBACKS:
                    continue
                if name not in columns:
                    problems.append(
                        Problem(
                            where,
                            f"says {{{{ {name} }}}} but the cohort has no {name} column with "
                            "values, so every baseline draft would be blocked",
                            f"Rewrite {key} without {name} (`winback init` writes copy this "
                            f"cohort can fill), or add a {name} column.",
                        )
                    )
                    continue
                empty = _empty_share(frame[name])
                if empty > WARN_EMPTY_SHARE:
                    warnings.append(
                        f"{where} says {{{{ {name} }}}}, empty for {empty:.0%} of the cohort: "
                        "those users' baseline drafts will be blocked"
                    )
    return problems, warnings


def _missing_entry(where: str, key: str, channel: str, offers: bool) -> Problem:
    if key == channel:
        return Problem(where, "is missing", f"Add a {channel} entry to the baseline copy file.")
    return Problem(
        where,
        "is missing, so baseline users given an offer would get copy that never mentions it",
        f"Add {key} (its copy must say {{{{ incentive }}}}).",
    )


def _template_names(template: Any) -> set[str]:
    from agent.starters.starter_sets import placeholders_in

    sources = [template.body.source] + ([template.subject.source] if template.subject else [])
    return placeholders_in(sources)


def _empty_share(series: pd.Series) -> float:
    if not len(series):
        return 0.0
    values = series.astype("string").str.strip()
    return float((values.isna() | (values == "")).mean())


def example_problems(campaign: Campaign, columns: set[str]) -> list[Problem]:
    """The brand's examples: placeholders the cohort fills (the model copies what it sees)."""
    problems = []
    for i, example in enumerate(campaign.examples):
        from agent.starters.starter_sets import placeholders_in

        used = placeholders_in(example.fields().values()) - {INCENTIVE}
        for name in sorted(used - columns - set(DEFAULT_FALLBACKS)):
            problems.append(
                Problem(
                    f"Campaign examples[{i}] ({example.channel})",
                    f"says {{{{ {name} }}}}, which the cohort cannot fill; the model would "
                    "copy it into its variants",
                    f"Rewrite the example without {name}, or add a {name} column.",
                )
            )
    return problems
