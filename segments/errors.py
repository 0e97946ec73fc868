"""The errors `segments` raises: bad cohorts, rules, suppression lists, arms and catalogs.

They are `prompts.errors.UserError`s, so the CLI shows each as one line with
its fix and exit code 2, without `segments` importing `agent`.
"""

from __future__ import annotations

from prompts.errors import UserError


class SegmentsError(UserError):
    """A cohort, rule, contact list, arm split or incentive catalog the user must fix."""
