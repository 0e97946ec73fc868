"""The allocation stage: what earlier batches of a campaign teach the next one.

Before the variant prompts, `past_results` reads every earlier batch of the
same campaign that has imported outcomes: who received which variant
(`agent.store.batch_exposure`), who converted (`agent.store.outcomes`), and the
variants' template text, which each batch stores in its config snapshot
(`variant_allocation.variants`, written by `store_allocation`). It yields

- a history per variant *text*: a variant's id across batches is
  `w-` + the first 8 hex digits of sha256(channel, subject, body)
  (`content_id`), so the same copy keeps its results whatever key
  (`c0-email-v1`) a batch gave it; new LLM copy has no history;
- the winners (`agent.lift.winners.pick_winners`, per batch, segment and
  channel, against the segment's baseline or control arm).

`winner_examples` turns the winners into few-shot examples for the variant
prompts of the segment with the same name (the brand's own examples follow).
After the prompts, `allocate` carries each winner into that segment as one
more variant, keyed by its stable id and re-checked against today's template
allow-list and guardrails, then divides each segment and channel's treatment
users across its variants: Thompson sampling on the history with a floor
(`agent.lift.thompson_allocation.thompson_shares`), or an equal split when no
variant has history or the campaign asks for `allocation: {method: equal}`.
Every share comes with its reason, in the run's JSON, in the batch's stored
config and in `winback queue show`.

What this stage can never do: give a control, baseline or global-control user
a variant. The shares only weight the dealing of treatment users in
`agent.drafts.assignment`; the arms were fixed before (`segments.experiment_arms`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import update
from sqlalchemy.engine import Engine

from agent.campaign import EXAMPLE_FIELDS, Campaign
from agent.drafts.check import check_variant
from agent.drafts.template import template_problems
from agent.lift.breakdown import batch_users
from agent.lift.thompson_allocation import VariantHistory, thompson_shares, uniform_shares
from agent.lift.winners import Reference, VariantResult, WinnerDecision, pick_winners
from agent.run.plan_stage import BatchPlan
from agent.run.variant_writer import Variant
from agent.store.batch_exposure import batch_exposure
from agent.store.batches import get_batch, list_batches
from agent.store.outcomes import load_outcomes
from agent.store.schema import batches
from guardrails.findings import verdict_of
from guardrails.policy import Policy


def content_id(channel: str, fields: Mapping[str, str]) -> str:
    """A variant's id across batches: `w-` + 8 hex digits of sha256(channel, subject, body)."""
    subject = fields.get("subject") or fields.get("title") or ""
    body = fields.get("body") or fields.get("text") or ""
    digest = hashlib.sha256("\x1f".join((channel, subject, body)).encode("utf-8"))
    return f"w-{digest.hexdigest()[:8]}"


@dataclass
class CarriedVariant(Variant):
    """A winner of an earlier batch, sent again under its stable id."""

    stable_id: str = ""
    from_batch: str = ""

    @property
    def key(self) -> str:
        """The stable id (`w-...`), not the batch-local `c<cluster>-<channel>-v<n>`."""
        return self.stable_id

    def provenance(self) -> dict[str, Any]:
        """What wrote it, plus the batch it won in."""
        return {**super().provenance(), "carried_from": self.from_batch}


@dataclass
class PastWinner:
    """A variant that won its segment in an earlier batch, with its full template text."""

    batch_id: str
    decision: WinnerDecision
    fields: dict[str, str]
    prompt: str | None = None

    @property
    def id(self) -> str:
        """Its stable id."""
        return content_id(self.decision.channel, self.fields)


@dataclass
class History:
    """What earlier batches of the campaign say: results per variant text, and the winners."""

    batches: list[str] = field(default_factory=list)
    results: dict[str, VariantHistory] = field(default_factory=dict)
    decisions: list[dict[str, Any]] = field(default_factory=list)
    winners: list[PastWinner] = field(default_factory=list)

    def of(self, channel: str, fields: Mapping[str, str]) -> VariantHistory:
        """The summed past results of this text (zero when it is new)."""
        return self.results.get(content_id(channel, fields), VariantHistory("new"))


