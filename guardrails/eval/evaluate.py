"""Score guard verdicts against the labelled corpus: creepy and PII, by language and category.

The corpus rows (`guardrails/eval/corpus/{train,dev,test}.jsonl`) are guard
check messages plus `expected` (`block` or `pass`), `category` and `lang`.
Verdicts are the `winback guard check --json` lines for those rows, from any
guard (this one, the previous word-list guard run from its own source tree,
or "Presidio alone"), so every guard is measured through the same contract.

- creepy recall: share of creepy-factor violations (the 15 rule categories)
  that are blocked;
- PII recall: share of PII violations blocked by a `pii` finding;
- false blocks: share of clean rows that are blocked at all (what a reviewer
  loses), split into blocked by a creepy, a PII, or a channel/other finding.

A `warn` is not a block: it reaches the reviewer with the finding shown. So
two more shares: violations blocked or warned (what a reviewer is at least
shown), and clean rows warned without a block (what a reviewer reads for
nothing).
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

from guardrails.rules import CATEGORIES

CORPUS_DIR = Path(__file__).with_name("corpus")
CREEPY = CATEGORIES
LANGS = ("en", "es", "fr", "de")


def load_split(split: str = "test", path: str | Path | None = None) -> list[dict[str, Any]]:
    """The labelled rows of one split (or of the JSONL file at `path`)."""
    p = Path(path) if path else CORPUS_DIR / f"{split}.jsonl"
    return [json.loads(line) for line in p.read_text("utf-8").splitlines() if line.strip()]


def _blocked_by(verdict: dict[str, Any]) -> set[str]:
    """Kinds of blocking findings: 'creepy', 'pii', 'other'."""
    kinds = set()
    for f in verdict.get("findings", []):
        if f["severity"] != "block":
            continue
        cat = f["category"]
        kinds.add("pii" if cat == "pii" else "creepy" if cat in CREEPY else "other")
    return kinds


def _rate(hit: int, n: int) -> float | None:
    return hit / n if n else None


def score(rows: list[dict[str, Any]], verdicts: list[dict[str, Any]]) -> dict[str, Any]:
    """Recall and false blocks overall, per language and per category (see module doc)."""
    by_id = {v["id"]: v for v in verdicts}
    cells: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    misses = []
    for row in rows:
        v = by_id[row["id"]]
        blocked = v["verdict"] == "block"
        warned = v["verdict"] == "warn"
        kinds = _blocked_by(v)
        lang, cat = row.get("lang", "en"), row["category"]
        if row["expected"] == "pass":
            for key in ("clean", f"clean:{lang}"):
                cells[key]["n"] += 1
                cells[key]["blocked"] += blocked
                cells[key]["warned"] += warned
                cells[key]["creepy"] += "creepy" in kinds
                cells[key]["pii"] += "pii" in kinds
                cells[key]["other"] += "other" in kinds
            if blocked:
                misses.append(("false block", row, v))
            continue
        group = "creepy" if cat in CREEPY else "pii" if cat == "pii" else None
        if group is None:
            continue
        caught = blocked if group == "creepy" else "pii" in kinds
        for key in (group, f"{group}:{lang}", f"cat:{cat}", f"cat:{cat}:{lang}"):
            cells[key]["n"] += 1
            cells[key]["caught"] += caught
            cells[key]["flagged"] += caught or warned
        if not caught:
            misses.append(("miss", row, v))
    out: dict[str, Any] = {"cells": {k: dict(c) for k, c in cells.items()}, "misses": misses}
    out["creepy_recall"] = _rate(cells["creepy"]["caught"], cells["creepy"]["n"])
    out["pii_recall"] = _rate(cells["pii"]["caught"], cells["pii"]["n"])
    out["creepy_flagged"] = _rate(cells["creepy"]["flagged"], cells["creepy"]["n"])
    out["false_block_rate"] = _rate(cells["clean"]["blocked"], cells["clean"]["n"])
    out["clean_warned"] = _rate(cells["clean"]["warned"], cells["clean"]["n"])
    out["creepy_false_block_rate"] = _rate(cells["clean"]["creepy"], cells["clean"]["n"])
    out["pii_false_block_rate"] = _rate(cells["clean"]["pii"], cells["clean"]["n"])
    return out


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.0%}" if value in (0, 1) else f"{value:.1%}"


def _cell(report: dict[str, Any], key: str, num: str) -> str:
    c = report["cells"].get(key, {})
    return _pct(_rate(c.get(num, 0), c.get("n", 0)))


def language_table(reports: dict[str, dict[str, Any]]) -> str:
    """Per language: creepy recall, PII recall, clean false blocks, for each guard."""
    names = list(reports)
    head = "| language | measure | " + " | ".join(names) + " |"
    lines = [head, "|---|---|" + "---:|" * len(names)]
    first = reports[names[0]]["cells"]
    for lang in ("all", *LANGS):
        sfx = "" if lang == "all" else f":{lang}"
        n_c = first.get(f"creepy{sfx}", {}).get("n", 0)
        n_p = first.get(f"pii{sfx}", {}).get("n", 0)
        n_k = first.get(f"clean{sfx}", {}).get("n", 0)
        for label, key, num in (
            (f"creepy recall (n={n_c})", f"creepy{sfx}", "caught"),
            ("creepy blocked or warned", f"creepy{sfx}", "flagged"),
            (f"PII recall (n={n_p})", f"pii{sfx}", "caught"),
            (f"clean blocked, any reason (n={n_k})", f"clean{sfx}", "blocked"),
            ("clean warned (not blocked)", f"clean{sfx}", "warned"),
            ("clean blocked by a creepy finding", f"clean{sfx}", "creepy"),
            ("clean blocked by a PII finding", f"clean{sfx}", "pii"),
        ):
            cells = " | ".join(_cell(reports[g], key, num) for g in names)
            lines.append(f"| {lang} | {label} | {cells} |")
    return "\n".join(lines)


def category_table(reports: dict[str, dict[str, Any]]) -> str:
    """Per violation category: recall for each guard."""
    names = list(reports)
    lines = ["| category | n | " + " | ".join(names) + " |", "|---|---:|" + "---:|" * len(names)]
    first = reports[names[0]]["cells"]
    for cat in (*CREEPY, "pii"):
        n = first.get(f"cat:{cat}", {}).get("n", 0)
        if n:
            cells = " | ".join(_cell(reports[g], f"cat:{cat}", "caught") for g in names)
            lines.append(f"| {cat} | {n} | {cells} |")
    return "\n".join(lines)


def miss_lines(report: dict[str, Any], limit: int = 20) -> list[str]:
    """The first `limit` misses and false blocks, one Markdown bullet each."""
    out = []
    for kind, row, v in report["misses"][:limit]:
        codes = ", ".join(sorted({f["code"] for f in v["findings"] if f["severity"] == "block"}))
        text = " ".join(row["text"].split())
        out.append(f"- {kind} ({row['category']}, {row.get('lang', 'en')}): “{text}” {codes}")
    return out
