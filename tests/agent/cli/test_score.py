"""`winback score` through the real CLI: CDNOW in, a cohort that `winback cohort check` accepts out.

Also: every malformed input exits 2 and writes nothing (no cohort, no history);
a second run on shifted data raises a drift alert with exit code 3 and still
writes the cohort; `--evaluate` reports the holdout check; `--json` everywhere.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from agent.cli import app

runner = CliRunner()
MAPPING = "customer: user_id\ndate: timestamp\ndollar_value: amount\n"


@pytest.fixture(scope="module")
def cdnow(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    spec = importlib.util.find_spec("lifetimes")
    assert spec is not None and spec.submodule_search_locations, "install the dev extras"
    raw = Path(next(iter(spec.submodule_search_locations))) / "datasets" / "CDNOW_sample.txt"
    names = ["master_id", "customer", "date", "cds", "dollar_value"]
    frame = pd.read_csv(raw, sep=r"\s+", header=None, names=names, dtype={"customer": str})
    folder = tmp_path_factory.mktemp("cdnow_cli")
    csv = folder / "cdnow.csv"
    frame[["customer", "date", "cds", "dollar_value"]].to_csv(csv, index=False)
    mapping = folder / "mapping.yaml"
    mapping.write_text(MAPPING, encoding="utf-8")
    return csv, mapping


def _score(csv: Path, mapping: Path, out: Path, history: Path, *extra: str):
    args = ["score", str(csv), "--mapping", str(mapping), "-o", str(out)]
    return runner.invoke(app, [*args, "--history", str(history), "--json", *extra])


def test_scored_cdnow_passes_cohort_check(cdnow, tmp_path: Path) -> None:
    csv, mapping = cdnow
    out = tmp_path / "scored.csv"
    result = _score(csv, mapping, out, tmp_path / "hist", "--as-of", "1998-06-30")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["customers"] == 2357 and report["as_of"] == "1998-06-30"
    assert report["drift"]["previous_run"] is None  # the first run is the baseline
    check = runner.invoke(app, ["cohort", "check", str(out), "--json"])
    assert check.exit_code == 0, check.output
    checked = json.loads(check.stdout)
    assert checked["valid_rows"] == checked["rows"] == 2357 and checked["error_count"] == 0
    known = {c["column"] for c in checked["columns"] if c["known"]}
    assert {"churn_score", "propensity", "clv", "engagement_score"} <= known
    frame = pd.read_csv(out, dtype={"user_id": str})
    assert frame["user_id"].iloc[0] == "0001"  # ids stay text
    assert frame["churn_score"].between(0, 1).all() and frame["clv"].ge(0).all()
    # the rule the seeds quote selects a sensible slice of lapsed repeat buyers
    rule = runner.invoke(
        app,
        [
            "cohort",
            "check",
            str(out),
            "--json",
            "--rule",
            "churn_score > 0.7 and lifetime_orders > 3",
        ],
    )
    selected = json.loads(rule.stdout)["rule"]["selected"]
    assert 0 < selected < 2357


@pytest.mark.parametrize("suffix", [".parquet", ".jsonl"])
def test_other_output_formats(cdnow, tmp_path: Path, suffix: str) -> None:
    csv, mapping = cdnow
    out = tmp_path / f"scored{suffix}"
    result = _score(csv, mapping, out, tmp_path / "h", "--no-history")
    assert result.exit_code == 0, result.output
    check = runner.invoke(app, ["cohort", "check", str(out), "--json"])
    assert check.exit_code == 0 and json.loads(check.stdout)["valid_rows"] == 2357


def test_drift_alert_exits_3_and_still_writes(cdnow, tmp_path: Path) -> None:
    csv, mapping = cdnow
    history = tmp_path / "hist"
    out = tmp_path / "scored.csv"
    first = _score(csv, mapping, out, history, "--as-of", "1998-06-30")
    assert first.exit_code == 0
    same = _score(csv, mapping, out, history, "--as-of", "1998-06-30")
    assert same.exit_code == 0, same.output
    assert json.loads(same.stdout)["drift"]["alert"] is False
    out.unlink()
    # the same customers scored a year later: nobody has bought since, every score moves
    later = _score(csv, mapping, out, history, "--as-of", "1999-06-30")
    assert later.exit_code == 3, later.output
    drift = json.loads(later.stdout)["drift"]
    assert drift["alert"] is True and "days_since_last_activity" in drift["alerts"]
    assert drift["psi"]["days_since_last_activity"] >= 0.25
    assert "Drift alert" in later.stderr
    assert out.exists()  # the scores are right for the new data; the alert is for a person
    assert len(list(history.glob("scores-*.json"))) == 3


def test_evaluate_reports_holdout_and_segments(cdnow) -> None:
    csv, mapping = cdnow
    args = ["score", str(csv), "--mapping", str(mapping), "--evaluate", "--json"]
    result = runner.invoke(app, [*args, "--calibration-end", "1997-09-30", "--segment-by", "cds"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["calibration"]["customers"] == 2357
    assert report["calibration"]["holdout_weeks"] == 39.0
    assert report["models"]["bg_nbd"]["r"] == pytest.approx(0.243, rel=0.01)
    zero = report["purchases_by_frequency"][0]
    assert zero["repeat_purchases"] == "0" and zero["predicted"] == pytest.approx(0.2251, abs=1e-3)
    assert report["churn"]["brier"] < report["churn"]["brier_base_rate"]
    groupings = {s["grouping"] for s in report["segments"]}
    assert groupings == {"behaviour", "cds"}
    text = runner.invoke(app, [*args[:-1], "--calibration-end", "1997-09-30"])
    assert text.exit_code == 0 and "Reliability" in text.stdout


BAD = [
    ("negative amount", "user_id,timestamp,amount\nu1,2024-01-01,10\nu1,2024-01-09,-4\n", [],
     "row 3, column amount"),
    ("unparseable date", "user_id,timestamp,amount\nu1,2024-13-45,10\n", [],
     "row 2, column timestamp"),
    ("missing column", "user_id,when,amount\nu1,2024-01-01,10\n", [], "no 'timestamp' column"),
    ("empty file", "", [], "the file is empty"),
    ("as-of before all data", "user_id,timestamp,amount\nu1,2024-01-01,10\n",
     ["--as-of", "2020-01-01"], "every event is after the as-of date"),
    ("event after as-of", "user_id,timestamp,amount\nu1,2024-01-01,10\nu1,2024-03-01,5\n",
     ["--as-of", "2024-02-01"], "row 3, column timestamp"),
    ("single event at as-of", "user_id,timestamp,amount\nu1,2024-01-01,10\nu2,2024-02-01,5\n",
     ["--as-of", "2024-02-01"], "first bought on the as-of date"),
    ("bad as-of", "user_id,timestamp,amount\nu1,2024-01-01,10\n", ["--as-of", "soon"],
     "not a date"),
    ("mapping names a missing column", "user_id,timestamp,amount\nu1,2024-01-01,10\n",
     ["--mapping", "MAP"], "the mapping renames 'price'"),
    ("unknown output type", "user_id,timestamp,amount\nu1,2024-01-01,10\n", ["-o", "OUT.xlsx"],
     "unknown file type"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "text", "extra", "words"), BAD, ids=[b[0] for b in BAD])
def test_bad_input_exits_2_and_writes_nothing(
    tmp_path: Path, name: str, text: str, extra: list[str], words: str
) -> None:
    path = tmp_path / "tx.csv"
    path.write_text(text, encoding="utf-8")
    (tmp_path / "map.yaml").write_text("price: amount\n", encoding="utf-8")
    extra = [e.replace("MAP", str(tmp_path / "map.yaml")) for e in extra]
    extra = [e.replace("OUT", str(tmp_path / "out")) for e in extra]
    out = ["-o", str(tmp_path / "out.csv")] if "-o" not in extra else []
    history = tmp_path / "hist"
    result = runner.invoke(app, ["score", str(path), *out, "--history", str(history), *extra])
    assert result.exit_code == 2, result.output
    assert words in result.stderr, result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["map.yaml", "tx.csv"]


def test_event_weight_is_checked(tmp_path: Path) -> None:
    path = tmp_path / "tx.csv"
    path.write_text("user_id,timestamp,amount\nu1,2024-01-01,10\n", encoding="utf-8")
    result = runner.invoke(
        app, ["score", str(path), "-o", str(tmp_path / "o.csv"), "--event-weight", "open"]
    )
    assert result.exit_code == 2 and "KIND=WEIGHT" in result.output


def test_help_lists_the_options() -> None:
    result = runner.invoke(app, ["score", "--help"])
    assert result.exit_code == 0
    for option in ("--as-of", "--evaluate", "--drift-threshold", "--segment-by", "--json"):
        assert option in result.stdout


def test_engagement_events_raise_engagement(tmp_path: Path) -> None:
    tx = tmp_path / "tx.csv"
    rows = ["user_id,timestamp,amount"]
    for user in range(40):
        rows += [f"u{user},2024-01-0{1 + user % 5},20", f"u{user},2024-02-1{user % 7},{10 + user}"]
    tx.write_text("\n".join(rows) + "\n", encoding="utf-8")
    events = tmp_path / "events.jsonl"
    events.write_text(
        "".join(
            f'{{"user_id": "u{u}", "timestamp": "2024-03-{d:02d}", "event": "session"}}\n'
            for u in range(0, 40, 2)
            for d in range(1, 29)
        ),
        encoding="utf-8",
    )
    base = ["score", str(tx), "--as-of", "2024-03-31", "--no-history", "--json", "-o"]
    plain = runner.invoke(app, [*base, str(tmp_path / "a.csv")])
    assert plain.exit_code == 0, plain.output
    with_events = runner.invoke(
        app,
        [*base, str(tmp_path / "b.csv"), "--events", str(events), "--event-weight", "session=2"],
    )
    assert with_events.exit_code == 0, with_events.output
    assert json.loads(with_events.stdout)["engagement_events"] == 20 * 28
    a = pd.read_csv(tmp_path / "a.csv", index_col="user_id")
    b = pd.read_csv(tmp_path / "b.csv", index_col="user_id")
    assert (b.loc["u0", "engagement_score"] > 0.5) and (a.loc["u0", "engagement_score"] < 0.3)
    assert b.loc["u1", "engagement_score"] == a.loc["u1", "engagement_score"]
    assert b.loc["u0", "days_since_last_activity"] == 3  # the last session, not the last order
    check = runner.invoke(app, ["cohort", "check", str(tmp_path / "b.csv")])
    assert check.exit_code == 0
