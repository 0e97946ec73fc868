"""Write a campaign folder for a brand, a vertical, channels and a cohort (`winback init`).

Order of work, so that bad input writes nothing:
1. read the cohort (any format `winback run` reads) for its columns and
   which of them hold values;
2. check the request: brand, vertical, the folder (refused if it exists,
   unless `force`), a placeholder the cohort can fill, an address column for
   every channel, the catalog against the budget;
3. fit the vertical's starter set to the cohort (`starter_sets`);
4. write the three files to a temporary folder and load them with the
   loaders `winback run` uses (campaign, baseline copy, incentive catalog);
5. only then create the folder and move the files in.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from agent.errors import WinbackError
from agent.run.preflight import PreflightFailed, budget_problems, cohort_problems, filled_columns
from agent.starters.starter_sets import (
    INCENTIVE,
    fit_catalog,
    fit_copy,
    fit_rule,
    starter_dir,
    with_brand,
)
from agent.store.export_presets import check_link
from prompts.channels import CHANNELS
from prompts.yaml_file import read_yaml_mapping

FILES = ("campaign.yaml", "baseline_copy.yaml", "incentive_catalog.yaml")
BRAND = re.compile(r"^[^{}%\n\r\t]{1,60}$")
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,79}$")


@dataclass(frozen=True)
class InitRequest:
    """What `winback init` was asked for."""

    brand: str
    vertical: str
    channels: tuple[str, ...]
    cohort: Path
    out: Path
    force: bool = False
    budget: float | None = None
    link: str | None = None
    name: str | None = None
    catalog: Path | None = None
    mapping: Path | None = None


def campaign_slug(brand: str) -> str:
    """A campaign name from a brand: `Acme Records` -> `acme-records-winback`."""
    slug = re.sub(r"[^a-z0-9]+", "-", brand.lower()).strip("-")
    return f"{slug}-winback" if slug else ""


def cohort_columns(path: Path, mapping: Path | None = None) -> tuple[set[str], int]:
    """(the cohort's columns that hold at least one value, its row count)."""
    from segments.cohort_loaders import load_cohort
    from segments.cohort_problems import ProblemLog
    from segments.cohort_source import CohortSource

    source = CohortSource(path=Path(path), mapping=mapping)
    loaded = load_cohort(source, ProblemLog(source.label))
    frame = loaded.frame
    if frame.empty:
        raise WinbackError(
            f"Cohort {path} has no rows", "Export the cohort again with one row per customer."
        )
    return filled_columns(frame), len(frame)


def _check_request(req: InitRequest) -> None:
    if not BRAND.match(req.brand.strip()):
        raise WinbackError(
            f"Brand {req.brand!r} is not usable",
            "Give --brand as 1 to 60 characters without braces, % or line breaks.",
        )
    starter_dir(req.vertical)
    unknown = sorted(set(req.channels) - set(CHANNELS))
    if unknown or not req.channels:
        raise WinbackError(
            f"Unknown channel(s): {', '.join(unknown) or '(none given)'}",
            f"Use --channels with {', '.join(CHANNELS)}, comma-separated.",
        )
    out = Path(req.out)
    if out.exists() and not out.is_dir():
        raise WinbackError(f"{out} is a file, not a folder", "Choose another --out folder.")
    if out.exists() and any(out.iterdir()) and not req.force:
        raise WinbackError(
            f"Campaign folder {out} already exists",
            "Choose another --out, or pass --force to overwrite its campaign files.",
        )
    if req.budget is not None and req.budget < 0:
        raise WinbackError(f"Budget {req.budget:g} is negative", "Give --budget as 0 or more.")
    check_link(req.link)
    if req.name is not None and not NAME.match(req.name):
        raise WinbackError(
            f"Campaign name {req.name!r} is not usable",
            "Give --name as letters, digits, '-', '_' or '.', starting with a letter or digit.",
        )


def _check_cohort(req: InitRequest, columns: set[str], placeholders: list[str]) -> list[str]:
    """The campaign's placeholders the cohort can fill; errors for what it cannot support.

    The checks are `winback run`'s own (`agent.run.preflight.cohort_problems`),
    except that a placeholder the cohort lacks is left out of the new campaign
    rather than reported.
    """
    problems = cohort_problems(
        columns, placeholders, req.channels, str(req.cohort), every_placeholder=False
    )
    if problems:
        raise PreflightFailed(problems)
    return [p for p in placeholders if p != INCENTIVE and p in columns]


def _catalog(req: InitRequest, columns: set[str]) -> tuple[dict[str, Any], list[str]]:
    path = req.catalog or starter_dir(req.vertical) / "incentive_catalog.yaml"
    data = read_yaml_mapping(
        Path(path),
        "Incentive catalog",
        fix="See the comments in prompts/incentive_catalog.yaml.",
        missing_fix="Check the path given with --catalog.",
        error=WinbackError,
    )
    data, notes = fit_catalog(data, columns)
    costs = {o: float(v.get("cost") or 0) for o, v in data["offers"].items()}
    problems = budget_problems(costs, req.budget, str(data.get("currency", "")))
    if problems:
        raise PreflightFailed(problems)
    return data, notes


def _yaml(header: str, data: dict[str, Any]) -> str:
    body = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=88)
    return f"{header.rstrip()}\n{body}"


