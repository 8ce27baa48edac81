"""UCB1 against scores worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from banditops.policies import UCB1, Arm

a, b, c = Arm("a"), Arm("b"), Arm("c")


def observe(policy: UCB1, arm: str, count: int, mean: float) -> None:
    ones = round(count * mean)
    policy.update(arm, [1.0] * ones + [0.0] * (count - ones))


def test_scores_for_given_counts() -> None:
    # means 0.6 / 0.5 after 10 / 40 rewards: N = 50
    policy = UCB1()
    policy.select([a, b], 1)
    observe(policy, "a", 10, 0.6)
    observe(policy, "b", 40, 0.5)
    expected_a = 0.6 + math.sqrt(2 * math.log(50) / 10)  # 0.6 + 0.8845 = 1.4845
    expected_b = 0.5 + math.sqrt(2 * math.log(50) / 40)  # 0.5 + 0.4423 = 0.9423
    np.testing.assert_allclose(policy.scores([a, b]), [expected_a, expected_b], rtol=1e-12)
    assert expected_a == pytest.approx(1.4845, abs=1e-4)
    assert policy.probabilities([a, b]).tolist() == [1.0, 0.0]
    assert policy.select([a, b], 5).tolist() == [0] * 5


def test_bonus_of_a_rarely_tried_arm_wins() -> None:
    # means 0.55 / 0.5 after 100 / 2 rewards: N = 102
    policy = UCB1()
    policy.select([a, b], 1)
    policy.update("a", [1.0] * 55 + [0.0] * 45)
    policy.update("b", [1.0, 0.0])
    expected = [
        0.55 + math.sqrt(2 * math.log(102) / 100),  # 0.854
        0.5 + math.sqrt(2 * math.log(102) / 2),  # 2.651
    ]
    np.testing.assert_allclose(policy.scores([a, b]), expected, rtol=1e-12)
    assert policy.probabilities([a, b]).tolist() == [0.0, 1.0]


def test_c_scales_the_bonus_and_zero_is_greedy() -> None:
    for c_value in (0.0, 0.3, 2.0):
        policy = UCB1(c=c_value)
        policy.select([a, b], 1)
        observe(policy, "a", 10, 0.6)
        observe(policy, "b", 40, 0.5)
        expected = [
            0.6 + c_value * math.sqrt(2 * math.log(50) / 10),
            0.5 + c_value * math.sqrt(2 * math.log(50) / 40),
        ]
        np.testing.assert_allclose(policy.scores([a, b]), expected, rtol=1e-12)


def test_untried_arms_split_the_traffic_evenly() -> None:
    policy = UCB1()
    policy.select([a], 1)
    policy.update("a", [1.0, 1.0])
    assert policy.probabilities([a, b, c]).tolist() == [0.0, 0.5, 0.5]
    picks = policy.select([a, b, c], 5)
    assert sorted(np.bincount(picks, minlength=3).tolist()) == [0, 2, 3]
    assert picks.tolist() == [1, 2, 1, 2, 1]  # interleaved, deterministic


def test_total_counts_only_live_arms() -> None:
    policy = UCB1()
    policy.select([a, b, c], 3)
    observe(policy, "a", 10, 0.6)
    observe(policy, "b", 40, 0.5)
    observe(policy, "c", 1000, 0.1)  # c retires next
    expected_a = 0.6 + math.sqrt(2 * math.log(50) / 10)
    assert policy.scores([a, b])[0] == pytest.approx(expected_a, rel=1e-12)


def test_ties_share_the_traffic() -> None:
    policy = UCB1()
    policy.select([a, b], 2)
    policy.update("a", [1.0, 0.0])
    policy.update("b", [0.0, 1.0])
    assert policy.probabilities([a, b]).tolist() == [0.5, 0.5]
    assert policy.select([a, b], 4).tolist() == [0, 1, 0, 1]


def test_single_observation_has_no_bonus() -> None:
    policy = UCB1()
    policy.select([a], 1)
    policy.update("a", [0.25])
    assert policy.scores([a]).tolist() == [0.25]  # ln(1) = 0
