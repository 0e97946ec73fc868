"""`winback run --sql URL --table T --pushdown`: the selection runs in the warehouse.

Without `--pushdown` a SQL cohort is read whole (`read_cohort`), then the
rule, the suppression and the arms run in pandas. With it,
`segments.database_selection.select_in_database` compiles the rule, the
suppression by the table's own columns and the arm hash to one query, and
only the selected rows come back (streamed in chunks). They are validated
with the same checks and messages as any cohort (`validate_loaded`), put in
user_id order (the order of a table read whole is the table's; the test
cohorts are stored in user_id order, so both paths cluster the same rows in
the same order), and handed to the run as a `PushedCohort`: the run skips
its own rule, still applies the contacts the queue knows (the frequency cap
of earlier exports, `--suppression-file`), which live in another database,
and checks that the database's arms are the ones Python computes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from agent.campaign import Campaign
from agent.errors import RunFailed
from segments.cohort_problems import CohortInvalid, ProblemLog
from segments.cohort_source import CohortSource, LoadedCohort
from segments.cohort_validation import Cohort, validate_loaded
from segments.database_selection import DatabaseSelection, select_in_database
from segments.suppression import SuppressionResult


@dataclass
class PushedCohort:
    """The rows the database selected, and its counts and per-row flags."""

    cohort: Cohort
    selection: DatabaseSelection
    arms: pd.Series  # the arm the database computed, per row of cohort.frame
    eligible: pd.DataFrame  # channel -> eligible in the database, per row

    @property
    def removed_in_database(self) -> int:
        """Users the rule matched whom the database's suppression removed."""
        return self.selection.matched - self.selection.kept

    def summary(self) -> dict[str, Any]:
        """The run's JSON `pushdown` entry."""
        return {**self.selection.as_dict(), "pulled_rows": len(self.cohort.frame)}


def select_pushed(source: CohortSource, campaign: Campaign) -> PushedCohort:
    """Run the campaign's rule, suppression and arms in the database; validate what returns."""
    selection = select_in_database(
        source,
        rule=campaign.rule,
        channels=list(campaign.channels),
        salt=campaign.name,
        control=campaign.arms.control,
        baseline=campaign.arms.baseline,
        cap_days=campaign.frequency_cap_days,
    )
    parts = list(selection.chunks())
    flags = ["arm", *(f"eligible_{ch}" for ch in campaign.channels)]
    if parts:
        pulled = pd.concat(parts, ignore_index=True)
    else:
        pulled = pd.DataFrame(columns=[*selection.columns, *flags])
    pulled = pulled.sort_values("user_id", kind="stable").reset_index(drop=True)
    data = pulled.drop(columns=flags)
    log = ProblemLog(selection.source)
    loaded = LoadedCohort(
        frame=data,
        rows=np.arange(1, len(data) + 1),
        source=selection.source,
        broken=np.zeros(len(data), dtype=bool),
    )
    valid, report = validate_loaded(loaded, log)
    if report.error_count:
        raise CohortInvalid(report.source, report.problems, report.error_count)
    report.rows = selection.total  # the table's rows, not only the selected ones
    report.valid_rows = selection.total
    eligible = pd.DataFrame(
        {ch: pulled[f"eligible_{ch}"].astype(bool) for ch in campaign.channels}, index=data.index
    )
    cohort = Cohort(loaded.frame, loaded.rows[valid], report)
    return PushedCohort(cohort, selection, pulled["arm"].astype(str), eligible)


def with_database_flags(sup: SuppressionResult, pushed: PushedCohort) -> SuppressionResult:
    """The queue's suppression of the pulled rows, and-ed with the database's per channel."""
    eligible = sup.eligible & pushed.eligible.reindex(sup.eligible.index).fillna(False)
    return SuppressionResult(
        eligible=eligible,
        keep=eligible.any(axis=1).to_numpy(),
        reasons=sup.reasons,
        notes=[*sup.notes, *pushed.selection.notes],
    )


def check_arms(pushed: PushedCohort, arms: pd.Series) -> None:
    """The database's arm per user must be the one `segments.experiment_arms` computes."""
    theirs = pushed.arms.reindex(arms.index)
    wrong = int((theirs != arms).sum())
    if wrong:
        raise RunFailed(
            f"The database computed another arm than Python for {wrong} user(s)",
            "Report this: the arm SQL (segments/arm_sql.py) and Python must agree; "
            "run without --pushdown meanwhile.",
        )
