"""`winback init`: a folder fitted to a cohort (flags or prompts); bad input writes nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from agent.campaign import load_campaign
from agent.cli import app
from agent.drafts.check import check_variant
from agent.drafts.render import load_baseline_copy
from agent.starters.starter_sets import STARTERS_DIR, placeholders_in, verticals
from guardrails.policy import default_policy
from prompts import PROMPTS_DIR
from segments.incentives import load_incentive_catalog

runner = CliRunner()
REPO = Path(__file__).resolve().parents[3]
FULL = REPO / "examples" / "cohort_small.csv"
FILES = {"campaign.yaml", "baseline_copy.yaml", "incentive_catalog.yaml"}
SHIPPED_PREHEADER = "Pick up where you left off, at your own pace."


def cohort(tmp_path: Path, header: str, *rows: str) -> Path:
    path = tmp_path / "cohort.csv"
    path.write_text("\n".join([header, *rows]) + "\n")
    return path


RECORDS = (
    "user_id,churn_score,email,phone,days_since_last_activity,lifetime_orders",
    "c1,0.8,a@example.com,+12025550101,60,4",
    "c2,0.7,b@example.com,,50,1",
)


def init(*args: str, input: str | None = None):
    return runner.invoke(app, ["init", *args], input=input)


def test_flags_write_a_folder_the_run_can_load(tmp_path: Path) -> None:
    path = cohort(tmp_path, *RECORDS)
    out = tmp_path / "camp"
    res = init(
        "--brand", "Acme Records", "--vertical", "retail", "--channels", "email,sms",
        "--cohort", str(path), "--out", str(out), "--budget", "500",
        "--link", "https://acme.example/back", "--json",
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    summary = json.loads(res.stdout)
    assert {p.name for p in out.iterdir()} == FILES
    campaign = load_campaign(out / "campaign.yaml")
    assert campaign.name == "acme-records-winback" and campaign.channels == ["email", "sms"]
    # only what the cohort can fill: no first_name, no favorite_category
    assert campaign.placeholders == ["days_since_last_activity", "incentive"]
    assert summary["placeholders_unavailable"] == ["first_name", "favorite_category"]
    assert campaign.incentive_budget == 500 and campaign.link == "https://acme.example/back"
    copy = yaml.safe_load((out / "baseline_copy.yaml").read_text())
    assert set(copy) == {"email", "email_with_incentive", "sms", "sms_with_incentive"}
    used = placeholders_in(v for fields in copy.values() for v in fields.values())
    assert used <= set(campaign.placeholders)
    for key, fields in copy.items():
        text = " ".join(fields.values())
        assert "Acme Records" in text or "{{" in text
        assert ("{{ incentive }}" in text) == key.endswith("_with_incentive")
    load_baseline_copy(Path(campaign.baseline_copy), campaign.placeholders)
    catalog = load_incentive_catalog(campaign.incentive_catalog)
    assert "Acme" in campaign.brand_voice and catalog.offers
    assert summary["budget_covers_offers"] == 125  # 500 / cheapest paid offer (4)
    assert oct(out.joinpath("campaign.yaml").stat().st_mode & 0o777) != "0o600"


def test_prompts_ask_for_what_is_missing(tmp_path: Path) -> None:
    path = cohort(tmp_path, *RECORDS)
    out = tmp_path / "asked"
    answers = f"Night Owl Radio\nsubscription-media\nemail\n{path}\n{out}\n"
    res = init(input=answers)
    assert res.exit_code == 0, res.output
    assert "Brand name" in res.output and "Vertical" in res.output
    campaign = load_campaign(out / "campaign.yaml")
    assert campaign.name == "night-owl-radio-winback" and campaign.channels == ["email"]
    assert "Night Owl Radio" in (out / "baseline_copy.yaml").read_text()


def test_no_answer_is_a_clear_error(tmp_path: Path) -> None:
    res = init("--vertical", "retail", input="")
    assert res.exit_code == 2 and "Pass every choice as a flag" in res.stderr


def test_fitness_starter_with_a_full_cohort_is_the_shipped_demo_copy(tmp_path: Path) -> None:
    out = tmp_path / "fit"
    res = init(
        "--brand", "Pulse", "--vertical", "fitness", "--channels", "email,sms,push",
        "--cohort", str(FULL), "--out", str(out),
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    written = yaml.safe_load((out / "baseline_copy.yaml").read_text())
    assert written == yaml.safe_load((PROMPTS_DIR / "baseline_copy.yaml").read_text())
    shipped = yaml.safe_load((PROMPTS_DIR / "incentive_catalog.yaml").read_text())
    assert yaml.safe_load((out / "incentive_catalog.yaml").read_text()) == shipped
    campaign = load_campaign(out / "campaign.yaml")
    demo = load_campaign(PROMPTS_DIR / "campaigns" / "fitness-comeback.yaml")
    assert campaign.rule == demo.rule and campaign.placeholders == demo.placeholders


@pytest.mark.parametrize("vertical", ["fitness", "retail", "subscription-media", "food-delivery"])
def test_every_starter_alternative_fits_and_passes_the_guardrails(vertical: str) -> None:
    assert vertical in verticals()
    data = yaml.safe_load((STARTERS_DIR / vertical / "baseline_copy.yaml").read_text())
    policy = default_policy()
    for key, alternatives in data.items():
        assert not placeholders_in(alternatives[-1].values()) - {"incentive"}, key
        for fields in alternatives:
            used = placeholders_in(fields.values())
            assert ("incentive" in used) == key.endswith("_with_incentive"), (key, fields)
            filled = {k: v.replace("%BRAND%", "Acme") for k, v in fields.items()}
            _verdict, findings = check_variant(
                key.split("_with_")[0],
                filled,
                placeholders=["first_name", "favorite_category", "days_since_last_activity",
                              "incentive"],
                policy=policy,
            )  # fmt: skip
            blocks = [f for f in findings if f["severity"] == "block"]
            # the rules never block starter copy; the learned meaning check blocks only the
            # shipped demo preheader (a false positive reported to the guardrails' owners)
            assert all(f["code"].startswith("semantic_") for f in blocks), (vertical, key, blocks)
            if blocks:
                assert fields.get("preheader") == SHIPPED_PREHEADER, (vertical, key, blocks)
    load_incentive_catalog(STARTERS_DIR / vertical / "incentive_catalog.yaml")


def test_offer_needing_a_missing_column_is_removed_not_widened(tmp_path: Path) -> None:
    path = cohort(tmp_path, "user_id,churn_score,email,first_name", "c1,0.8,a@example.com,Ann")
    out = tmp_path / "food"
    res = init(
        "--brand", "Dinnr", "--vertical", "food-delivery", "--channels", "email",
        "--cohort", str(path), "--out", str(out), "--json",
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    summary = json.loads(res.stdout)
    assert "off_10" not in summary["offers"] and "lifetime_orders" in summary["catalog_notes"][0]
    assert summary["rule"] == "churn_score > 0.6"
    assert summary["rule_clauses_dropped"] == [
        "days_since_last_activity >= 14",
        "lifetime_orders >= 2",
    ]
    catalog = load_incentive_catalog(out / "incentive_catalog.yaml")
    assert catalog.tiers["high"]["high"] is None


def _snapshot(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): p.read_text() for p in folder.rglob("*") if p.is_file()}


@pytest.mark.parametrize(
    ("header", "rows", "extra", "message"),
    [
        (
            "user_id,churn_score,email,lifetime_orders",
            ["c1,0.8,a@example.com,3"],
            [],
            "has no column a placeholder could use",
        ),
        (
            "user_id,churn_score,email,first_name",
            ["c1,0.8,a@example.com,"],  # the column exists but is empty
            [],
            "has no column a placeholder could use",
        ),
        (RECORDS[0], list(RECORDS[1:]), ["--vertical", "bakery"], "No starter set for vertical"),
        (RECORDS[0], list(RECORDS[1:]), ["--budget", "3"], "more per redemption than the whole"),
        (RECORDS[0], list(RECORDS[1:]), ["--channels", "fax"], "Unknown channel(s): fax"),
        (RECORDS[0], list(RECORDS[1:]), ["--link", "acme.example"], "is not an http(s) URL"),
        (RECORDS[0], list(RECORDS[1:]), ["--brand", "{{ x }}"], "is not usable"),
        (RECORDS[0], list(RECORDS[1:]), ["--channels", "push"], None),  # push: user_id is enough
        ("user_id,churn_score,first_name", ["c1,0.8,Ann"], [], "needs a email column"),
    ],
)
def test_bad_input_names_the_fix_and_writes_nothing(
    tmp_path: Path, header: str, rows: list[str], extra: list[str], message: str | None
) -> None:
    path = cohort(tmp_path, header, *rows)
    out = tmp_path / "camp"
    base = {"--brand": "Acme", "--vertical": "retail", "--channels": "email"}
    for flag, value in zip(extra[::2], extra[1::2], strict=True):
        base[flag] = value
    args = [a for kv in base.items() for a in kv]
    res = init(*args, "--cohort", str(path), "--out", str(out))
    if message is None:
        assert res.exit_code == 0, res.output
        return
    assert res.exit_code == 2, res.output
    assert message in res.stderr and "Traceback" not in res.output
    assert not out.exists()
    res = init(*args, "--cohort", str(path), "--out", str(out), "--json")
    error = json.loads(res.stdout)
    assert error["exit_code"] == 2 and message in error["error"] and error["fix"]


def test_existing_folder_is_refused_unless_forced(tmp_path: Path) -> None:
    path = cohort(tmp_path, *RECORDS)
    out = tmp_path / "camp"
    args = ["--brand", "Acme", "--vertical", "retail", "--channels", "email", "--cohort", str(path)]
    assert init(*args, "--out", str(out)).exit_code == 0
    (out / "notes.txt").write_text("mine")
    before = _snapshot(out)
    res = init(*args[:1], "Other", *args[2:], "--out", str(out))
    assert res.exit_code == 2 and "already exists" in res.stderr and "--force" in res.stderr
    assert _snapshot(out) == before
    res = init(*args[:1], "Other", *args[2:], "--out", str(out), "--force")
    assert res.exit_code == 0, res.output
    assert "Other" in (out / "baseline_copy.yaml").read_text()
    assert (out / "notes.txt").read_text() == "mine"
