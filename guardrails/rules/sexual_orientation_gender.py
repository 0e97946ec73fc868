"""Sexual orientation and gender identity. A brand's own Pride campaign that
says nothing about the recipient is allowed ("to celebrate Pride month").

Words and allowed phrases: `rules.sexual_orientation_gender` in `guardrails/default_policy.yaml`.
"""

from __future__ import annotations

from guardrails.rules.base import Rule


class SexualOrientationGenderRule(Rule):
    """Implies sexual orientation or gender identity."""

    name = "sexual_orientation_gender"
    code = "creepy_sexuality_gender"
    category = "sexuality_gender"
    describe = "Implies sexual orientation or gender identity"
