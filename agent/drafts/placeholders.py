"""The placeholders a campaign allows by default, each with its sample value.

One table, two uses: its names are the default allow-list of a campaign
(`agent.campaign.Campaign.placeholders`, and the default of the template
functions in `agent.drafts.template`); its values are the placeholder-safe
stand-ins a variant is rendered with when it is checked before any user is
rendered (`agent.drafts.check.check_variant`) or previewed
(`winback segments preview`). A placeholder a campaign adds that is not in
the table is shown by its own name with spaces (`favorite_class` -> "favorite
class").

This module imports nothing, so the campaign file can be read without pulling
in Jinja2 or pandas.
"""

from __future__ import annotations

SAMPLE_VALUES: dict[str, str] = {
    "first_name": "Alex",
    "favorite_category": "yoga",
    "days_since_last_activity": "12",
    "incentive": "20% off your next month",
}
DEFAULT_PLACEHOLDERS: tuple[str, ...] = tuple(SAMPLE_VALUES)


def sample_value(name: str) -> str:
    """The stand-in value of placeholder `name` for checks before any user is rendered."""
    return SAMPLE_VALUES.get(name, name.replace("_", " "))
