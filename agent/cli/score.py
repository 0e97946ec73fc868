"""`winback score`: transactions (and engagement events) in, a scored cohort out.

The logic lives in `segments.scoring`; this module parses options and prints.

Exit codes: 0 scored (or evaluated), 2 bad input (nothing written), 3 scored and
written but a drift alert fired (a score or feature moved past the PSI threshold
against the last run), so a scheduler can alert someone.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from agent.cli.display import echo_json
from agent.cli.options import FROM_FLAGS, CohortFlags, JsonOpt, cohort_options

if TYPE_CHECKING:
    from segments.scoring.calibration import Evaluation
    from segments.scoring.score_run import ScoreRun

# segments.scoring.drift.DRIFT_EXIT_CODE / DEFAULT_THRESHOLD, repeated so --help needs no pandas
DRIFT_EXIT_CODE = 3
DRIFT_THRESHOLD = 0.25


def _weights(values: list[str]) -> dict[str, float]:
    out: dict[str, float] = {}
    for item in values:
        kind, sep, weight = item.partition("=")
        try:
            out[kind.strip()] = float(weight)
        except ValueError:
            sep = ""
        if not sep or not kind.strip() or out[kind.strip()] < 0:
            raise typer.BadParameter(
                f"{item!r}: use KIND=WEIGHT with a weight >= 0, e.g. open=0.5",
                param_hint="--event-weight",
            )
    return out


@cohort_options()
def score(
    events_file: Annotated[
        Path | None,
        typer.Argument(
            metavar="TRANSACTIONS",
            help="Transactions (user_id, timestamp, amount): .csv, .parquet or .jsonl "
            "(or use --sql).",
            show_default=False,
        ),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="Scored cohort to write (.csv, .parquet, .jsonl).",
            show_default=False,
        ),
    ] = None,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            help="Score as of this date, YYYY-MM-DD (default: the last event's day).",
            show_default=False,
        ),
    ] = None,
    cohort_flags: CohortFlags = FROM_FLAGS,
    events: Annotated[
        Path | None,
        typer.Option(
            "--events",
            help="Engagement events (user_id, timestamp, optional event "
            "kind): opens, sessions, visits.",
            show_default=False,
        ),
    ] = None,
    events_mapping: Annotated[
        Path | None,
        typer.Option(
            "--events-mapping", help="YAML renaming the events' columns.", show_default=False
        ),
    ] = None,
    horizon_days: Annotated[
        float, typer.Option("--horizon-days", help="Churn and propensity horizon N, in days.")
    ] = 30.0,
    clv_horizon_days: Annotated[
        float, typer.Option("--clv-horizon-days", help="Lifetime value horizon, in days.")
    ] = 365.0,
    discount_rate: Annotated[
        float, typer.Option("--discount-rate", min=0, help="Annual discount rate for the CLV.")
    ] = 0.10,
    churn: Annotated[
        str,
        typer.Option(
            "--churn",
            help="churn_score is P(no purchase in N days) ('no-purchase') "
            "or 1 - P(alive) ('dead').",
        ),
    ] = "no-purchase",
    half_life_days: Annotated[
        float, typer.Option("--half-life-days", min=0.1, help="Engagement decay half-life, days.")
    ] = 14.0,
    event_weight: Annotated[
        list[str] | None,
        typer.Option(
            "--event-weight",
            help="Weight of one kind of engagement event, KIND=W (repeatable; default 1).",
            show_default=False,
        ),
    ] = None,
    date_format: Annotated[
        str | None,
        typer.Option(
            "--date-format",
            help="strftime format of the timestamps, e.g. %d/%m/%Y "
            "(default: ISO 8601, or YYYYMMDD numbers).",
            show_default=False,
        ),
    ] = None,
    skip_new: Annotated[
        bool,
        typer.Option(
            "--skip-new",
            help="Leave out customers whose first purchase is on "
            "the as-of day (otherwise an error).",
        ),
    ] = False,
    keep: Annotated[
        list[str] | None,
        typer.Option(
            "--keep",
            help="Transaction column to carry into the cohort (latest value "
            "per user), e.g. region (repeatable).",
            show_default=False,
        ),
    ] = None,
    history: Annotated[
        Path | None,
        typer.Option(
            "--history",
            help="Folder of past runs' score distributions (default: "
            ".winback/scores/<output name>).",
            show_default=False,
        ),
    ] = None,
    no_history: Annotated[
        bool, typer.Option("--no-history", help="Neither compare with nor record this run.")
    ] = False,
    drift_threshold: Annotated[
        float,
        typer.Option(
            "--drift-threshold",
            help=f"PSI at which a score or feature alerts (exit code {DRIFT_EXIT_CODE}).",
        ),
    ] = DRIFT_THRESHOLD,
    evaluate: Annotated[
        bool,
        typer.Option(
            "--evaluate",
            help="Fit on a calibration period, report predicted "
            "against actual on the holdout, per segment. Writes nothing.",
        ),
    ] = False,
    calibration_end: Annotated[
        str | None,
        typer.Option(
            "--calibration-end",
            help="Last day of the calibration period (with --evaluate; default: halfway).",
            show_default=False,
        ),
    ] = None,
    segment_by: Annotated[
        list[str] | None,
        typer.Option(
            "--segment-by",
            help="Transaction column to check calibration per value "
            "of, e.g. region (with --evaluate; repeatable).",
            show_default=False,
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Score customers from their transactions: churn, propensity, lifetime value, engagement.

    BG/NBD (Fader, Hardie and Lee 2005) and Gamma-Gamma models fitted by maximum
    likelihood; the output is a cohort for `winback run` and `winback cohort check`.
    """
    from segments.cohort_loaders import CohortSource
    from segments.scoring.engagement import EngagementSettings
    from segments.scoring.score_customers import ScoreOptions

    if (events_file is None) == (cohort_flags.sql is None):
        raise typer.BadParameter("give a TRANSACTIONS file or --sql URL (with --table or --query)")
    if churn not in ("no-purchase", "dead"):
        raise typer.BadParameter("use no-purchase or dead", param_hint="--churn")
    if not evaluate and output is None:
        raise typer.BadParameter("say where to write the scored cohort", param_hint="--output")
    options = ScoreOptions(
        transactions=cohort_flags.source(events_file),
        events=None if events is None else CohortSource(path=events, mapping=events_mapping),
        as_of=as_of,
        horizon_days=horizon_days,
        clv_horizon_days=clv_horizon_days,
        discount_rate=discount_rate,
        churn=churn,  # type: ignore[arg-type]
        engagement=EngagementSettings(
            half_life_days=half_life_days, event_weights=_weights(event_weight or [])
        ),
        date_format=date_format,
        skip_new=skip_new,
        keep_columns=tuple(keep or ()),
    )
    if evaluate:
        from segments.scoring.calibration import evaluate as run_evaluation

        report = run_evaluation(
            options, calibration_end=calibration_end, segment_by=tuple(segment_by or ())
        )
        if as_json:
            echo_json(report.as_dict(), indent=2)
        else:
            _print_evaluation(report)
        return
    from segments.scoring.score_run import run_scoring

    assert output is not None
    if no_history:
        folder = None
    elif history is not None:
        folder = history
    else:
        from agent.settings import load_settings

        folder = load_settings().home_path / "scores" / output.stem
    run = run_scoring(options, output, history=folder, drift_threshold=drift_threshold)
    if as_json:
        echo_json(run.as_dict(), indent=2)
    else:
        _print_run(run)
    if run.drift is not None:
        typer.secho(run.drift.message(), err=True, fg="red" if run.drift.alert else None)
        if run.drift.alert:
            raise SystemExit(DRIFT_EXIT_CODE)


