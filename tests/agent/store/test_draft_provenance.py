"""Provenance on drafts: stored (m006), shown in `queue show`, written to the export."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from sqlalchemy import Engine
from typer.testing import CliRunner

from agent.cli import app
from agent.cli.display import provenance_text
from agent.store.decisions import approve_all_passing
from agent.store.drafts import get_draft, list_drafts
from agent.store.export import export_batch
from tests.agent.conftest import draft
from tests.agent.store.test_schema import assert_migration_adds_column

HERE = Path(__file__).parent
PROVENANCE = {
    "prompt": "push_variants@2",
    "model": "smollm2-135m-instruct",
    "candidates": 4,
    "revision": 1,
    "quality_score": 85,
}


def _rows():
    return [
        draft(1, provenance=PROVENANCE),
        draft(2, "baseline", prompt=None),  # the brand's copy: no provenance
    ]


def test_provenance_is_stored_shown_and_exported(engine: Engine, seed, tmp_path: Path) -> None:
    batch_id = seed(_rows())
    stored = {d["user_id"]: d for d in list_drafts(engine, batch_id=batch_id)}
    ai, human = stored["u00001"], stored["u00002"]
    assert get_draft(engine, ai["id"])["provenance"] == PROVENANCE
    assert human["provenance"] is None
    line = provenance_text(ai)
    assert "push_variants@2" in line and "best of 4" in line and "revision 1" in line
    assert "85/100" in line
    assert provenance_text(human) == "the brand's baseline copy"

    approve_all_passing(engine, batch_id, "rev")
    out = tmp_path / "out.csv"
    export_batch(engine, batch_id, out, actor="rev")
    rows = {r["user_id"]: r for r in csv.DictReader(out.open())}
    assert rows["u00001"]["quality_score"] == "85" and rows["u00001"]["candidates"] == "4"
    assert rows["u00001"]["prompt"] == "push_variants@2" and rows["u00001"]["revision"] == "1"
    assert rows["u00002"]["quality_score"] == "" and rows["u00002"]["model"] == ""


def test_queue_show_json_and_panel_carry_provenance(engine: Engine, seed, db_url: str) -> None:
    batch_id = seed(_rows())
    ai = next(d for d in list_drafts(engine, batch_id=batch_id) if d["arm"] == "treatment")
    runner = CliRunner()
    shown = runner.invoke(app, ["queue", "show", str(ai["id"]), "--db", db_url, "--json"])
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.stdout)["provenance"] == PROVENANCE
    panel = runner.invoke(app, ["queue", "show", str(ai["id"]), "--db", db_url])
    assert "best of 4 candidates" in panel.stdout.replace("\n", " ")


def test_m006_adds_provenance_to_an_older_queue(db_url: str, engine: Engine, seed) -> None:
    """A queue written before m006 gains drafts.provenance; its drafts keep NULL there."""
    assert_migration_adds_column(engine, seed(), "provenance", "m006_draft_provenance")
