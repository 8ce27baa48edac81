"""The change-detection wrapper: Page-Hinkley as river computes it, and the resets."""

from __future__ import annotations

import json

import numpy as np
import pytest

from banditops.errors import ConfigError
from banditops.policies import ChangeDetection, load_policy
from banditops.policies.base import Arm
from banditops.policies.change_detection import PageHinkley

A, B = Arm("a", created_at=0), Arm("b", created_at=1)


@pytest.mark.parametrize("direction", ["both", "up", "down"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_page_hinkley_matches_river(direction: str, seed: int) -> None:
    from river import drift  # in the dev extra (bench): missing river fails, never skips

    rng = np.random.default_rng(seed)
    stream = np.concatenate(
        [rng.random(600) < 0.8, rng.random(600) < 0.3, rng.random(600) < 0.9]
    ).astype(float)
    ours = PageHinkley(min_instances=30, threshold=20.0, direction=direction)
    theirs = drift.PageHinkley(min_instances=30, threshold=20.0, mode=direction)
    mine, river_hits = [], []
    for i, x in enumerate(stream.tolist()):
        if ours.update(x):
            mine.append(i)
        theirs.update(x)
        if theirs.drift_detected:
            river_hits.append(i)
    assert mine == river_hits and mine


def test_page_hinkley_hand_worked() -> None:
    ph = PageHinkley(min_instances=2, delta=0.0, threshold=0.9, alpha=1.0, direction="down")
    # x = 1, 1, 0: mean 1, 1, 2/3; dev 0, 0, -2/3; down sums 0, 0, -2/3 -> statistic 2/3
    assert not any(ph.update(x) for x in (1.0, 1.0, 0.0))
    assert ph.statistic() == pytest.approx(2 / 3)
    # x = 0: mean 1/2, dev -1/2, down -7/6: statistic 7/6 > 0.9 -> fires and restarts
    assert ph.update(0.0)
    assert ph.n == 0


def make(reset: str = "arm", base: str = "ucb") -> ChangeDetection:
    policy = ChangeDetection(base=base, reset=reset, threshold=5.0, min_instances=10, seed=0)
    policy.select([A, B], 2)
    policy.update("a", [1.0] * 40)
    policy.update("b", [0.7] * 40)
    return policy


def test_a_detected_change_resets_that_arm_only() -> None:
    policy = make()
    policy.update("a", [0.0] * 10)
    (event,) = policy.events()
    assert event["arm"] == "a" and event["kind"] == "change" and "Page-Hinkley" in event["reason"]
    assert policy.base.stats("a").count == 50 - event["rows"]
    assert policy.base.stats("b").count == 40
    assert policy.stats("a").count == 50  # the wrapper's own record is complete
    # ucb re-explores the reset arm: it has the fewest rewards, the largest bonus
    assert policy.select([A, B], 3).tolist() == [0, 0, 0]


def test_policy_reset_replaces_the_base() -> None:
    policy = make(reset="policy", base="thompson")
    old = policy.base
    policy.update("a", [0.0] * 10)
    assert policy.base is not old
    assert policy.base.stats("b").count == 0 and policy.base.known_arms() == ["a", "b"]
    policy.update("b", [1.0])  # the fresh base knows every arm, retired ones too


def test_arm_reset_of_sw_ucb_uses_its_window() -> None:
    policy = make(base="sw-ucb")
    policy.update("a", [0.0] * 10)
    assert policy.base.windowed("a")[0] == 50 - policy.events()[0]["rows"]


def test_state_round_trip_keeps_detectors_and_base() -> None:
    policy = make(base="thompson")
    clone = load_policy(json.loads(json.dumps(policy.state())))
    for p in (policy, clone):
        p.update("a", [0.0] * 10)
    assert clone.events() == policy.events()
    assert clone.select([A, B], 50).tolist() == policy.select([A, B], 50).tolist()


def test_stochastic_follows_the_base() -> None:
    assert ChangeDetection(base="ucb").stochastic is False
    assert ChangeDetection(base="thompson").stochastic is True


def test_bad_base_params_name_the_parameter() -> None:
    with pytest.raises(ConfigError, match=r"base_params.*epsilon"):
        ChangeDetection(base="ucb", base_params={"epsilon": 0.1})
