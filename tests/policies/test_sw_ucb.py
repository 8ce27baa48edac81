"""Sliding-window UCB against hand-worked window contents and scores."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from banditops.policies import UCB1, SlidingWindowUCB, load_policy
from banditops.policies.base import Arm

A, B, C = Arm("a"), Arm("b"), Arm("c")


def fresh(**params: object) -> SlidingWindowUCB:
    policy = SlidingWindowUCB(**params)  # type: ignore[arg-type]
    policy.select([A, B, C], 3)
    return policy


def test_window_keeps_the_last_rows_of_all_arms_together() -> None:
    policy = fresh(window=5)
    policy.update("a", [1, 1])
    policy.update("a", [0])  # merged into one run
    policy.update("b", [1, 0])
    assert policy.window_contents() == [["a", [1.0, 1.0, 0.0]], ["b", [1.0, 0.0]]]
    policy.update("c", [1, 1, 1])  # 8 rows: the 3 oldest (all of a's) fall out
    assert policy.window_contents() == [["b", [1.0, 0.0]], ["c", [1.0, 1.0, 1.0]]]
    assert policy.windowed("a") == (0, 0.0)
    assert policy.stats("a").count == 3  # raw statistics are kept


def test_scores_use_windowed_counts_only() -> None:
    policy = fresh(window=8, c=0.5)
    policy.update("a", [1] * 6)
    policy.update("b", [1, 0, 0, 0])
    policy.update("c", [0, 1])
    # 12 rows, the window keeps the last 8: two of a's, all of b's and c's
    assert policy.window_contents() == [
        ["a", [1.0, 1.0]],
        ["b", [1.0, 0.0, 0.0, 0.0]],
        ["c", [0.0, 1.0]],
    ]
    n_total = 8
    expected = [
        1.0 + 0.5 * math.sqrt(2 * math.log(n_total) / 2),
        0.25 + 0.5 * math.sqrt(2 * math.log(n_total) / 4),
        0.5 + 0.5 * math.sqrt(2 * math.log(n_total) / 2),
    ]
    np.testing.assert_allclose(policy.scores([A, B, C]), expected)


def test_an_arm_that_left_the_window_is_explored_again() -> None:
    policy = fresh(window=10)
    policy.update("a", [1] * 5)
    policy.update("b", [0] * 5)
    assert policy.select([A, B], 4).tolist() == [0, 0, 0, 0]
    policy.update("a", [1] * 10)  # b's rewards leave the window
    assert policy.select([A, B], 4).tolist() == [1, 1, 1, 1]


def test_live_arms_only_count_toward_the_log_term() -> None:
    policy = fresh(window=100, c=1.0)
    policy.update("a", [1] * 10)
    policy.update("b", [1] * 30)
    score = policy.scores([A])[0]
    assert score == pytest.approx(1.0 + math.sqrt(2 * math.log(10) / 10))


def test_huge_window_equals_ucb1() -> None:
    sw, ucb = SlidingWindowUCB(window=10**9, c=0.7), UCB1(c=0.7)
    rng = np.random.default_rng(0)
    for _ in range(30):
        picks = sw.select([A, B, C], 20)
        assert picks.tolist() == ucb.select([A, B, C], 20).tolist()
        for i, arm in enumerate((A, B, C)):
            rewards = (rng.random(int((picks == i).sum())) < [0.3, 0.5, 0.6][i]).astype(float)
            sw.update(arm.id, rewards)
            ucb.update(arm.id, rewards)


def test_forget_drops_an_arm_and_state_round_trips() -> None:
    policy = fresh(window=6)
    policy.update("a", [1, 0])
    policy.update("b", [1])
    policy.update("a", [1])
    policy.forget("a")
    assert policy.window_contents() == [["b", [1.0]]]
    clone = load_policy(json.loads(json.dumps(policy.state())))
    assert isinstance(clone, SlidingWindowUCB)
    assert clone.window_contents() == policy.window_contents()
    clone.update("b", [0] * 6)
    assert clone.window_contents() == [["b", [0.0] * 6]]
