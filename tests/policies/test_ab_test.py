"""The A/B test: its decision against scipy, its horizon and its life cycle."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy import stats

from banditops.policies import ABTest, Arm

v1 = Arm("v1", created_at=0, validation_score=0.80)
v0 = Arm("v0", created_at=0, validation_score=0.70)
v2 = Arm("v2", created_at=5, validation_score=0.90)
v2b = Arm("v2b", created_at=5, validation_score=0.95)
v3 = Arm("v3", created_at=9, validation_score=0.60)


def started(**params: float) -> ABTest:
    """A policy with incumbent v1 and a running test against v2."""
    policy = ABTest(seed=0, **{"min_samples": 5, **params})
    policy.select([v0, v1], 10)
    assert policy.incumbent() == "v1"
    policy.probabilities([v0, v1, v2])
    test = policy.current_test()
    assert test is not None and test["challenger"] == "v2"
    return policy


PROMOTE = ([0.0, 0.2, 0.1, 0.0, 0.3, 0.1], [1.0, 1.0, 0.9, 1.0, 0.8])
KEEP = ([0.6, 0.4, 0.7, 0.5, 0.5], [0.5, 0.7, 0.4, 0.6, 0.6, 0.3])


@pytest.mark.parametrize(("incumbent", "challenger"), [PROMOTE, KEEP], ids=["promote", "keep"])
def test_decision_matches_scipy_welch(incumbent: list[float], challenger: list[float]) -> None:
    policy = started()
    policy.update("v1", incumbent)
    policy.update("v2", challenger)
    policy.probabilities([v0, v1, v2])  # the next decision point
    reference = stats.ttest_ind(challenger, incumbent, equal_var=False, alternative="greater")
    decision = policy.decisions()[-1]
    assert decision["p_value"] == pytest.approx(reference.pvalue, rel=1e-9)
    assert decision["t"] == pytest.approx(reference.statistic, rel=1e-9)
    assert decision["df"] == pytest.approx(reference.df, rel=1e-9)
    promoted = reference.pvalue < 0.05
    assert decision["kind"] == ("promoted" if promoted else "kept")
    assert policy.incumbent() == ("v2" if promoted else "v1")
    assert (decision["n_incumbent"], decision["n_challenger"]) == (
        len(incumbent),
        len(challenger),
    )
    expected = [0.0, 0.0, 1.0] if promoted else [0.0, 1.0, 0.0]
    assert policy.probabilities([v0, v1, v2]).tolist() == expected


def test_promote_example_is_significant_and_keep_is_not() -> None:
    assert stats.ttest_ind(PROMOTE[1], PROMOTE[0], equal_var=False, alternative="greater")[1] < 0.05
    assert stats.ttest_ind(KEEP[1], KEEP[0], equal_var=False, alternative="greater")[1] > 0.05


def test_alpha_sets_the_bar() -> None:
    incumbent, challenger = KEEP
    p = stats.ttest_ind(challenger, incumbent, equal_var=False, alternative="greater").pvalue
    policy = started(alpha=min(0.99, p + 0.01))
    policy.update("v1", incumbent)
    policy.update("v2", challenger)
    policy.probabilities([v1, v2])
    assert policy.decisions()[-1]["kind"] == "promoted"


def test_traffic_split_during_the_test() -> None:
    policy = started(split=0.2)
    assert policy.probabilities([v0, v1, v2]).tolist() == [0.0, 0.8, 0.2]
    picks = policy.select([v0, v1, v2], 10_000)
    assert set(picks.tolist()) == {1, 2}
    assert abs((picks == 2).mean() - 0.2) < 0.02


def test_horizon_counts_observed_rewards_not_served_rows() -> None:
    policy = started()
    policy.select([v0, v1, v2], 1000)  # served, but no feedback yet
    policy.update("v1", [1.0] * 10)
    policy.update("v2", [1.0] * 4)  # one short
    policy.probabilities([v0, v1, v2])
    assert policy.current_test() is not None and policy.decisions() == []
    policy.update("v2", [1.0])
    policy.probabilities([v0, v1, v2])
    assert policy.current_test() is None and len(policy.decisions()) == 1


def test_rewards_before_the_test_start_do_not_count() -> None:
    policy = ABTest(min_samples=5, seed=0)
    policy.select([v1], 10)
    policy.update("v1", [0.0] * 50)  # before the release
    policy.select([v1, v2], 10)
    assert policy.current_test()["counts"] == {"v1": 0.0, "v2": 0.0}  # type: ignore[index]
    policy.update("v1", [0.5, 0.6, 0.4, 0.5, 0.5])
    policy.update("v2", [0.5, 0.4, 0.6, 0.5, 0.4])
    policy.probabilities([v1, v2])
    decision = policy.decisions()[-1]
    assert decision["n_incumbent"] == 5 and decision["mean_incumbent"] == pytest.approx(0.5)


def test_zero_variance_is_decided_by_the_means() -> None:
    policy = started()
    policy.update("v1", [0.0] * 5)
    policy.update("v2", [1.0] * 5)
    policy.probabilities([v1, v2])
    decision = policy.decisions()[-1]
    assert (decision["kind"], decision["p_value"], decision["t"]) == ("promoted", 0.0, None)


def test_best_validation_challenger_of_a_release_and_passed_over_arms() -> None:
    policy = ABTest(min_samples=5, seed=0)
    policy.select([v1], 1)
    policy.probabilities([v1, v2, v2b])
    assert policy.current_test()["challenger"] == "v2b"  # type: ignore[index]
    start = policy.history()[-1]
    assert (start["kind"], start["passed_over"]) == ("started", ["v2"])
    policy.update("v1", [0.5] * 5)
    policy.update("v2b", [0.5] * 5)
    policy.probabilities([v1, v2, v2b])
    assert policy.current_test() is None  # v2 lost the pre-selection: not tested later


def test_arms_arriving_during_a_test_wait_for_the_next_one() -> None:
    policy = started()
    policy.select([v1, v2, v3], 10)  # v3 arrives mid-test
    assert policy.current_test()["challenger"] == "v2"  # type: ignore[index]
    policy.update("v1", PROMOTE[0])
    policy.update("v2", PROMOTE[1])
    policy.probabilities([v1, v2, v3])
    test = policy.current_test()
    assert test is not None
    assert (test["incumbent"], test["challenger"]) == ("v2", "v3")
    kinds = [e["kind"] for e in policy.history()]
    assert kinds == ["started", "promoted", "started"]


def test_each_arm_is_tested_at_most_once() -> None:
    policy = started()
    policy.update("v1", KEEP[0])
    policy.update("v2", KEEP[1])
    for _ in range(3):
        policy.select([v1, v2], 10)
    assert policy.current_test() is None
    assert [e["kind"] for e in policy.history()] == ["started", "kept"]


def test_challenger_retired_mid_test_abandons_it() -> None:
    policy = started()
    policy.update("v2", [1.0] * 3)
    assert policy.probabilities([v0, v1]).tolist() == [0.0, 1.0]
    last = policy.history()[-1]
    assert (last["kind"], last["reason"], last["n_challenger"]) == (
        "abandoned",
        "challenger retired",
        3.0,
    )
    assert policy.incumbent() == "v1"


def test_incumbent_retired_falls_back_to_best_validation() -> None:
    policy = started()
    assert policy.probabilities([v0, v2]).tolist() == [0.0, 1.0]
    assert [e["kind"] for e in policy.history()] == ["started", "abandoned", "fallback"]
    assert policy.incumbent() == "v2"
    quiet = ABTest(seed=0)
    quiet.select([v0, v1], 1)
    assert quiet.probabilities([v0, v3]).tolist() == [0.5, 0.5]  # v3 is new: tested
    fallback, start = quiet.history()
    assert (fallback["kind"], fallback["retired"], fallback["incumbent"]) == (
        "fallback",
        "v1",
        "v0",
    )
    assert (start["kind"], start["incumbent"], start["challenger"]) == ("started", "v0", "v3")


def test_max_test_rows_abandons_a_test_without_feedback() -> None:
    policy = started(max_test_rows=100)
    policy.select([v1, v2], 60)
    policy.select([v1, v2], 60)  # 120 rows served, nothing observed
    assert policy.probabilities([v1, v2]).tolist() == [1.0, 0.0]
    assert policy.history()[-1]["kind"] == "abandoned"


def test_history_is_strict_json() -> None:
    policy = started()
    policy.update("v1", PROMOTE[0])
    policy.update("v2", PROMOTE[1])
    policy.select([v1, v2], 5)
    json.dumps(policy.state(), allow_nan=False)
    assert np.isfinite(policy.decisions()[-1]["p_value"])