def _print_run(run: ScoreRun) -> None:
    out = Console()
    info = run.as_dict()
    summary = Table(title=f"Scored cohort {run.output}", show_header=False)
    for key in ("as_of", "customers", "transactions", "engagement_events"):
        summary.add_row(key.replace("_", " "), str(info[key]))
    if info["skipped_new_customers"]:
        summary.add_row("left out (first bought on the as-of day)",
                        str(info["skipped_new_customers"]))  # fmt: skip
    out.print(summary)
    bg, gg = info["models"]["bg_nbd"], info["models"]["gamma_gamma"]
    models = Table("model", "parameters", "log-likelihood", title="Fitted models")
    models.add_row(
        "BG/NBD (weeks)",
        f"r={bg['r']:.4g} alpha={bg['alpha']:.4g} a={bg['a']:.4g} b={bg['b']:.4g}",
        f"{bg['log_likelihood']:.1f}",
    )
    models.add_row(
        "Gamma-Gamma",
        f"p={gg['p']:.4g} q={gg['q']:.4g} gamma={gg['gamma']:.4g}",
        f"{gg['log_likelihood']:.1f}",
    )
    out.print(models)
    scores = Table("score", "mean", "median", title="Scores")
    for name, s in info["scores"].items():
        scores.add_row(name, f"{s['mean']:g}", f"{s['median']:g}")
    out.print(scores)
    if run.drift is not None and run.drift.psi:
        drift = Table("column", "PSI", title="Drift against the last run")
        for col, psi in run.drift.psi.items():
            drift.add_row(col, Text(f"{psi:.3f}", style="red" if col in run.drift.alerts else ""))
        out.print(drift)


