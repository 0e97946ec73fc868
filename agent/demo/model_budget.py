"""How much the demo asks of its model: less of the bundled 135M model, whose extra asks never paid.

The demo campaign asks for 4 candidates per segment and channel and one
revision, which is right for a capable model. On the bundled model, measured
on 2 cores (README 'The copy-quality gate, measured'), no revision ever
turned a blocked variant into a passing one, and the extra candidates and
revisions were most of the run's time: a reply that loops until `max_tokens`
costs 30-40 s. So on the bundled model the demo asks for as many candidates
as it keeps and does not revise, and says so; every check still runs and
nothing blocked is shown as `pass`. `winback run` never changes a campaign.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from agent.llm.endpoint import choose_endpoint
from agent.llm.local_server import BUNDLED_MODEL_ALIAS

if TYPE_CHECKING:
    from agent.campaign import Campaign
    from agent.settings import Settings

EMBEDDED_BUDGET = {"max_revisions": 0}  # and candidates_per_segment = variants_per_segment


def demo_budget(settings: Settings, campaign: Campaign) -> tuple[dict[str, Any], str | None]:
    """Campaign overrides for this model, and the sentence that tells the user (None: none)."""
    if choose_endpoint(settings).model != BUNDLED_MODEL_ALIAS:
        return {}, None
    overrides = {**EMBEDDED_BUDGET, "candidates_per_segment": campaign.variants_per_segment}
    asked = campaign.candidates_per_segment or 2 * campaign.variants_per_segment
    note = (
        f"On the embedded 135M model the demo asks for {campaign.variants_per_segment} "
        f"candidates per segment and channel instead of {asked}, and no revision instead of "
        f"{campaign.max_revisions}: measured, they never made its copy pass and took most "
        "of the time. A capable model gets the campaign's full budget."
    )
    return overrides, note
