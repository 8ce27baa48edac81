"""Rewards: per-row values, parameters and errors."""

import numpy as np
import pytest

from banditops.errors import ConfigError, DataError
from banditops.rewards import REWARDS, CostReward, make_reward


def test_accuracy_is_one_when_correct():
    reward = make_reward("accuracy")
    y = np.array([0, 1, 1, 0])
    pred = np.array([0, 1, 0, 1])
    assert reward(y, pred).tolist() == [1.0, 1.0, 0.0, 0.0]


@pytest.mark.parametrize("ratio", [1, 4, 10, 50])
def test_cost_reward_values_follow_the_cost_ratio(ratio):
    reward = make_reward("cost", cost_ratio=ratio)
    y = np.array([0, 0, 1, 1])
    pred = np.array([0, 1, 0, 1])
    # costs: tn 0, fp 1, fn ratio, tp 0 -> reward 1 - cost / ratio
    expected = [1.0, 1.0 - 1.0 / ratio, 0.0, 1.0]
    np.testing.assert_allclose(reward(y, pred), expected)
    assert reward(y, pred).min() >= 0 and reward(y, pred).max() <= 1


def test_cost_reward_bayes_threshold_is_where_flagging_pays():
    reward = CostReward(cost_ratio=10)
    assert reward.bayes_threshold == pytest.approx(1 / 11)
    # at p = threshold the expected rewards of flagging and not flagging are equal
    p = reward.bayes_threshold
    t = reward.table
    assert p * t["tp"] + (1 - p) * t["fp"] == pytest.approx(p * t["fn"] + (1 - p) * t["tn"])
    assert make_reward("accuracy").bayes_threshold == pytest.approx(0.5)


def test_never_flag_beats_flag_all_on_rare_positives_but_not_a_good_detector():
    reward = make_reward("cost", cost_ratio=10)
    y = np.array([1] * 6 + [0] * 94)
    never = reward(y, np.zeros(100, dtype=int)).mean()
    assert never == pytest.approx(0.94)
    good = np.array([1] * 5 + [0] + [1] * 10 + [0] * 84)  # 5 of 6 caught, 10 false alarms
    assert reward(y, good).mean() == pytest.approx((5 + 84 + 10 * 0.9) / 100)
    assert reward(y, good).mean() > never


@pytest.mark.parametrize("bad", [0.5, 0, -3, float("nan"), float("inf"), "10", True])
def test_cost_ratio_is_validated(bad):
    with pytest.raises(ConfigError, match="cost_ratio"):
        CostReward(cost_ratio=bad)


def test_unknown_reward_and_parameter():
    with pytest.raises(ConfigError, match="unknown reward 'auc'"):
        make_reward("auc")
    with pytest.raises(
        ConfigError, match="'accuracy' has no parameter 'cost_ratio'; accepted: none"
    ):
        make_reward("accuracy", cost_ratio=3)
    with pytest.raises(ConfigError, match="accepted: cost_ratio"):
        make_reward("cost", ratio=3)
    assert set(REWARDS) == {"accuracy", "cost"}


def test_bad_inputs_raise_data_error():
    reward = make_reward("accuracy")
    with pytest.raises(DataError, match="one length"):
        reward(np.array([0, 1]), np.array([0]))
    with pytest.raises(DataError, match="only 0 and 1"):
        reward(np.array([0, 2]), np.array([0, 1]))
    assert reward(np.array([], dtype=int), np.array([], dtype=int)).size == 0
