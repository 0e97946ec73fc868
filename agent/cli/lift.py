"""`winback lift BATCH [OUTCOMES]`: import outcomes, then conversion and lift per arm,
variant and segment.

The figures come from `agent.lift.report.lift_report` (methods in
`agent.lift.stats`, `sequential`, `breakdown`, `multiple_testing`); this module
prints them, in plain words where a marketer would otherwise misread them (an
underpowered test, a sample-ratio mismatch, a per-protocol view).

Exit codes: 0 a report; 2 bad input (nothing imported); 3 the report was
printed (and the outcomes imported) but more than `--max-missing` of the
batch's users have no outcome, so the figures are not to be trusted yet.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from agent.cli.display import echo_json
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


def sequential_line(c: dict[str, Any]) -> str | None:
    """One sentence on the always-valid result of a comparison."""
    seq = c.get("sequential") or {}
    if "note" in c or seq.get("ci") is None:
        return None
    lo, hi = seq["ci"]
    verdict = "a real difference" if seq["significant"] else "not yet distinguishable from none"
    return (
        f"  always valid (safe to check daily): 95% CI {_pp(lo)} to {_pp(hi)}, "
        f"p = {seq['p_value']:.3g}: {verdict}."
    )


def _lift_cell(comparisons: list[dict[str, Any]], reference: str) -> str:
    for c in comparisons:
        if c.get("reference") == reference and "p_value" in c:
            star = " *" if c.get("significant_adjusted") else ""
            return f"{_pp(c['absolute_lift'])}\np={c['p_value_adjusted']:.2g}{star}"
    return "-"


def print_breakdown(console: Console, report: dict[str, Any]) -> None:
    """Per-variant and per-segment tables with adjusted p-values."""
    corr = report["correction"]
    for title, rows in (
        ("variants", [(v["variant"], v, v["comparisons"]) for v in report["variants"]]),
        (
            "segments (treatment arm)",
            [(s["name"], s["arms"]["treatment"], s["comparisons"]) for s in report["segments"]],
        ),
    ):
        if not rows:
            continue
        table = Table(
            title.split(" ")[0][:-1],
            "users",
            "rate",
            "vs control\n(adj. p)",
            "vs baseline\n(adj. p)",
            title=f"By {title}",
            box=box.SIMPLE_HEAD,
            pad_edge=False,
        )
        for name, arm, comps in rows:
            table.add_row(
                escape(str(name)),
                str(arm["users"]),
                _pct(arm["rate"]),
                _lift_cell(comps, "control"),
                _lift_cell(comps, "baseline"),
                end_section=True,
            )
        console.print(table)
    if corr["comparisons"]:
        console.print(
            f"[dim]p-values above adjusted for {corr['comparisons']} comparisons by "
            f"{corr['description']}; * = significant after adjustment.[/dim]"
        )


def print_global_control(console: Console, gc: dict[str, Any]) -> None:
    """The arms against the global control group."""
    console.print(
        f"Global control ({', '.join(gc['periods'])}): {gc['users']} users held out, "
        f"rate {_pct(gc['rate'])}."
    )
    for c in gc["comparisons"]:
        console.print(verdict_line(c))
    for warning in gc["warnings"]:
        console.print(f"[yellow]Global control: {warning}.[/yellow]")


def lift(
    batch_id: Annotated[str, typer.Argument(help="Batch id (b-xxxxxxxx).", show_default=False)],
    outcomes: Annotated[
        Path | None,
        typer.Argument(
            help="CSV with user_id, converted (0/1), optional revenue, converted_at, batch_id; "
            "imported (idempotently) before the report. Omit to report on outcomes already "
            "imported.",
            show_default=False,
        ),
    ] = None,
    per_protocol: Annotated[
        bool,
        typer.Option(
            "--per-protocol",
            help="Count baseline and treatment users only if their draft was approved and "
            "exported (default: intent-to-treat, everyone in their assigned arm).",
        ),
    ] = False,
    correction: Annotated[
        str,
        typer.Option(
            "--correction",
            help="Multiple-comparison correction for per-variant and per-segment lift: holm "
            "(family-wise error) or bh (Benjamini-Hochberg, false discovery rate).",
        ),
    ] = "holm",
    ignore_unknown: Annotated[
        bool,
        typer.Option(
            "--ignore-unknown",
            help="Skip (and count) rows for users who are not in the batch, e.g. a CRM export "
            "of every customer. Without it such rows are an error and nothing is imported.",
        ),
    ] = False,
    max_missing: Annotated[
        float,
        typer.Option(
            "--max-missing",
            help="Share of the batch's users allowed to have no outcome; above it the report "
            "warns and the command exits 3.",
        ),
    ] = 0.20,
    seed: Annotated[
        int,
        typer.Option("--seed", help="Seed of the bootstrap interval for incremental revenue."),
    ] = 20,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Conversion and lift per arm, variant and segment, with fixed and always-valid CIs.

    Exit 3 (after the report) when more than --max-missing of the batch has no outcome.
    """
    from agent.errors import WinbackError
    from agent.lift.multiple_testing import CORRECTIONS
    from agent.lift.report import lift_report

    if correction not in CORRECTIONS:
        raise WinbackError(
            f"Unknown correction {correction!r}", f"Use --correction {' or '.join(CORRECTIONS)}."
        )
    view = "per_protocol" if per_protocol else "itt"
    with open_queue(db) as engine:
        report = lift_report(
            engine,
            batch_id,
            outcomes,
            view=view,
            correction=correction,
            ignore_unknown=ignore_unknown,
            max_missing=max_missing,
            seed=seed,
        )
    if as_json:
        echo_json(report)
        _exit_if_missing(report)
        return
    console = Console()
    imported = report["outcomes_import"]
    if imported:
        console.print(
            f"Imported {imported['file']}: {imported['inserted']} new, {imported['updated']} "
            f"updated, {imported['unchanged']} unchanged."
        )
        if imported["users_not_in_batch"]:
            console.print(
                f"[yellow]{imported['users_not_in_batch']} row(s) are for users not in this "
                f"batch and were skipped (--ignore-unknown; e.g. "
                f"{', '.join(map(repr, imported['examples_not_in_batch']))}).[/yellow]"
            )
    if view != "itt":
        console.print(f"[bold yellow]Per-protocol view[/bold yellow]: {report['method']}.")
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
        "incr. revenue\n(95% CI)",
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
            f"{c['incremental_revenue']:.2f}" + _revenue_ci(c),
            end_section=True,
        )
    console.print(comp)
    for c in report["comparisons"]:
        console.print(verdict_line(c))
        seq = sequential_line(c)
        if seq:
            console.print(seq)
    print_breakdown(console, report)
    if report["global_control"]:
        print_global_control(console, report["global_control"])
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
    missing = report["missing"]
    if missing["exceeded"]:
        Console(stderr=True).print(
            f"[bold red]{missing['users']} of the batch's users ({missing['share']:.0%}) have no "
            f"outcome, more than --max-missing {missing['threshold']:.0%}[/bold red]: they count "
            "as not converted, so every figure above is biased. Import an outcomes file that "
            "covers the whole batch (exit code 3)."
        )
    elif report["missing_users"]:
        console.print(
            f"[yellow]{report['missing_users']} user(s) of the batch have no imported outcome "
            "and were counted as not converted.[/yellow]"
        )
    console.print(
        f"[dim]{report['method']}. Incremental revenue intervals: percentile bootstrap "
        f"(seed {seed}).[/dim]"
    )
    _exit_if_missing(report)


def _revenue_ci(c: dict[str, Any]) -> str:
    ci = c.get("incremental_revenue_ci")
    return f"\n({ci[0]:.2f}, {ci[1]:.2f})" if ci else ""


def _exit_if_missing(report: dict[str, Any]) -> None:
    """Exit 3 when too many of the batch's users have no outcome (module doc)."""
    if report["missing"]["exceeded"]:
        raise typer.Exit(3)
