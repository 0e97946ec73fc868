"""The campaign file: what a team keeps in git for one win-back campaign.

```yaml
name: spring-winback            # also the salt of the experiment arms
rule: churn_score > 0.7 and days_since_last_activity >= 10
channels: [email, push]
arms: {control: 0.10, baseline: 0.10}
brand_voice: Upbeat, encouraging, never pushy.
placeholders: [first_name, favorite_category, days_since_last_activity, incentive]
variants_per_segment: 3
max_revisions: 2
segments: null                  # null: chosen by silhouette within 3..8
frequency_cap_days: 7
incentive_catalog: null         # null: prompts/incentive_catalog.yaml
incentive_budget: null          # total incentive cost allowed, null: no limit
guard_policy: null              # null: guardrails/default_policy.yaml
prompts: {segment_synthesis: 1, email_variants: 1, sms_variants: 1, push_variants: 1}
baseline_copy: null             # null: prompts/baseline_copy.yaml
personalize_top: 0              # one extra LLM call each for the N highest-value users
four_eyes: true                 # web app: who ran or edited a draft cannot approve it
link: null                      # landing page of the call to action (export adds UTM parameters)
candidates_per_segment: null    # best-of-N: candidates per segment and channel (null: 2 x variants)
brand_words: []                 # the brand's category and product words (the quality gate's world)
quality_policy: null            # null: guardrails/quality/quality_policy.yaml
examples:                       # the brand's own copy, few-shot in the variant prompts
  - channel: push
    title: "Your mat misses you"
    body: "{{ first_name }}, roll it out for one class today."
global_control: {share: 0.0, period: quarter}   # 0: off; else 1%-15% of users held out per period
allocation: {method: thompson, floor: 0.10}     # treatment users across variants, from past batches
carry_winners: true             # past winners: sent again (id w-...) and few-shot examples
max_score_age_days: 7           # warn when the cohort's scores_as_of is older (null: never)
```

Every key is optional except `name`; unknown keys and wrong types are errors
that name the file and key. Command-line flags (`--rule`, `--channels`, ...)
override the file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from agent.drafts.placeholders import DEFAULT_PLACEHOLDERS
from agent.errors import WinbackError
from prompts.channels import Channel
from prompts.yaml_file import read_yaml_mapping
from segments.errors import SegmentsError
from segments.global_control import check_global_control_share

# the fields one example of each channel must have (as the model writes them)
EXAMPLE_FIELDS: dict[str, tuple[str, ...]] = {
    "email": ("subject", "preheader", "body", "call_to_action"),
    "sms": ("text",),
    "push": ("title", "body"),
}


class ArmFractions(BaseModel):
    """Shares of eligible users held out as control and sent human copy."""

    model_config = ConfigDict(extra="forbid")
    control: float = Field(0.10, ge=0, lt=1)
    baseline: float = Field(0.10, ge=0, lt=1)

    @field_validator("baseline")
    @classmethod
    def _room_for_treatment(cls, v: float, info: Any) -> float:
        if v + info.data.get("control", 0) >= 1:
            raise ValueError("control + baseline must leave room for treatment (sum < 1)")
        return v


class GlobalControlSettings(BaseModel):
    """The period's global control group (`segments.global_control`): share 0 turns it off."""

    model_config = ConfigDict(extra="forbid")
    share: float = 0.0
    period: Literal["quarter", "month", "year"] = "quarter"

    @field_validator("share")
    @classmethod
    def _share_in_limits(cls, v: float) -> float:
        try:
            check_global_control_share(v)
        except SegmentsError as exc:
            raise ValueError(f"{exc.message} ({exc.fix})") from exc
        return v


class AllocationSettings(BaseModel):
    """How treatment users are split across variants (`agent.lift.thompson_allocation`)."""

    model_config = ConfigDict(extra="forbid")
    method: Literal["thompson", "equal"] = "thompson"
    floor: float = Field(0.10, ge=0, le=1)


