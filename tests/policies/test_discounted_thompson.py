"""Discounted Thompson sampling against hand-worked discounted counts."""

from __future__ import annotations

import numpy as np
import pytest

from banditops.policies import DiscountedThompson, ThompsonSampling
from banditops.policies.base import Arm

A, B = Arm("a"), Arm("b")


def test_every_arm_ages_by_gamma_per_decision_step_pulled_or_not() -> None:
    policy = DiscountedThompson(gamma=0.8, prior_alpha=2.0, prior_beta=1.0, seed=0)
    policy.select([A, B], 10)
    policy.update("a", [1, 1, 1, 0])  # S=3, F=1
    policy.update("b", [0, 0])  # S=0, F=2
    policy.select([A, B], 10)  # step 2: everything x 0.8
    assert policy.discounted("a") == pytest.approx((2.4, 0.8))
    assert policy.discounted("b") == pytest.approx((0.0, 1.6))
    policy.update("a", [1])
    for _ in range(3):  # three steps without any feedback: b is not pulled, still ages
        policy.select([A, B], 10)
    assert policy.discounted("a") == pytest.approx((3.4 * 0.8**3, 0.8 * 0.8**3))
    assert policy.discounted("b") == pytest.approx((0.0, 1.6 * 0.8**3))
    assert policy.posterior("b") == pytest.approx((2.0, 1.0 + 1.6 * 0.512))
    assert policy.steps == 5
    assert policy.stats("a").count == 5  # raw counts are not discounted


def test_probabilities_and_empty_selects_do_not_tick_the_clock() -> None:
    policy = DiscountedThompson(gamma=0.5, seed=0)
    policy.select([A, B], 1)
    policy.update("a", [1, 1])
    for _ in range(3):
        policy.probabilities([A, B])
    policy.select([A, B], 0)
    assert policy.discounted("a") == (2.0, 0.0)
    assert policy.steps == 1


def test_a_stale_arm_is_explored_again() -> None:
    policy = DiscountedThompson(gamma=0.7, seed=3)
    policy.select([A, B], 1)
    policy.update("a", [1.0] * 50)
    policy.update("b", [1.0] * 30 + [0.0] * 20)
    before = policy.probabilities([A, B])[1]
    for _ in range(10):
        policy.select([A, B], 1)
        policy.update("a", [1.0] * 5)  # only a serves (a steady 5 rows a step)
    after = policy.probabilities([A, B])[1]
    assert before < 0.01 < after


def test_gamma_one_is_thompson_sampling() -> None:
    discounted, plain = DiscountedThompson(gamma=1.0, seed=9), ThompsonSampling(seed=9)
    rng = np.random.default_rng(1)
    for _ in range(20):
        picks = discounted.select([A, B], 25)
        assert picks.tolist() == plain.select([A, B], 25).tolist()
        for i, arm in enumerate((A, B)):
            r = (rng.random(int((picks == i).sum())) < [0.4, 0.6][i]).astype(float)
            discounted.update(arm.id, r)
            plain.update(arm.id, r)


def test_forget_returns_an_arm_to_the_prior() -> None:
    policy = DiscountedThompson(seed=0)
    policy.select([A], 1)
    policy.update("a", [1, 0, 1])
    policy.forget("a")
    assert policy.posterior("a") == (1.0, 1.0)
