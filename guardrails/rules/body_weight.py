"""Body weight and shape: "lose that belly fat", "your BMI", "plus-size
shoppers like you". Equipment and training words ("weight room", "free
weights", "weight training", "lightweight") are allowed.

Words and allowed phrases: `rules.body_weight` in `guardrails/default_policy.yaml`.
"""

from __future__ import annotations

from guardrails.rules.base import Rule


class BodyWeightRule(Rule):
    """Refers to body weight or shape."""

    name = "body_weight"
    code = "creepy_body"
    category = "body"
    describe = "Refers to body weight or shape"