def _batch_results(
    batch_id: str, meta: Mapping[str, Any], engine: Engine
) -> tuple[list[VariantResult], dict[str, Reference], dict[str, dict[str, Any]]]:
    """One batch's per-variant results (keyed by stable id), references, and texts."""
    outcomes = load_outcomes(engine, batch_id)
    exposure = batch_exposure(engine, batch_id)
    users = batch_users(exposure)
    converted = {u for u, o in outcomes.items() if o.converted}
    sent: dict[tuple[str, str, str], set[str]] = {}  # (segment, channel, key) -> users
    texts: dict[str, dict[str, Any]] = {}  # stable id -> stored {fields, prompt, ...}
    for row in exposure:
        key = (row.get("variant") or "").removesuffix("+personal")
        info = meta.get(key)
        if row["arm"] != "treatment" or info is None:
            continue
        sid = info["id"]
        texts[sid] = info
        sent.setdefault((row.get("segment") or "", row["channel"], sid), set()).add(row["user_id"])
    results = [
        VariantResult(
            segment, channel, sid, len(ids), len(ids & converted),
            texts[sid]["fields"].get("subject") or texts[sid]["fields"].get("title"),
            texts[sid]["fields"].get("body") or texts[sid]["fields"].get("text"),
        )
        for (segment, channel, sid), ids in sorted(sent.items())
    ]  # fmt: skip
    references: dict[str, Reference] = {}
    for segment in {r.segment for r in results}:
        members = [u for u in users.values() if (u.segment or "") == segment]
        for arm in ("baseline", "control"):
            ids = {u.user_id for u in members if u.arm == arm}
            if ids:
                references[segment] = Reference(arm, len(ids), len(ids & converted))
                break
    return results, references, texts


def past_results(engine: Engine, campaign: str, current_batch: str | None) -> History:
    """Results and winners of every earlier batch of `campaign` with outcomes (module doc)."""
    history = History()
    totals: dict[str, list[int]] = {}
    for batch in reversed(list_batches(engine, campaign)):  # oldest first
        meta = ((batch.get("config") or {}).get("variant_allocation") or {}).get("variants") or {}
        if batch["id"] == current_batch or not meta or not load_outcomes(engine, batch["id"]):
            continue
        results, references, texts = _batch_results(batch["id"], meta, engine)
        if not results:
            continue
        history.batches.append(batch["id"])
        for r in results:
            t = totals.setdefault(r.variant, [0, 0])
            t[0] += r.users
            t[1] += r.conversions
        for d in pick_winners(results, references):
            history.decisions.append({"batch_id": batch["id"], **d.to_dict()})
            if d.winner:
                info = texts[d.variant]
                history.winners.append(
                    PastWinner(batch["id"], d, dict(info["fields"]), info.get("prompt"))
                )
    history.results = {sid: VariantHistory(sid, n, x) for sid, (n, x) in totals.items()}
    return history


def winner_problem(
    winner: PastWinner, campaign: Campaign, policy: Policy
) -> tuple[str, list[dict[str, Any]]]:
    """Why a past winner cannot be used today ("" if it can), and its guardrail findings.

    A winner is re-checked against today's placeholders and guardrails: a batch may
    have sent a blocked variant (when every variant of a segment was blocked, they
    all go to review as blocked), and the policy may have changed since."""
    fields = winner.fields
    allowed = campaign.placeholders
    problems = [p for text in fields.values() for p in template_problems(text, allowed)]
    if problems:
        return "; ".join(problems), []
    verdict, findings = check_variant(
        winner.decision.channel, fields, placeholders=campaign.placeholders, policy=policy
    )
    return ("blocked by today's guardrails" if verdict == "block" else ""), findings


def winner_examples(
    plan: BatchPlan, history: History, campaign: Campaign, policy: Policy
) -> dict[tuple[str, str], list[dict]]:
    """(segment name, channel) -> the fields of that segment's usable past winners, newest first."""
    names = {s.name.strip().lower() for s in plan.segments}
    out: dict[tuple[str, str], list[dict]] = {}
    seen: set[str] = set()
    for w in reversed(history.winners):
        segment, channel = w.decision.segment, w.decision.channel
        if segment.strip().lower() not in names or w.id in seen:
            continue
        if winner_problem(w, campaign, policy)[0]:
            continue  # never teach the model copy that would be blocked today
        seen.add(w.id)
        wanted = EXAMPLE_FIELDS[channel]
        if all((w.fields.get(f) or "").strip() for f in wanted):
            key = (segment.strip().lower(), channel)
            out.setdefault(key, []).append({f: w.fields[f] for f in wanted})
    return out


@dataclass
class Allocation:
    """Each segment and channel's variant shares (by variant key), and what to report."""

    method: str
    floor: float
    shares: dict[tuple[int, str], dict[str, float]] = field(default_factory=dict)
    variants: list[dict[str, Any]] = field(default_factory=list)
    carried: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self, history: History) -> dict[str, Any]:
        """The run's JSON `allocation` entry (variants without their text)."""
        return {
            "method": self.method,
            "floor": self.floor,
            "history_batches": history.batches,
            "variants": [{k: v for k, v in x.items() if k != "fields"} for x in self.variants],
            "carried_winners": self.carried,
            "winner_decisions": history.decisions,
        }


