"""`winback cohort ...`: check a cohort before a run (the logic lives in `segments`)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from agent.cli.display import echo_json
from agent.cli.options import (
    FROM_FLAGS,
    CohortFlags,
    JsonOpt,
    MappingOpt,
    RuleOpt,
    cohort_options,
)

if TYPE_CHECKING:
    from segments.cohort_report import CohortReport

# segments.cohort_problems.DEFAULT_CAP, repeated so that --help needs no pandas import
# (tests/agent/cli/test_startup.py checks that they match)
MAX_ERRORS_DEFAULT = 100
# segments.cohort_check.ENGINES and DEFAULT_ENGINE, repeated for the same reason
ENGINES = ("arrow", "duckdb", "pandas")
ENGINE_DEFAULT = "arrow"

cohort_app = typer.Typer(
    help="The at-risk cohort: check a CSV, Parquet, JSONL file or SQL table before a run.",
    no_args_is_help=True,
)


@cohort_app.command("check")
@cohort_options()
def check(
    file: Annotated[
        Path | None,
        typer.Argument(help="Cohort file: .csv/.tsv, .parquet or .jsonl.", show_default=False),
    ] = None,
    cohort_flags: CohortFlags = FROM_FLAGS,
    rule: RuleOpt = None,
    max_errors: Annotated[
        int, typer.Option("--max-errors", min=1, help="Problems listed in full (all are counted).")
    ] = MAX_ERRORS_DEFAULT,
    engine: Annotated[
        str,
        typer.Option(
            "--engine",
            help="How a CSV file is checked: arrow (one parallel read with Apache Arrow), "
            "duckdb (one scan in DuckDB) or pandas. With arrow and duckdb, a file with any "
            "problem is re-read by pandas, which names each one by row. A Parquet file is "
            "read by Arrow and a --table counted in the database, unless pandas.",
        ),
    ] = ENGINE_DEFAULT,
    as_json: JsonOpt = False,
) -> None:
    """Validate a cohort: counts, score distribution, column coverage and every problem."""
    from segments.cohort_check import check_cohort

    if (file is None) == (cohort_flags.sql is None):
        raise typer.BadParameter("give a FILE or --sql URL (with --table or --query), not both")
    if engine not in ENGINES:
        raise typer.BadParameter(f"--engine must be one of {', '.join(ENGINES)}, not {engine!r}")
    report = check_cohort(
        cohort_flags.source(file), max_problems=max_errors, rule=rule, engine=engine
    )  # type: ignore[arg-type]
    if as_json:
        echo_json(report.as_dict(), indent=2)
    else:
        _print(report)
    if not report.ok:
        # SystemExit, not typer.Exit: the root boundary treats typer.Exit as a crash (typer 0.29)
        raise SystemExit(2)


@cohort_app.command("select")
def select(
    sql: Annotated[str, typer.Option("--sql", help="SQLAlchemy URL of the warehouse.")],
    table: Annotated[str, typer.Option("--table", help="Cohort table (schema.table allowed).")],
    campaign: Annotated[str, typer.Option("--campaign", help="Campaign name: the arm salt.")],
    rule: RuleOpt = None,
    channel: Annotated[
        list[str] | None, typer.Option("--channel", help="Channel(s) to keep users for.")
    ] = None,
    control: Annotated[float, typer.Option("--control", help="Control fraction.")] = 0.10,
    baseline: Annotated[float, typer.Option("--baseline", help="Baseline fraction.")] = 0.10,
    suppression_table: Annotated[
        str | None,
        typer.Option(
            "--suppression-table",
            help="Table of user_id[, channel][, contacted_at] in the same database.",
            show_default=False,
        ),
    ] = None,
    cap_days: Annotated[int, typer.Option("--cap-days", min=0, help="Frequency cap.")] = 7,
    mapping: MappingOpt = None,
    output: Annotated[
        Path | None,
        typer.Option("--output", help="Write the selected rows to this CSV.", show_default=False),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Select in the database: rule, suppression and arms run there; only selected rows return."""
    from segments.cohort_source import CohortSource
    from segments.database_selection import select_in_database

    source = CohortSource(sql_url=sql, table=table, mapping=mapping)
    selection = select_in_database(
        source, rule=rule, channels=channel or ["email"], salt=campaign, control=control,
        baseline=baseline, suppression_table=suppression_table, cap_days=cap_days,
    )  # fmt: skip
    written = selection.write_csv(output) if output else None
    summary = {**selection.as_dict(), "written": written, "output": str(output) if output else None}
    if as_json:
        echo_json(summary, indent=2)
        return
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    out = Table(title=f"Selection in {escape(selection.source)}", show_header=False)
    for key in ("rows", "rule_matched", "kept", "written"):
        out.add_row(key, str(summary[key]))
    for name, value in {**selection.reasons, **selection.arms}.items():
        out.add_row(name, str(value))
    Console().print(out)


def _print(report: CohortReport) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table
    from rich.text import Text

    from segments.cohort_problems import explain_problems

    out = Console()
    err = Console(stderr=True)
    summary = Table(title=f"Cohort {escape(str(report.source))}", show_header=False)
    summary.add_row("rows", str(report.rows))
    summary.add_row("valid rows", str(report.valid_rows))
    summary.add_row("invalid rows", str(report.invalid_rows))
    summary.add_row("problems", str(report.error_count))
    for src, dst in report.renamed.items():
        summary.add_row("renamed", Text(f"{src} -> {dst}"))
    if report.rule:
        rule = report.rule
        summary.add_row(
            "rule", Text(f"{rule['rule']}: {rule['selected']} of {rule['of_valid_rows']}")
        )
    out.print(summary)
    if report.score.get("count"):
        score = Table("churn_score", *[k for k in report.score if k not in ("buckets",)])
        score.add_row("", *[str(v) for k, v in report.score.items() if k != "buckets"])
        out.print(score)
        buckets = Table("score band", "users")
        for band, n in report.score["buckets"].items():
            buckets.add_row(band, str(n))
        out.print(buckets)
    if report.columns:
        cols = Table("column", "type", "known", "non-null", "coverage", title="Columns")
        for c in report.columns:
            cols.add_row(
                Text(c["column"]), c["type"], "yes" if c["known"] else "feature",
                str(c["non_null"]), f"{c['coverage']:.0%}",
            )  # fmt: skip
        out.print(cols)
    if report.problems:
        err.print("[bold]Problems[/bold]")
        for line in explain_problems(report.problems):
            err.print(line, soft_wrap=True, markup=False, highlight=False)
        more = report.error_count - len(report.problems)
        if more > 0:
            err.print(f"... and {more} more problems ({report.error_count} in total).")
        err.print(
            f"[red]The cohort has {report.error_count} problem(s).[/red] Fix them, map columns "
            "with --mapping, or run with --skip-invalid to keep only the valid rows."
        )
    else:
        out.print("[green]The cohort is valid.[/green]")
