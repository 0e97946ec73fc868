"""Outcomes imported idempotently; lift per variant and segment, per-protocol, global control."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, update
from typer.testing import CliRunner

from agent.cli import app
from agent.store import list_drafts
from agent.store.global_holdouts import record_global_holdouts
from agent.store.rows import utcnow
from agent.store.schema import drafts, outcomes
from tests.agent.conftest import draft

runner = CliRunner()
multitest = pytest.importorskip("statsmodels.stats.multitest", reason="statsmodels is a dev extra")


def rows() -> list[dict]:
    """300 users: 60 control, 60 baseline, 180 treatment over 2 segments and 3 variants."""
    arms = ["control"] * 60 + ["baseline"] * 60 + ["treatment"] * 180
    return [draft(i, arm) for i, arm in enumerate(arms)]


def write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(["user_id,converted,revenue", *lines]) + "\n")
    return path


def lift_json(db_url: str, *args: str) -> dict:
    res = runner.invoke(app, ["lift", *args, "--db", db_url, "--json"])
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


def stored(engine: Engine) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(outcomes)).scalar_one()


def test_reimport_is_idempotent_and_later_files_update(
    engine: Engine, db_url: str, seed, tmp_path: Path
) -> None:
    batch = seed(rows())
    users = sorted({d["user_id"] for d in list_drafts(engine, batch_id=batch)})
    first = write(
        tmp_path / "week1.csv", [f"{u},{int(i % 4 == 0)},9.5" for i, u in enumerate(users)]
    )
    one = lift_json(db_url, batch, str(first))
    assert one["outcomes_import"]["inserted"] == 300 and stored(engine) == 300
    two = lift_json(db_url, batch, str(first))
    assert two["outcomes_import"] | {"file": None} == {
        **one["outcomes_import"],
        "file": None,
        "inserted": 0,
        "unchanged": 300,
    }
    for key in ("arms", "comparisons", "variants", "segments"):
        assert two[key] == one[key]
    assert stored(engine) == 300
    # a later file: two more conversions, and users not in the batch: refused (their total
    # named, nothing imported) unless --ignore-unknown, which skips and counts them
    later = [f"{u},{int(i % 4 == 0 or i in (1, 2))},9.5" for i, u in enumerate(users)]
    week2 = str(write(tmp_path / "week2.csv", [*later, "zz1,1,", "zz2,0,"]))
    refused = runner.invoke(app, ["lift", batch, week2, "--db", db_url])
    assert refused.exit_code == 2
    assert "2 of 302 row(s) are for users not in batch" in refused.stderr
    assert "--ignore-unknown" in refused.stderr
    assert lift_json(db_url, batch)["arms"] == one["arms"]  # nothing was imported
    three = lift_json(db_url, batch, week2, "--ignore-unknown")
    assert (three["outcomes_import"]["updated"], three["outcomes_import"]["unchanged"]) == (2, 298)
    assert three["users_not_in_batch"] == 2 and three["outcomes_import"][
        "examples_not_in_batch"
    ] == [
        "zz1",
        "zz2",
    ]
    assert stored(engine) == 300
    total = sum(a["conversions"] for a in three["arms"].values())
    assert total == sum(a["conversions"] for a in one["arms"].values()) + 2
    # the report alone, from what is stored
    again = lift_json(db_url, batch)
    assert again["arms"] == three["arms"] and again["outcomes_import"] is None
    text = runner.invoke(app, ["lift", batch, week2, "--ignore-unknown", "--db", db_url])
    assert "2 row(s) are for users not in this batch and were skipped" in text.stdout


def test_report_without_outcomes_and_bad_correction(db_url: str, seed) -> None:
    batch = seed(rows())
    res = runner.invoke(app, ["lift", batch, "--db", db_url])
    assert res.exit_code == 2 and "No outcomes imported for batch" in res.stderr
    res = runner.invoke(app, ["lift", batch, "--db", db_url, "--correction", "bonferroni"])
    assert res.exit_code == 2 and "Unknown correction 'bonferroni'" in res.stderr


def test_per_variant_and_segment_lift_with_the_stated_correction(
    engine: Engine, db_url: str, seed, tmp_path: Path
) -> None:
    batch = seed(rows())
    arm_of = {d["user_id"]: d["arm"] for d in list_drafts(engine, batch_id=batch)}
    every = {"control": 10, "baseline": 6, "treatment": 3}
    lines = [f"{u},{int(int(u[1:]) % every[a] == 0)}," for u, a in sorted(arm_of.items())]
    path = write(tmp_path / "o.csv", lines)
    for correction, sm_method in (("holm", "holm"), ("bh", "fdr_bh")):
        report = lift_json(db_url, batch, str(path), "--correction", correction)
        assert report["correction"]["method"] == correction
        family = [
            c
            for group in (
                report["variants"],
                report["segments"],
                [v for s in report["segments"] for v in s["variants"]],
            )
            for item in group
            for c in item["comparisons"]
        ]
        assert report["correction"]["comparisons"] == len(family) > 10
        raw = [c["p_value"] for c in family]
        expected = multitest.multipletests(raw, method=sm_method)[1]
        assert [c["p_value_adjusted"] for c in family] == pytest.approx(list(expected))
    variants = {v["variant"]: v for v in report["variants"]}
    assert set(variants) == {"c0-email-v0", "c1-email-v1", "c0-email-v2", "c1-email-v0",
                             "c0-email-v1", "c1-email-v2"}  # fmt: skip
    assert sum(v["users"] for v in variants.values()) == 180
    assert {s["name"] for s in report["segments"]} == {"seg-0", "seg-1"}
    seg0 = next(s for s in report["segments"] if s["name"] == "seg-0")
    assert (
        seg0["arms"]["control"]["users"] == 30 and seg0["comparisons"][0]["reference"] == "control"
    )
    # the arm-level comparisons keep their keys and gain the always-valid result
    for c in report["comparisons"]:
        assert {"absolute_ci", "p_value", "test", "significant", "sequential"} <= set(c)
        assert c["sequential"]["ci"][0] <= c["absolute_ci"][0]
    text = runner.invoke(app, ["lift", batch, "--db", db_url], env={"COLUMNS": "100"})
    assert "By variants" in text.stdout and "always valid (safe to check daily)" in text.stdout
    assert "Benjamini-Hochberg" not in text.stdout and "Holm step-down" in text.stdout


def test_per_protocol_view_counts_only_exported_drafts(
    engine: Engine, db_url: str, seed, tmp_path: Path
) -> None:
    batch = seed(rows())
    exported = [f"u{i:05d}" for i in range(60, 300, 2)]  # half of baseline and treatment
    with engine.begin() as conn:
        conn.execute(
            update(drafts)
            .where(drafts.c.batch_id == batch, drafts.c.user_id.in_(exported))
            .values(status="approved", exported_at=utcnow())
        )
    path = write(tmp_path / "o.csv", [f"u{i:05d},{int(i % 5 == 0)}," for i in range(300)])
    itt = lift_json(db_url, batch, str(path))
    pp = lift_json(db_url, batch, "--per-protocol")
    assert itt["view"] == "itt" and itt["arms"]["treatment"]["users"] == 180
    assert pp["view"] == "per_protocol" and pp["method"].startswith("per-protocol")
    assert {a: pp["arms"][a]["users"] for a in pp["arms"]} == {
        "control": 60,
        "baseline": 30,
        "treatment": 90,
    }
    assert pp["sample_ratio_mismatch"] == itt["sample_ratio_mismatch"]  # on assigned arms
    text = runner.invoke(app, ["lift", batch, "--db", db_url, "--per-protocol"])
    assert "Per-protocol view" in text.stdout


def test_lift_against_the_global_control(engine: Engine, db_url: str, seed, tmp_path: Path) -> None:
    batch = seed(rows())
    held = [f"g{i}" for i in range(40)]
    assert record_global_holdouts(engine, batch, held, period="2025-Q1", share=0.05) == 40
    assert record_global_holdouts(engine, batch, held, period="2025-Q1", share=0.05) == 0
    lines = [f"u{i:05d},{int(i % 3 == 0)}," for i in range(300)]
    lines += [f"g{i},{int(i % 10 == 0)}," for i in range(40)] + ["stranger,1,"]
    report = lift_json(db_url, batch, str(write(tmp_path / "o.csv", lines)), "--ignore-unknown")
    gc = report["global_control"]
    assert (gc["users"], gc["conversions"], gc["periods"]) == (40, 4, ["2025-Q1"])
    assert [(c["treated"], c["reference"]) for c in gc["comparisons"]] == [
        ("treatment", "global_control"),
        ("baseline", "global_control"),
        ("control", "global_control"),
    ]
    assert "fewer than 1,000" in gc["warnings"][0]
    assert report["users_not_in_batch"] == 1 and stored(engine) == 340
    text = runner.invoke(app, ["lift", batch, "--db", db_url])
    assert "Global control (2025-Q1): 40 users held out" in text.stdout
