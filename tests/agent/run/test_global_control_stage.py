"""The global control stage: who leaves the batch, and that recording it is idempotent."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from agent.campaign import GlobalControlSettings, load_campaign
from agent.errors import WinbackError
from agent.run.global_control_stage import hold_out_global_control, record_holdout
from agent.store import start_batch
from agent.store.global_holdouts import global_holdout_users
from segments.global_control import in_global_control


def frame(n: int) -> pd.DataFrame:
    return pd.DataFrame({"user_id": [f"u{i}" for i in range(n)], "x": range(n)})


def test_held_out_users_are_exactly_the_periods_group():
    users = frame(5000)
    setting = GlobalControlSettings(share=0.1, period="quarter")
    kept, holdout = hold_out_global_control(users, setting, date(2025, 2, 3))
    assert holdout.period == "2025-Q1"
    assert len(kept) + len(holdout.user_ids) == 5000
    assert 400 < len(holdout.user_ids) < 600
    assert all(in_global_control(u, 0.1, "2025-Q1") for u in holdout.user_ids)
    assert not any(in_global_control(u, 0.1, "2025-Q1") for u in kept["user_id"])
    assert "fewer than 1,000" in holdout.warnings[0]  # about 500 users: too few to read
    _, big = hold_out_global_control(frame(20_000), setting, date(2025, 2, 3))
    assert len(big.user_ids) > 1000 and big.warnings == []
    # the same users whatever the row order; another quarter draws another group
    _, again = hold_out_global_control(
        users.sample(frac=1, random_state=1), setting, date(2025, 3, 30)
    )
    assert sorted(again.user_ids) == sorted(holdout.user_ids)
    _, later = hold_out_global_control(users, setting, date(2025, 4, 1))
    assert later.period == "2025-Q2" and set(later.user_ids) != set(holdout.user_ids)


def test_share_zero_holds_out_nobody_and_small_groups_warn():
    kept, holdout = hold_out_global_control(frame(300), GlobalControlSettings(), date(2025, 1, 1))
    assert len(kept) == 300 and holdout.user_ids == [] and holdout.warnings == []
    _, small = hold_out_global_control(
        frame(300), GlobalControlSettings(share=0.05, period="month"), date(2025, 1, 1)
    )
    assert small.period == "2025-01"
    assert small.warnings and "fewer than 1,000" in small.warnings[0]


def test_recording_is_idempotent(engine):
    batch = start_batch(engine, "gc", "fp", config={}, prompts={})
    _, holdout = hold_out_global_control(
        frame(2000), GlobalControlSettings(share=0.05), date(2025, 5, 1)
    )
    record_holdout(engine, batch.batch_id, holdout)
    assert holdout.recorded == len(holdout.user_ids) > 0
    record_holdout(engine, batch.batch_id, holdout)
    assert holdout.recorded == 0
    stored = global_holdout_users(engine, batch.batch_id)
    assert set(stored) == set(holdout.user_ids) and set(stored.values()) == {"2025-Q2"}


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"share": 0.5}, "outside 1%-15%"),
        ({"share": 0.001}, "outside 1%-15%"),
        ({"share": "lots"}, "global_control.share"),
        ({"period": "week"}, "global_control.period"),
        ({"shares": 0.1}, "global_control.shares"),
    ],
)
def test_bad_global_control_setting_is_a_user_error(value, message):
    with pytest.raises(WinbackError) as err:
        load_campaign(None, {"name": "x", "global_control": value})
    assert message in str(err.value) and err.value.exit_code == 2
