"""The channels winback writes for: one list, shared by every package.

Each channel has its prompt template (`prompts/templates/<channel>_variants.*.j2`),
its guardrail rules (`guardrails/channel_<channel>.py`), its opt-in column in
the cohort and the column that holds its address.
"""

from __future__ import annotations

from typing import Literal

Channel = Literal["email", "sms", "push"]
CHANNELS: tuple[Channel, ...] = ("email", "sms", "push")
# the cohort column a message on each channel is sent to (push goes to the app user id)
ADDRESS_COLUMN: dict[str, str] = {"email": "email", "sms": "phone", "push": "user_id"}
