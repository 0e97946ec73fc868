"""The copy-quality gate applied to recorded model replies (cassettes): how much copy passes.

Every variant reply in the given cassette files (forced tool calls of
EmailVariants, SmsVariants or PushVariants, recorded from the embedded model)
is judged as the variant writer judges candidates: the template allow-list, the
guardrails on the template rendered with sample values, then the copy-quality
gate with the demo campaign's brand words. A reply to a prompt that carried
feedback is a revision; the others are first tries. Prints per channel:
candidates, share template-valid, share passing guardrails and gate, per round,
and the rules that blocked them.

    python scripts/gate_on_cassettes.py --rev 2da9cd1 cassettes/test_demo_cli/*.yaml ...
    python scripts/gate_on_cassettes.py cassettes/test_run_cli/*.yaml      # the working tree
"""

from __future__ import annotations

import argparse
import json
import subprocess
from collections import Counter, defaultdict
from pathlib import Path

import yaml

from agent.campaign import load_campaign
from agent.cli.demo import DEMO_CAMPAIGN
from agent.drafts.check import check_variant
from agent.drafts.template import template_problems
from agent.run.brand_copy import baseline_fields, quality_gate
from agent.run.variant_writer import CHANNEL_FIELDS
from guardrails.policy import default_policy

CHANNEL_OF = {"EmailVariants": "email", "SmsVariants": "sms", "PushVariants": "push"}


def replies(text: str):
    """(channel, is_revision, [fields]) for each variant reply in one cassette's text."""
    for item in yaml.safe_load(text).get("interactions", []):
        request = json.loads(item["request"]["body"])
        body = item["response"]["body"]["string"]
        try:
            reply = json.loads(body)
        except (TypeError, ValueError):
            continue
        for choice in reply.get("choices", []):
            for call in choice["message"].get("tool_calls") or []:
                channel = CHANNEL_OF.get(call["function"]["name"])
                if channel is None:
                    continue
                try:
                    args = json.loads(call["function"]["arguments"])
                except ValueError:
                    yield channel, False, None
                    continue
                prompt = " ".join(m["content"] or "" for m in request["messages"])
                revision = "rejected" in prompt or "were blocked" in prompt
                retry = any(m["role"] == "assistant" for m in request["messages"])
                items = args.get("variants") if isinstance(args, dict) else None
                yield channel, revision or retry, items if isinstance(items, list) else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+")
    parser.add_argument("--rev", help="read the files at this git revision")
    args = parser.parse_args()
    campaign = load_campaign(DEMO_CAMPAIGN)
    judge = quality_gate(campaign, baseline_fields(campaign))
    policy = default_policy()
    stats: dict = defaultdict(Counter)
    reasons: dict = defaultdict(Counter)
    for name in args.files:
        text = (
            subprocess.run(
                ["git", "show", f"{args.rev}:{name}"], capture_output=True, text=True, check=True
            ).stdout
            if args.rev
            else Path(name).read_text()
        )
        for channel, again, items in replies(text):
            key = (channel, "revision" if again else "first")
            stats[key]["replies"] += 1
            fields = []
            for item in items or []:
                stats[key]["candidates"] += 1
                f = {k: str(item.get(k) or "").strip() for k in CHANNEL_FIELDS[channel]}
                if any(not v for v in f.values()) or any(
                    template_problems(v, campaign.placeholders) for v in f.values()
                ):
                    stats[key]["invalid"] += 1
                    continue
                fields.append(f)
            for i, result in judge(channel, fields, []):
                verdict, _findings = check_variant(
                    channel, fields[i], placeholders=campaign.placeholders, policy=policy
                )
                guard_ok = verdict != "block"
                stats[key]["guard_pass"] += guard_ok
                stats[key]["gate_pass"] += result.verdict != "block"
                stats[key]["both_pass"] += guard_ok and result.verdict != "block"
                stats[key]["score_sum"] += result.score
                reasons[channel].update(set(result.codes))
    out = {}
    for (channel, round_), c in sorted(stats.items()):
        n = c["candidates"] or 1
        out[f"{channel}/{round_}"] = {
            "replies": c["replies"],
            "candidates": c["candidates"],
            "template_valid": round(1 - c["invalid"] / n, 3),
            "guardrails_pass": round(c["guard_pass"] / n, 3),
            "gate_pass": round(c["gate_pass"] / n, 3),
            "both_pass": round(c["both_pass"] / n, 3),
            "mean_score": round(c["score_sum"] / max(n - c["invalid"], 1), 1),
        }
    out["rules_fired"] = {ch: dict(r.most_common()) for ch, r in reasons.items()}
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