def _print_evaluation(report: Evaluation) -> None:
    out = Console()
    cal = report.calibration
    out.print(
        f"Calibration {cal['first_transaction']} .. {cal['calibration_end']}, holdout to "
        f"{cal['holdout_end']} ({cal['holdout_weeks']} weeks), {cal['customers']} customers",
        markup=False,
    )
    freq = Table("repeat purchases (calibration)", "customers", "actual", "predicted",
                 title="Holdout purchases per customer")  # fmt: skip
    for row in report.purchases_by_frequency:
        freq.add_row(row["repeat_purchases"], str(row["customers"]), f"{row['actual']:.3f}",
                     f"{row['predicted']:.3f}")  # fmt: skip
    t = report.totals
    freq.add_row("total", "", str(t["actual"]), f"{t['predicted']:.1f}")
    out.print(freq)
    c = report.churn
    out.print(
        f"Churn (no purchase in the holdout): Brier {c['brier']:.4f} "
        f"(base rate alone {c['brier_base_rate']:.4f}); observed {c['observed_rate']:.1%}, "
        f"predicted {c['predicted_rate']:.1%}",
        markup=False,
    )
    rel = Table("decile", "customers", "predicted churn", "observed", title="Reliability")
    for row in report.reliability:
        rel.add_row(str(row["decile"]), str(row["customers"]), f"{row['predicted']:.3f}",
                    f"{row['observed']:.3f}")  # fmt: skip
    out.print(rel)
    if report.spend.get("customers"):
        s = report.spend
        out.print(f"Spend per purchase ({s['customers']} customers who bought in both periods): "
                  f"predicted {s['predicted_mean']}, actual {s['actual_mean']}, "
                  f"mean absolute error {s['mean_absolute_error']}", markup=False)  # fmt: skip
    seg = Table("grouping", "group", "customers", "actual", "predicted", "bias", "Brier", "flag",
                title="Per segment")  # fmt: skip
    for g in report.segments:
        bias = "-" if g.bias is None else f"{g.bias:+.0%}"
        seg.add_row(Text(g.grouping), Text(g.group), str(g.customers), f"{g.actual_mean:.3f}",
                    f"{g.predicted_mean:.3f}", bias, f"{g.brier:.3f}",
                    Text(g.reason, style="red" if g.flagged else "dim"))  # fmt: skip
    out.print(seg)
    if report.flagged:
        names = ", ".join(f"{g.grouping}={g.group}" for g in report.flagged)
        typer.secho(f"Segments far from the average: {names}.", err=True, fg="yellow")
