"""`winback lift BATCH OUTCOMES`: conversion per arm and the campaign's lift.

The figures come from `agent.lift.report.lift_report` (methods in
`agent.lift.stats`); this module prints them, in plain words where a marketer
would otherwise misread them (an underpowered test, a sample-ratio mismatch).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from agent.cli.options import DbOpt, JsonOpt, open_queue


def _pct(x: float | None, signed: bool = False) -> str:
    if x is None:
        return "-"
    return f"{x * 100:+.2f}%" if signed else f"{x * 100:.2f}%"


def _pp(x: float | None) -> str:
    return "-" if x is None else f"{x * 100:+.2f} pp"


def verdict_line(c: dict[str, Any]) -> str:
    """One sentence on what a comparison shows."""
    name = f"{c['treated']} vs {c['reference']}"
    if "note" in c:
        return f"{name}: {c['note']}."
    lo, hi = c["absolute_ci"]
    head = (
        f"{name}: {_pp(c['absolute_lift'])} (95% CI {_pp(lo)} to {_pp(hi)}), "
        f"p = {c['p_value']:.4g} ({c['test'].replace('_', ' ')})"
    )
    if c["significant"]:
        head += ": a real difference at the 5% level."
    else:
        head += ": not distinguishable from no effect."
    if c["underpowered"]:
        mde = c["mde_absolute"]
        if mde is None:
            head += " Underpowered: the arms are too small to detect any lift."
        else:
            relative = f" ({_pct(c['mde_relative'], True)} relative)" if c["mde_relative"] else ""
            head += (
                " Underpowered: at these arm sizes only lifts of at least "
                f"{_pp(mde)}{relative} would be detected 80% of the time; "
                "collect more users or run longer."
            )
    return head


def lift(
    batch_id: Annotated[str, typer.Argument(help="Batch id (b-xxxxxxxx).", show_default=False)],
    outcomes: Annotated[
        Path,
        typer.Argument(
            help="CSV with user_id, converted (0/1), optional revenue.", show_default=False
        ),
    ],
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Conversion per arm, lift of treatment over control and baseline, with CIs and p-values."""
    from agent.lift.report import lift_report

    with open_queue(db) as engine:
        report = lift_report(engine, batch_id, outcomes)
    if as_json:
        typer.echo(json.dumps(report))
        return
    console = Console()
    table = Table(
        "arm",
        "users",
        "conversions",
        "rate",
        "revenue",
        "revenue/user",
        title=f"{escape(batch_id)} ({escape(report['campaign'])})",
    )
    for name, a in report["arms"].items():
        table.add_row(
            name,
            str(a["users"]),
            str(a["conversions"]),
            _pct(a["rate"]),
            f"{a['revenue']:.2f}",
            "-" if a["revenue_per_user"] is None else f"{a['revenue_per_user']:.2f}",
        )
    console.print(table)
    # two lines per cell so the table fits an 80-column terminal
    comp = Table(
        "comparison",
        "abs. lift\n(95% CI)",
        "rel. lift\n(95% CI)",
        "p\n(test)",
        "incr.\nconv.",
        "incr.\nrevenue",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )
    for c in report["comparisons"]:
        if "note" in c:
            continue
        abs_ci, rel_ci = c["absolute_ci"], c["relative_ci"]
        comp.add_row(
            f"{c['treated']}\nvs {c['reference']}",
            f"{_pp(c['absolute_lift'])}\n({abs_ci[0] * 100:+.1f}, {abs_ci[1] * 100:+.1f})",
            _pct(c["relative_lift"], True)
            + (f"\n({rel_ci[0] * 100:+.0f}%, {rel_ci[1] * 100:+.0f}%)" if rel_ci else ""),
            f"{c['p_value']:.4g}\n"
            + {"two_proportion_z": "z-test", "fisher_exact": "Fisher"}[c["test"]],
            f"{c['incremental_conversions']:.1f}",
            f"{c['incremental_revenue']:.2f}",
            end_section=True,
        )
    console.print(comp)
    for c in report["comparisons"]:
        console.print(verdict_line(c))
    srm = report["sample_ratio_mismatch"]
    if not srm["checked"]:
        console.print(f"[yellow]Sample ratio not checked: {srm['note']}.[/yellow]")
    elif srm["mismatch"]:
        console.print(
            "[bold red]Sample ratio mismatch[/bold red] "
            f"(chi-square p = {srm['p_value']:.2g}): the arm sizes do not match the configured "
            "fractions, so assignment or data is broken; "
            "do not trust the lift until it is explained."
        )
    else:
        console.print(
            f"Arm sizes match the configured fractions (SRM check p = {srm['p_value']:.3g})."
        )
    if report["missing_users"]:
        console.print(
            f"[yellow]{report['missing_users']} user(s) of the batch are not in the outcomes file "
            "and were counted as not converted.[/yellow]"
        )
    console.print(f"[dim]{report['method']}.[/dim]")