class CopyExample(BaseModel):
    """One piece of the brand's own copy: a channel and that channel's fields."""

    model_config = ConfigDict(extra="forbid")
    channel: Channel
    subject: str | None = None
    preheader: str | None = None
    body: str | None = None
    call_to_action: str | None = None
    text: str | None = None
    title: str | None = None

    def fields(self) -> dict[str, str]:
        """The copy fields that are set."""
        return {k: v for k, v in self.model_dump(exclude={"channel"}).items() if v is not None}

    @model_validator(mode="after")
    def _fields_of_its_channel(self) -> CopyExample:
        wanted = set(EXAMPLE_FIELDS[self.channel])
        given = set(self.fields())
        if given - wanted:
            raise ValueError(
                f"a {self.channel} example has no field {', '.join(sorted(given - wanted))} "
                f"(its fields: {', '.join(EXAMPLE_FIELDS[self.channel])})"
            )
        missing = [
            f for f in EXAMPLE_FIELDS[self.channel] if not (self.fields().get(f) or "").strip()
        ]
        if missing:
            raise ValueError(f"a {self.channel} example needs a non-empty {', '.join(missing)}")
        return self


class Campaign(BaseModel):
    """One campaign's settings (see module doc for the file format)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")
    rule: str | None = None
    channels: list[Channel] = Field(default_factory=lambda: ["email"], min_length=1)
    arms: ArmFractions = Field(default_factory=ArmFractions)
    brand_voice: str = "Warm, encouraging and brief. Never pushy, never guilt-tripping."
    placeholders: list[str] = Field(default_factory=lambda: list(DEFAULT_PLACEHOLDERS))
    variants_per_segment: int = Field(3, ge=1, le=10)
    max_revisions: int = Field(2, ge=0, le=5)
    segments: int | None = Field(None, ge=1, le=20)
    frequency_cap_days: int = Field(7, ge=0)
    incentive_catalog: str | None = None
    incentive_budget: float | None = Field(None, ge=0)
    guard_policy: str | None = None
    prompts: dict[str, int] = Field(default_factory=dict)
    baseline_copy: str | None = None
    personalize_top: int = Field(0, ge=0, le=10_000)
    # false relaxes four-eyes for a one-person team; the audit log then says so
    four_eyes: bool = True
    link: str | None = Field(None, pattern=r"^https?://[^\s/]+", max_length=2000)
    candidates_per_segment: int | None = Field(None, ge=1, le=12)
    brand_words: list[str] = Field(default_factory=list, max_length=200)
    quality_policy: str | None = None
    examples: list[CopyExample] = Field(default_factory=list, max_length=20)
    global_control: GlobalControlSettings = Field(default_factory=GlobalControlSettings)
    allocation: AllocationSettings = Field(default_factory=AllocationSettings)
    carry_winners: bool = True
    max_score_age_days: int | None = Field(7, ge=0)

    @field_validator("channels")
    @classmethod
    def _unique_channels(cls, v: list[str]) -> list[str]:
        return list(dict.fromkeys(v))

    def prompt_ref(self, name: str) -> str:
        """`name@version` if the campaign pins a version, else `name` (latest)."""
        return f"{name}@{self.prompts[name]}" if name in self.prompts else name


def load_campaign(path: Path | None, overrides: dict[str, Any] | None = None) -> Campaign:
    """The campaign from a YAML file (optional), with flag overrides applied."""
    data: dict[str, Any] = {}
    where = "the command line"
    if path is not None:
        where = str(path)
        data = read_yaml_mapping(
            path,
            "Campaign file",
            fix="See README: 'The campaign file'.",
            missing_fix="Check the path given with --campaign-file.",
        )
        base = Path(path).parent
        for key in ("incentive_catalog", "guard_policy", "baseline_copy", "quality_policy"):
            if isinstance(data.get(key), str):
                data[key] = str((base / data[key]).resolve())
    data.update({k: v for k, v in (overrides or {}).items() if v is not None})
    data.setdefault("name", "winback")
    try:
        return Campaign.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or '(root)'}: {e['msg']}" for e in exc.errors()
        )
        raise WinbackError(
            f"Invalid campaign settings in {where}: {problems}",
            "Fix the key named above (README: 'The campaign file' lists every key).",
        ) from exc