def _carry_winners(
    plan: BatchPlan, history: History, campaign: Campaign, policy: Policy
) -> list[dict[str, Any]]:
    """Add each past winner to its segment (same name, same channel) as one more variant."""
    by_name = {s.name.strip().lower(): s.cluster_id for s in plan.segments}
    report: list[dict[str, Any]] = []
    done: set[tuple[int, str, str]] = set()
    for w in reversed(history.winners):  # the newest decision for a text first
        d = w.decision
        cid = by_name.get(d.segment.strip().lower())
        entry = {"id": w.id, "from_batch": w.batch_id, "segment": d.segment, "channel": d.channel}
        if cid is None or (cid, d.channel) not in plan.variants:
            report.append({**entry, "carried": False, "why": "no such segment and channel now"})
            continue
        if (cid, d.channel, w.id) in done:
            continue
        done.add((cid, d.channel, w.id))
        current = plan.variants[(cid, d.channel)]
        if any(content_id(v.channel, v.fields) == w.id for v in current):
            report.append({**entry, "carried": False, "why": "the model wrote the same copy"})
            continue
        why, findings = winner_problem(w, campaign, policy)
        if why:
            report.append({**entry, "carried": False, "why": why})
            continue
        verdict = verdict_of(findings)
        current.append(
            CarriedVariant(
                cid, d.channel, len(current) + 1, dict(w.fields), w.prompt or "", verdict,
                findings, source="winner", stable_id=w.id, from_batch=w.batch_id,
            )
        )  # fmt: skip
        report.append({**entry, "carried": True, "why": d.reason})
    return report


def _seed(text: str) -> int:
    """A sampling seed from text: the same batch always gets the same shares."""
    return int(hashlib.sha256(text.encode()).hexdigest()[:8], 16)


def allocate(plan: BatchPlan, history: History, campaign: Campaign, policy: Policy) -> Allocation:
    """Carry the winners in (if the campaign says so) and share each segment's treatment users."""
    setting = campaign.allocation
    out = Allocation(method=setting.method, floor=setting.floor)
    if campaign.carry_winners:
        out.carried = _carry_winners(plan, history, campaign, policy)
    names = plan.segment_names()
    for (cid, channel), _ in sorted(plan.variants.items()):
        usable = plan.usable_variants(cid, channel)
        if not usable:
            continue
        past = [history.of(channel, v.fields) for v in usable]
        keyed = [
            VariantHistory(v.key, h.users, h.conversions) for v, h in zip(usable, past, strict=True)
        ]
        if setting.method == "equal" or not any(h.users for h in keyed):
            shares = uniform_shares([v.key for v in usable])
            why = (
                "equal split: the campaign asks for it"
                if setting.method == "equal"
                else "equal split: none of these variants was sent in an earlier batch"
                if history.batches
                else None
            )
            if why:
                shares = [replace(s, reason=why) for s in shares]
        else:
            seed = _seed(f"{campaign.name}:{cid}:{channel}")
            shares = thompson_shares(keyed, floor=setting.floor, seed=seed)
        out.shares[(cid, channel)] = {s.variant: s.share for s in shares}
        for v, s in zip(usable, shares, strict=True):
            out.variants.append(
                {
                    "segment": names.get(cid),
                    "channel": channel,
                    "variant": v.key,
                    "id": content_id(channel, v.fields),
                    "carried": isinstance(v, CarriedVariant),
                    "prompt": v.prompt,
                    **{k: val for k, val in s.to_dict().items() if k != "variant"},
                    "fields": v.fields,
                }
            )
    return out


def store_allocation(engine: Engine, batch_id: str, allocation: Allocation) -> None:
    """Write each variant's text, share and reason into the batch's config snapshot."""
    config = dict(get_batch(engine, batch_id).get("config") or {})
    config["variant_allocation"] = {
        "method": allocation.method,
        "floor": allocation.floor,
        "variants": {v["variant"]: v for v in allocation.variants},
    }
    with engine.begin() as conn:
        conn.execute(update(batches).where(batches.c.id == batch_id).values(config=config))


def variant_allocation(engine: Engine, batch_id: str, variant: str | None) -> dict[str, Any] | None:
    """A draft's variant share and reason as the run stored it (None if not recorded)."""
    if not variant:
        return None
    config = get_batch(engine, batch_id).get("config") or {}
    stored = ((config.get("variant_allocation") or {}).get("variants") or {}).get(
        variant.removesuffix("+personal")
    )
    if stored is None:
        return None
    return {k: stored.get(k) for k in ("share", "reason", "id", "carried")}
