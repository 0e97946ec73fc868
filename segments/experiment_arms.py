"""Where the holdout is decided: control, baseline and treatment arms by hash.

Each user gets a number u = first 8 bytes of sha256(salt + 0x1f + user_id)
read as an integer / 2**64, uniform in [0, 1). With fractions c (control) and
b (baseline): u < c -> control (never messaged), u < c + b -> baseline
(human copy), else treatment (AI copy). The salt is the campaign name.

Why thresholds on a per-user hash: the arm depends on nothing but (salt,
user_id). It does not change when the file is re-ordered, re-run, filtered
differently, or grows; a user can never be in two arms; and a new campaign
(new salt) draws a fresh, independent split.

Micro-segments: pass a segment label per user and the report gives arm
counts per segment and flags segments without a control user. Because u is
uniform and independent of anything about the user, every segment gets
control = c, baseline = b in expectation, so each segment has its own
control group without a separate draw, and a user's arm stays the same when
segments are recomputed. Tiny segments can end up with no control user (the
chance is (1 - c)**n); they are flagged, and their lift should be read with
the pooled control. Re-ranking users within a segment would balance exactly
but would move users between arms whenever the cohort grows, so we don't.

The sample-ratio-mismatch (SRM) check is a chi-square goodness-of-fit test of
the observed arm counts against the configured fractions; p < 0.001 means the
split is off (lost rows, a filter applied after assignment, a bug).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from segments.errors import SegmentsError

ARMS = ("control", "baseline", "treatment")
SRM_ALPHA = 0.001


def arm_hash(user_ids: Iterable[object], salt: str) -> np.ndarray:
    """Uniform [0, 1) number per user from sha256(salt, user_id): stable and salt-specific."""
    prefix = salt.encode("utf-8") + b"\x1f"
    sha256 = hashlib.sha256
    texts = [u if type(u) is str else str(u) for u in user_ids]
    digests = b"".join([sha256(prefix + u.encode("utf-8")).digest()[:8] for u in texts])
    return np.frombuffer(digests, dtype=">u8").astype(np.float64) / 2.0**64


def check_arm_settings(salt: str, control: float, baseline: float) -> None:
    """Refuse an empty salt or fractions that leave no room for treatment."""
    if not salt:
        raise SegmentsError("The experiment arms need a salt", "Give the campaign a name.")
    if control < 0 or baseline < 0 or control + baseline >= 1:
        raise SegmentsError(
            f"Arm fractions control={control} baseline={baseline} are not possible",
            "Use fractions >= 0 whose sum is below 1 (treatment gets the rest).",
        )


@dataclass
class ArmSplit:
    """Arm per user, counts, the SRM check and per-segment counts."""

    arms: pd.Series
    counts: dict[str, int]
    fractions: dict[str, float]
    srm_p_value: float | None
    per_segment: pd.DataFrame | None = None

    @property
    def srm(self) -> bool:
        """True when the observed split differs from the configured one (p < 0.001)."""
        return self.srm_p_value is not None and self.srm_p_value < SRM_ALPHA

    @property
    def segments_without_control(self) -> list:
        """Segment labels that got no control user."""
        if self.per_segment is None:
            return []
        return [s for s, row in self.per_segment.iterrows() if row["control"] == 0]

    def as_dict(self) -> dict:
        """JSON-ready summary."""
        out: dict = {
            "counts": self.counts,
            "fractions": self.fractions,
            "srm_p_value": self.srm_p_value,
            "srm": self.srm,
        }
        if self.per_segment is not None:
            out["per_segment"] = {
                str(s): {a: int(row[a]) for a in ARMS} for s, row in self.per_segment.iterrows()
            }
            out["segments_without_control"] = [str(s) for s in self.segments_without_control]
        return out


def sample_ratio_mismatch(
    observed: dict[str, int], fractions: dict[str, float], alpha: float = SRM_ALPHA
) -> dict[str, Any]:
    """Chi-square test of the arm sizes against the configured fractions."""
    from scipy.stats import chisquare  # SciPy costs 0.4 s to import: only when a test runs

    arms = [a for a in fractions if fractions[a] > 0]
    total = sum(observed.get(a, 0) for a in arms)
    if total == 0 or len(arms) < 2:
        return {"checked": False, "note": "not enough arms or users to check"}
    counts = [observed.get(a, 0) for a in arms]
    share = sum(fractions[a] for a in arms)
    expected = [total * fractions[a] / share for a in arms]
    chi2, p_value = chisquare(counts, expected)
    return {
        "checked": True,
        "observed": dict(zip(arms, counts, strict=True)),
        "expected": dict(zip(arms, expected, strict=True)),
        "chi2": float(chi2),
        "p_value": float(p_value),
        "mismatch": bool(p_value < alpha),
    }


def assign_arms(
    user_ids: pd.Series,
    *,
    salt: str,
    control: float = 0.10,
    baseline: float = 0.10,
    segments: pd.Series | None = None,
) -> ArmSplit:
    """Deterministic arm per user (see module doc); optional segment labels for the report."""
    check_arm_settings(salt, control, baseline)
    u = arm_hash(user_ids.tolist(), salt)
    codes = np.where(u < control, 0, np.where(u < control + baseline, 1, 2))
    arms = pd.Series(pd.Categorical.from_codes(codes, ARMS), index=user_ids.index, name="arm")
    counts = {a: int(c) for a, c in zip(ARMS, np.bincount(codes, minlength=3), strict=True)}
    fractions = {"control": control, "baseline": baseline, "treatment": 1 - control - baseline}
    per_segment = None
    if segments is not None:
        if len(segments) != len(user_ids):
            raise ValueError("segments must have one label per user")
        per_segment = (
            pd.crosstab(np.asarray(segments), arms.to_numpy())
            .reindex(columns=list(ARMS), fill_value=0)
            .rename_axis(index="segment", columns=None)
        )
    return ArmSplit(
        arms,
        counts,
        fractions,
        sample_ratio_mismatch(counts, fractions).get("p_value"),
        per_segment,
    )