def build_files(req: InitRequest) -> tuple[dict[str, str], dict[str, Any]]:
    """The three files' text and a summary; raises WinbackError before anything is written."""
    _check_request(req)
    brand = req.brand.strip()
    starter = read_yaml_mapping(
        starter_dir(req.vertical) / "campaign.yaml",
        "Starter campaign",
        fix="Fix the starter set.",
        error=WinbackError,
    )
    columns, rows = cohort_columns(req.cohort, req.mapping)
    fillable = _check_cohort(req, columns, list(starter.get("placeholders") or []))
    catalog, catalog_notes = _catalog(req, columns)
    copy = fit_copy(req.vertical, list(req.channels), set(fillable), brand)
    rule, dropped = fit_rule(starter.get("rule"), columns)
    name = req.name or campaign_slug(brand)
    campaign = with_brand(dict(starter), brand)
    campaign.update(
        name=name,
        rule=rule,
        channels=list(req.channels),
        placeholders=[*fillable, INCENTIVE],
        incentive_catalog="incentive_catalog.yaml",
        baseline_copy="baseline_copy.yaml",
    )
    if req.budget is not None:
        campaign["incentive_budget"] = req.budget
    if req.link:
        campaign["link"] = req.link
    header = (
        f"# {brand}: win-back campaign written by `winback init` ({req.vertical} starter set)\n"
        f"# for cohort {req.cohort} ({rows} rows). Edit freely; README: 'The campaign file'."
    )
    files = {
        "campaign.yaml": _yaml(header, campaign),
        "baseline_copy.yaml": _yaml(
            "# Human-written copy of the baseline arm (what the AI copy is measured against).\n"
            "# Uses only placeholders this cohort can fill; `*_with_incentive` must say "
            "{{ incentive }}.",
            copy.entries,
        ),
        "incentive_catalog.yaml": _yaml(
            f"# Offers for {brand} ({req.vertical} starter). Format: the comments in the shipped\n"
            "# prompts/incentive_catalog.yaml; `cost` per redeemed offer counts against "
            "incentive_budget.",
            catalog,
        ),
    }
    paid = [float(o.get("cost") or 0) for o in catalog["offers"].values()]
    paid = [c for c in paid if c > 0]
    summary = {
        "campaign": name,
        "vertical": req.vertical,
        "brand": brand,
        "channels": list(req.channels),
        "cohort": str(req.cohort),
        "cohort_rows": rows,
        "placeholders": campaign["placeholders"],
        "placeholders_unavailable": [
            p for p in starter.get("placeholders") or [] if p not in campaign["placeholders"]
        ],
        "rule": rule,
        "rule_clauses_dropped": dropped,
        "copy_alternatives": copy.alternative,
        "catalog_notes": catalog_notes,
        "offers": sorted(catalog["offers"]),
        "budget": req.budget,
        "budget_covers_offers": (
            int(req.budget // min(paid)) if req.budget is not None and paid else None
        ),
        "link": req.link,
    }
    return files, summary


def _validate(folder: Path, placeholders: list[str]) -> None:
    """Load the written files with the loaders `winback run` uses."""
    from agent.campaign import load_campaign
    from agent.drafts.render import load_baseline_copy
    from segments.incentives import load_incentive_catalog

    campaign = load_campaign(folder / "campaign.yaml")
    load_baseline_copy(Path(campaign.baseline_copy or ""), placeholders)
    load_incentive_catalog(campaign.incentive_catalog)


def init_campaign(req: InitRequest) -> dict[str, Any]:
    """Check, fit, validate, then write the campaign folder; return a summary."""
    files, summary = build_files(req)
    with tempfile.TemporaryDirectory(prefix="winback-init-") as tmp:
        for name, text in files.items():
            (Path(tmp) / name).write_text(text, encoding="utf-8")
        _validate(Path(tmp), summary["placeholders"])
    out = Path(req.out)
    out.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        fd, tmp_name = tempfile.mkstemp(prefix=f".{name}.", dir=out)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp_name, 0o666 & ~umask)
        shutil.move(tmp_name, out / name)
    summary["folder"] = str(out)
    summary["files"] = [str(out / name) for name in FILES]
    summary["next"] = f"winback run {req.cohort} --campaign-file {out / 'campaign.yaml'}"
    return summary
