"""Hostile inputs to policies: seeds, huge numbers, numpy parameters, odd rewards, arms.

Each must be refused with the library's own error naming what is wrong (ConfigError for
configuration, FeedbackError for rewards), never a numpy or Python error from deep inside.
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pytest

from banditops.errors import ConfigError, FeedbackError
from banditops.policies import POLICIES, Guardrail, make_policy
from banditops.policies.base import MAX_ROWS, Arm, check_range, check_seed, json_native


@pytest.mark.parametrize("seed", [-1, 1.5, "abc", True, np.True_, [1, 2], 2.0])
def test_bad_seed_is_a_config_error(seed: Any) -> None:
    with pytest.raises(ConfigError, match="seed must be"):
        make_policy("ucb", seed=seed)


@pytest.mark.parametrize("seed", [None, 0, 7, np.int64(7), 2**100, np.random.SeedSequence(3)])
def test_good_seeds_are_accepted(seed: Any) -> None:
    make_policy("thompson", seed=seed).select([Arm("a"), Arm("b")], 3)


def test_numpy_integer_seed_gives_the_same_stream_as_the_int() -> None:
    arms = [Arm("a"), Arm("b")]
    a = make_policy("thompson", seed=np.int64(5)).select(arms, 50)
    b = make_policy("thompson", seed=5).select(arms, 50)
    assert a.tolist() == b.tolist()


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("ucb", {"c": 10**400}),
        ("thompson", {"prior_alpha": 10**400}),
        ("ab-test", {"split": -(10**400)}),
    ],
)
def test_integers_beyond_float_range_are_a_config_error(name: str, params: dict) -> None:
    key = next(iter(params))
    with pytest.raises(ConfigError, match=f"{key} must lie in .*too large for a float"):
        make_policy(name, **params)


def test_check_range_message_is_short_for_huge_values() -> None:
    with pytest.raises(ConfigError) as info:
        check_range("c", 10**400, 0, math.inf, high_open=True)
    assert len(str(info.value)) < 200


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("ab-test", {"min_samples": np.int64(5), "split": np.float32(0.25)}),
        ("epsilon-greedy", {"epsilon": np.float64(0.2), "decay": np.int32(0)}),
        ("ucb", {"c": np.int64(2)}),
        ("sw-ucb", {"window": np.int64(50)}),
        ("thompson", {"prior_alpha": np.float16(2.0)}),
    ],
)
def test_numpy_params_are_stored_as_json_native_values(name: str, params: dict) -> None:
    policy = make_policy(name, **params)
    stored = policy.params()
    for key, value in params.items():
        assert type(stored[key]) in (int, float, bool), (key, type(stored[key]))
        assert stored[key] == value  # unchanged in value
    state = policy.state()
    assert json.loads(json.dumps(state)) == state
    assert "np." not in repr(policy)


def test_guardrail_params_are_json_native() -> None:
    guard = Guardrail(make_policy("naive"), min_samples=np.int64(5), confidence=np.float32(0.5))
    assert guard.params()["min_samples"] == 5 and type(guard.params()["min_samples"]) is int
    json.dumps(guard.state())


def test_json_native_refuses_non_json_values() -> None:
    with pytest.raises(ConfigError, match=r"base_params\['x'\] must be a JSON value"):
        json_native({"x": object()}, "base_params")
    assert json_native((np.int8(1), [np.float64(2.5)])) == [1, [2.5]]


@pytest.mark.parametrize(
    "rewards",
    [
        np.array([1], dtype="timedelta64[s]"),
        np.array(["2020-01-01"], dtype="datetime64[D]"),
        np.array([0.5 + 0j]),
        np.array([0.5], dtype=object),
        [0.5, None],
    ],
    ids=["timedelta", "datetime", "complex", "object", "none"],
)
def test_non_real_reward_dtypes_are_refused(rewards: Any) -> None:
    policy = make_policy("ucb")
    policy.select([Arm("a")], 1)
    before = policy.state()
    with pytest.raises(FeedbackError):
        policy.update("a", rewards)
    assert policy.state() == before


@pytest.mark.parametrize(
    "rewards", [np.array([1], dtype=np.uint8), np.array([0.5], dtype=np.float16)]
)
def test_unsigned_and_small_float_rewards_are_accepted(rewards: np.ndarray) -> None:
    policy = make_policy("ucb")
    policy.select([Arm("a")], 1)
    policy.update("a", rewards)
    assert policy.stats("a").count == 1


@pytest.mark.parametrize("name", [["ucb"], None, 3, ("ucb",)])
def test_make_policy_with_a_non_string_name_is_a_config_error(name: Any) -> None:
    with pytest.raises(ConfigError, match="unknown policy"):
        make_policy(name)


@pytest.mark.parametrize(
    ("fields", "match"),
    [
        ({"id": ""}, "non-empty string"),
        ({"id": 3}, "non-empty string"),
        ({"id": None}, "non-empty string"),
        ({"created_at": float("nan")}, "created_at must be an integer"),
        ({"created_at": 2.7}, "created_at must be an integer"),
        ({"created_at": "5"}, "created_at must be an integer"),
        ({"created_at": True}, "created_at must be an integer"),
        ({"validation_score": "high"}, "validation_score must be a finite number"),
        ({"validation_score": float("inf")}, "validation_score must be a finite number"),
        ({"validation_score": 10**400}, "validation_score must be a finite number"),
        ({"validation_score": True}, "validation_score must be a finite number"),
        ({"family": 7}, "family must be a string"),
    ],
)
def test_malformed_arms_are_refused_at_construction(fields: dict, match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        Arm(**{"id": "a", **fields})


def test_arm_fields_are_normalised() -> None:
    arm = Arm("a", created_at=np.int64(3), validation_score=np.float32(0.5))
    assert (type(arm.created_at), type(arm.validation_score)) == (int, float)
    assert Arm("a", validation_score=float("nan")).validation_score is None  # NaN = no score
    assert Arm("a", validation_score=1).validation_score == 1.0


@pytest.mark.parametrize("name", list(POLICIES))
def test_arms_must_be_arm_objects(name: str) -> None:
    policy = make_policy(name)
    for arms in (["a", "b"], "ab", [{"id": "a"}]):
        with pytest.raises(ConfigError, match="arms must be"):
            policy.select(arms, 1)  # type: ignore[arg-type]


@pytest.mark.parametrize("name", list(POLICIES))
def test_row_count_has_an_upper_bound(name: str) -> None:
    policy = make_policy(name)
    with pytest.raises(ConfigError, match=f"n must lie in \\[0, {MAX_ROWS}\\]"):
        policy.select([Arm("a"), Arm("b")], 10**9)
    with pytest.raises(ConfigError, match="n must lie in"):
        Guardrail(make_policy(name)).select([Arm("a")], MAX_ROWS + 1)


def test_check_seed_normalises_numpy_integers() -> None:
    assert type(check_seed(np.uint32(4))) is int
