"""Reward shaping (drop penalty): hand-worked shaped rewards, batching, state."""

from __future__ import annotations

import json

import numpy as np
import pytest

from banditops.errors import ConfigError, FeedbackError
from banditops.policies import UCB1, Arm, DropPenalty, Guardrail, ThompsonSampling, load_policy

A, B = Arm("a"), Arm("b")


def test_a_drop_below_the_level_is_amplified_and_a_rise_is_not() -> None:
    shaped = DropPenalty(UCB1(), penalty=1.0, smoothing=0.5)
    shaped.select([A, B], 2)
    shaped.update("a", [1.0, 0.6])  # first batch: passed unchanged, level 0.8
    shaped.select([A, B], 2)
    assert shaped.base.stats("a").total == pytest.approx(1.6)
    shaped.update("a", [0.5, 0.3])  # mean 0.4, drop 0.4 -> [0.1, 0.0]
    shaped.select([A, B], 2)
    assert shaped.base.stats("a").total == pytest.approx(1.7)
    assert shaped.level("a") == pytest.approx(0.6)
    shaped.update("a", [1.0, 1.0])  # a rise: unchanged
    shaped.select([A, B], 2)
    assert shaped.base.stats("a").total == pytest.approx(3.7)
    assert shaped.stats("a").total == pytest.approx(4.4)  # the true rewards


def test_rewards_are_held_until_the_next_decision_step_so_batching_does_not_matter() -> None:
    one, many = DropPenalty(ThompsonSampling(seed=1)), DropPenalty(ThompsonSampling(seed=1))
    rng = np.random.default_rng(0)
    for _ in range(10):
        a, b = one.select([A, B], 30), many.select([A, B], 30)
        assert a.tolist() == b.tolist()
        r = (rng.random(30) < 0.6).astype(float)
        one.update("a", r)
        for value in r.tolist():
            many.update("a", value)
    assert json.dumps(one.state()) == json.dumps(many.state())


def test_state_round_trips_inside_a_guardrail() -> None:
    guard = Guardrail(DropPenalty(ThompsonSampling(seed=2), penalty=2.0), min_samples=10)
    guard.select([A, B], 20)
    guard.update("a", [1.0] * 12)
    clone = load_policy(json.loads(json.dumps(guard.state())))
    assert clone.select([A, B], 40).tolist() == guard.select([A, B], 40).tolist()


def test_bad_params_and_rewards() -> None:
    with pytest.raises(ConfigError, match="smoothing"):
        DropPenalty(UCB1(), smoothing=0)
    shaped = DropPenalty(UCB1())
    shaped.select([A], 1)
    with pytest.raises(FeedbackError):
        shaped.update("a", [float("nan")])
    assert shaped.stats("a").count == 0
