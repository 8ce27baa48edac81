"""Helpers of the policy protocol: reward validation, traffic splitting, stats."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from banditops.errors import FeedbackError
from banditops.policies.base import ArmStats, split_traffic, validate_rewards


@pytest.mark.parametrize("rewards", [[1, True], [0.5, np.True_], (0.0, False), np.True_])
def test_booleans_hidden_in_a_list_are_refused(rewards: object) -> None:
    with pytest.raises(FeedbackError, match="boolean"):
        validate_rewards(rewards)


def test_ragged_input_is_a_feedback_error() -> None:
    with pytest.raises(FeedbackError):
        validate_rewards([[0.5], [0.5, 1.0]])


def test_scalars_ints_and_arrays_are_accepted() -> None:
    assert validate_rewards(1).tolist() == [1.0]
    assert validate_rewards(np.array([0, 1], dtype=np.uint8)).tolist() == [0.0, 1.0]
    assert validate_rewards(np.float32(0.25)).tolist() == [0.25]


def test_error_names_the_position_and_value() -> None:
    with pytest.raises(FeedbackError, match=r"position 2 is 1\.5"):
        validate_rewards([0.1, 0.2, 1.5])


@given(
    shares=st.lists(st.floats(0, 1), min_size=1, max_size=6).filter(lambda s: sum(s) > 0),
    n=st.integers(0, 500),
)
def test_split_traffic_gives_every_row_in_the_shares(shares: list[float], n: int) -> None:
    p = np.array(shares) / sum(shares)
    rows = split_traffic(p, n)
    assert rows.shape == (n,)
    counts = np.bincount(rows, minlength=len(p))
    assert counts.sum() == n
    assert np.all(np.abs(counts - p * n) < 1.0 + 1e-9)


@given(st.lists(st.floats(0, 1), min_size=2, max_size=40))
def test_arm_stats_batch_equals_one_by_one(values: list[float]) -> None:
    batch, single = ArmStats(), ArmStats()
    batch.add(np.array(values))
    for v in values:
        single.add(np.array([v]))
    assert batch.count == single.count
    assert batch.mean == pytest.approx(single.mean)
    assert batch.variance == pytest.approx(np.var(values, ddof=1), abs=1e-9)
