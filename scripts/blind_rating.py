"""Blind rating of demo drafts: sample, shuffle and hide which version wrote them, then unblind.

The method behind README 'The copy-quality gate, measured':

    # 1. sample N treatment drafts from each demo queue, shuffled, version hidden
    python scripts/blind_rating.py sample before=/path/before.db after=/path/after.db \
        --n 20 --sheet sheet.csv --key key.json
    # 2. the rater fills the `rating` column (1-5: "would a brand manager send this?"),
    #    seeing only the message (channel, subject/title, body), never the version or verdict
    # 3. unblind: mean rating per version, and the share of `pass` drafts rated 1 or 2
    python scripts/blind_rating.py unblind --sheet sheet.csv --key key.json

Drafts are drawn uniformly (seeded) from the treatment arm of the newest batch in
each queue (`label=path.db`), so a variant sent to many users is drawn as often
as it is sent; or from recorded model replies (`label=[rev:]cassette.yaml`), each
template-valid variant rendered with the sample values as one user would see it.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import sqlite3
import statistics
from pathlib import Path


def _drafts(db: str, n: int, rng: random.Random) -> list[dict]:
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    batch = conn.execute("SELECT id FROM batches ORDER BY created_at DESC LIMIT 1").fetchone()[0]
    rows = conn.execute(
        "SELECT id, channel, subject, body, verdict FROM drafts "
        "WHERE batch_id = ? AND arm = 'treatment' ORDER BY id",
        (batch,),
    ).fetchall()
    return [dict(r) for r in rng.sample(rows, min(n, len(rows)))]


def _cassette_drafts(spec: str, n: int, rng: random.Random) -> list[dict]:
    """Template-valid variants from recorded replies (`path` or `rev:path`), as one user sees them.

    Each is composed (e-mail footer, SMS opt-out) and rendered with the sample
    values, then judged by the guardrails and the quality gate (the verdict is
    kept in the key, hidden from the rater).
    """
    import subprocess
    import sys

    sys.path.insert(0, str(Path(__file__).parent))
    from gate_on_cassettes import replies

    from agent.campaign import load_campaign
    from agent.cli.demo import DEMO_CAMPAIGN
    from agent.drafts.check import check_variant
    from agent.drafts.compose import compose, render_sample
    from agent.drafts.template import template_problems
    from agent.run.brand_copy import baseline_fields, quality_gate
    from agent.run.variant_writer import CHANNEL_FIELDS
    from guardrails.findings import verdict_of
    from guardrails.policy import default_policy

    campaign = load_campaign(DEMO_CAMPAIGN)
    judge, policy = quality_gate(campaign, baseline_fields(campaign)), default_policy()
    rev, _, path = spec.rpartition(":")
    text = (
        subprocess.run(["git", "show", f"{rev}:{path}"], capture_output=True, text=True).stdout
        if rev
        else Path(path).read_text()
    )
    pool = []
    for channel, _again, items in replies(text):
        for item in items or []:
            f = {k: str(item.get(k) or "").strip() for k in CHANNEL_FIELDS[channel]}
            if all(f.values()) and not any(
                template_problems(v, campaign.placeholders) for v in f.values()
            ):
                pool.append((channel, f))
    out = []
    for i, (channel, f) in enumerate(rng.sample(pool, min(n, len(pool)))):
        subject, body = compose(channel, f)
        _, guard = check_variant(channel, f, placeholders=campaign.placeholders, policy=policy)
        quality = judge(channel, [f], [])[0][1]
        findings = guard + [x.to_dict() for x in quality.findings]
        out.append(
            {
                "id": f"{path}#{i}",
                "channel": channel,
                "subject": render_sample(subject, campaign.placeholders) if subject else "",
                "body": render_sample(body, campaign.placeholders),
                "verdict": verdict_of(findings),
            }
        )
    return out


def sample(sources: list[str], n: int, sheet: Path, key: Path, seed: int) -> None:
    """Write the blind sheet (id, channel, subject, body, rating) and the hidden key."""
    rng = random.Random(seed)
    items = []
    for source in sources:
        label, db = source.split("=", 1)
        picked = _drafts(db, n, rng) if db.endswith(".db") else _cassette_drafts(db, n, rng)
        items += [{**d, "version": label} for d in picked]
    rng.shuffle(items)
    with sheet.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["item", "channel", "subject", "body", "rating"])
        for i, d in enumerate(items, start=1):
            w.writerow([i, d["channel"], d["subject"] or "", d["body"], ""])
    hidden = {
        str(i): {"version": d["version"], "verdict": d["verdict"], "draft_id": d["id"]}
        for i, d in enumerate(items, start=1)
    }
    key.write_text(json.dumps(hidden, indent=1))
    print(f"{len(items)} drafts in {sheet}; the key is in {key} (do not open it before rating)")


def unblind(sheet: Path, key: Path) -> dict:
    """Mean rating per version and the share of `pass` drafts rated 1 or 2."""
    hidden = json.loads(key.read_text())
    by: dict[str, list[tuple[int, str]]] = {}
    with sheet.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if not row["rating"].strip():
                raise SystemExit(f"item {row['item']} has no rating: rate every item first")
            k = hidden[row["item"]]
            by.setdefault(k["version"], []).append((int(row["rating"]), k["verdict"]))
    out = {}
    for version, rated in sorted(by.items()):
        passed = [r for r, v in rated if v == "pass"]
        out[version] = {
            "drafts": len(rated),
            "mean_rating": round(statistics.mean(r for r, _ in rated), 2),
            "ratings": {s: sum(r == s for r, _ in rated) for s in range(1, 6)},
            "pass_drafts": len(passed),
            "pass_rated_1_or_2": sum(r <= 2 for r in passed),
            "blocked_drafts": sum(v == "block" for _, v in rated),
        }
    print(json.dumps(out, indent=1))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("sample")
    s.add_argument("sources", nargs="+", help="label=path/to/winback.db")
    s.add_argument("--n", type=int, default=20)
    s.add_argument("--sheet", type=Path, required=True)
    s.add_argument("--key", type=Path, required=True)
    s.add_argument("--seed", type=int, default=15)
    u = sub.add_parser("unblind")
    u.add_argument("--sheet", type=Path, required=True)
    u.add_argument("--key", type=Path, required=True)
    args = parser.parse_args()
    if args.cmd == "sample":
        sample(args.sources, args.n, args.sheet, args.key, args.seed)
    else:
        unblind(args.sheet, args.key)


if __name__ == "__main__":
    main()
