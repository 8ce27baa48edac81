"""Epsilon-greedy probabilities worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest

from banditops.policies import Arm, EpsilonGreedy

a, b, c = Arm("a"), Arm("b"), Arm("c")


def primed(**params: float) -> EpsilonGreedy:
    policy = EpsilonGreedy(seed=0, **params)
    policy.select([a, b, c], 1)
    policy.update("a", [0.0, 0.2, 0.4])  # mean 0.2
    policy.update("b", [0.5])  # mean 0.5
    policy.update("c", [1.0, 0.8])  # mean 0.9
    return policy


def test_greedy_arm_gets_one_minus_epsilon_plus_its_share() -> None:
    policy = primed(epsilon=0.1)
    expected = [0.1 / 3, 0.1 / 3, 1 - 0.1 + 0.1 / 3]
    np.testing.assert_allclose(policy.probabilities([a, b, c]), expected, rtol=1e-12)


def test_ties_share_the_greedy_traffic_evenly() -> None:
    policy = EpsilonGreedy(epsilon=0.3, seed=0)
    policy.select([a, b, c], 1)
    policy.update("a", [1.0, 0.0])
    policy.update("b", [0.5])
    policy.update("c", [0.0])
    expected = [0.7 / 2 + 0.1, 0.7 / 2 + 0.1, 0.1]
    np.testing.assert_allclose(policy.probabilities([a, b, c]), expected, rtol=1e-12)


def test_unobserved_arm_takes_the_initial_value() -> None:
    optimistic = primed(epsilon=0.1)
    new = Arm("new")
    np.testing.assert_allclose(optimistic.values([a, new]), [0.2, 1.0])
    assert optimistic.probabilities([a, c, new]).argmax() == 2
    pessimistic = primed(epsilon=0.1, initial_value=0.0)
    assert pessimistic.probabilities([a, c, new]).argmax() == 1


def test_epsilon_zero_is_greedy_and_one_is_uniform() -> None:
    assert primed(epsilon=0.0).probabilities([a, b, c]).tolist() == [0.0, 0.0, 1.0]
    np.testing.assert_allclose(primed(epsilon=1.0).probabilities([a, b, c]), [1 / 3] * 3)
    assert primed(epsilon=0.0).select([a, b, c], 50).tolist() == [2] * 50


def test_decay_lowers_exploration_with_evidence() -> None:
    policy = primed(epsilon=0.2, decay=0.5)  # 6 rewards observed
    assert policy.current_epsilon() == pytest.approx(0.2 / (1 + 0.5 * 6))
    eps = 0.2 / 4
    expected = [eps / 3, eps / 3, 1 - eps + eps / 3]
    np.testing.assert_allclose(policy.probabilities([a, b, c]), expected, rtol=1e-12)


def test_retired_arms_do_not_take_exploration_traffic() -> None:
    policy = primed(epsilon=0.1)
    np.testing.assert_allclose(policy.probabilities([a, b]), [0.05, 0.95])
