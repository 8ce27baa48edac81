"""The conformance suite: every registered policy (and the guardrail) must pass it.

Parametrised over the registry, so a policy is checked the moment it is registered.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from banditops.errors import ConfigError, FeedbackError, UnknownArmError
from banditops.policies import POLICIES, Arm, Guardrail


@dataclass(frozen=True)
class Case:
    """How to build, reload and judge one policy under test."""

    id: str
    make: Callable[..., Any]
    load: Callable[[dict[str, Any]], Any]
    example_params: dict[str, Any]
    invalid_params: list[dict[str, Any]]
    stochastic: bool
    adaptive: bool
    non_adaptive_reason: str = ""


def _registry_case(name: str) -> Case:
    cls = POLICIES[name]

    def make(seed: Any = None, **params: Any) -> Any:
        return cls(seed=seed, **params)

    return Case(
        id=name,
        make=make,
        load=cls.from_state,
        example_params=dict(cls.example_params),
        invalid_params=list(cls.invalid_params),
        stochastic=cls.stochastic,
        adaptive=cls.adaptive,
        non_adaptive_reason=cls.non_adaptive_reason,
    )


def _guardrail_case(base_name: str) -> Case:
    base_cls = POLICIES[base_name]

    def make(seed: Any = None, **params: Any) -> Any:
        return Guardrail(base_cls(seed=seed, **base_cls.example_params), **params)

    return Case(
        id=f"guardrail({base_name})",
        make=make,
        load=Guardrail.from_state,
        example_params=dict(Guardrail.example_params),
        invalid_params=list(Guardrail.invalid_params),
        stochastic=base_cls.stochastic,
        adaptive=Guardrail.adaptive,
    )


CASES: list[Case] = [_registry_case(name) for name in POLICIES] + [
    _guardrail_case(name) for name in ("epsilon-greedy", "thompson", "naive")
]


def _adaptive_param(case: Case) -> Any:
    if case.adaptive:
        return pytest.param(case, id=case.id)
    return pytest.param(
        case,
        id=case.id,
        marks=pytest.mark.xfail(strict=True, reason=case.non_adaptive_reason),
    )


cases = pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])


def dumps(state: dict[str, Any]) -> str:
    """Strict JSON (no NaN or infinity), with sorted keys for comparison."""
    return json.dumps(state, sort_keys=True, allow_nan=False)


def roundtrip(case: Case, policy: Any) -> Any:
    return case.load(json.loads(dumps(policy.state())))


# -- a scripted stream with arms appearing and retiring, and delayed feedback ----------
A = Arm("A", created_at=0, validation_score=0.70)
B = Arm("B", created_at=0, validation_score=0.60)
C = Arm("C", created_at=4, validation_score=0.80)
D = Arm("D", created_at=8, validation_score=0.75)
MEANS = {"A": 0.6, "B": 0.4, "C": 0.8, "D": 0.5}
SCHEDULE: list[list[Arm]] = (
    [[A, B]] * 4 + [[A, B, C]] * 4 + [[B, C, D]] * 4 + [[A, C]] * 2  # A retires, returns
)
ROWS = 40


@dataclass
class Log:
    decisions: list[list[int]] = field(default_factory=list)
    probabilities: list[list[float]] = field(default_factory=list)
    states: list[str] = field(default_factory=list)


def chunk_rewards(env_seed: int, chunk: int, arms: Sequence[Arm], rows: int) -> dict[str, Any]:
    """Every arm's reward on every row of a chunk (independent of the decisions)."""
    rng = np.random.default_rng([env_seed, chunk])
    return {a.id: (rng.random(rows) < MEANS[a.id]).astype(float) for a in arms}


def run(
    case: Case,
    policy: Any,
    *,
    env_seed: int = 0,
    swap_at: int | None = None,
    feedback: str = "batch",
    delay: int = 1,
    schedule: Sequence[Sequence[Arm]] = SCHEDULE,
) -> tuple[Any, Log]:
    """Replay the scripted stream; optionally swap in a JSON round-trip clone mid-stream."""
    log = Log()
    pending: list[list[tuple[str, np.ndarray]]] = []
    for chunk, arms in enumerate(schedule):
        if swap_at is not None and chunk == swap_at:
            policy = roundtrip(case, policy)
        log.probabilities.append(policy.probabilities(arms).tolist())
        picks = policy.select(arms, ROWS)
        log.decisions.append(picks.tolist())
        rewards = chunk_rewards(env_seed, chunk, arms, ROWS)
        pending.append([(a.id, rewards[a.id][picks == i]) for i, a in enumerate(arms)])
        while len(pending) > delay:
            deliver(policy, pending.pop(0), feedback)
        log.states.append(dumps(policy.state()))
    while pending:
        deliver(policy, pending.pop(0), feedback)
    log.states.append(dumps(policy.state()))
    return policy, log


def deliver(policy: Any, batch: list[tuple[str, np.ndarray]], feedback: str) -> None:
    for arm_id, values in batch:
        if feedback == "batch":
            policy.update(arm_id, values)  # empty for unserved arms: a no-op
        elif feedback == "single":
            for value in values.tolist():
                policy.update(arm_id, value)
        else:  # uneven pieces, as lists
            pieces = np.array_split(values, 3)
            for piece in pieces:
                policy.update(arm_id, piece.tolist())


# -- hyperparameters -----------------------------------------------------------------
@cases
def test_builds_from_example_params_and_round_trips_them(case: Case) -> None:
    policy = case.make(seed=0, **case.example_params)
    assert policy.params() == case.example_params
    assert json.loads(json.dumps(policy.params())) == case.example_params
    again = case.make(seed=0, **policy.params())
    assert again.params() == policy.params()


@cases
def test_builds_with_defaults(case: Case) -> None:
    policy = case.make()
    assert isinstance(policy.params(), dict)
    assert policy.select([A, B], 3).shape == (3,)


@cases
def test_flags_are_declared(case: Case) -> None:
    policy = case.make(seed=0, **case.example_params)
    assert isinstance(policy.name, str) and policy.name
    assert policy.stochastic is case.stochastic
    assert policy.adaptive is case.adaptive
    if not case.adaptive:
        assert case.non_adaptive_reason


INVALID = [
    pytest.param(case, bad, id=f"{case.id}-{'-'.join(f'{k}={v!r}' for k, v in bad.items())}")
    for case in CASES
    for bad in case.invalid_params
]


@pytest.mark.parametrize(("case", "bad"), INVALID)
def test_invalid_params_raise_at_construction(case: Case, bad: dict[str, Any]) -> None:
    params = {**case.example_params, **bad}
    with pytest.raises(ConfigError) as info:
        case.make(seed=0, **params)
    for key in bad:
        assert key in str(info.value)


def test_every_tunable_policy_declares_invalid_params() -> None:
    for case in CASES:
        if case.example_params:
            assert case.invalid_params, case.id


# -- select and probabilities --------------------------------------------------------
@cases
def test_select_returns_live_positions_with_arms_appearing_and_retiring(case: Case) -> None:
    policy = case.make(seed=3, **case.example_params)
    _, log = run(case, policy)
    for arms, picks in zip(SCHEDULE, log.decisions, strict=True):
        assert len(picks) == ROWS
        assert all(isinstance(p, int) and 0 <= p < len(arms) for p in picks)
    raw = policy.select([B, C], 5)
    assert raw.dtype.kind == "i" and raw.shape == (5,)


@cases
def test_new_arm_gets_the_prior(case: Case) -> None:
    policy = case.make(seed=3, **case.example_params)
    policy, _ = run(case, policy)
    fresh = Arm("E", created_at=20, validation_score=0.5)
    policy.probabilities([C, fresh])
    stats = policy.stats("E")
    assert (stats.count, stats.total) == (0.0, 0.0)


@cases
def test_n_zero_gives_an_empty_array(case: Case) -> None:
    policy = case.make(seed=0, **case.example_params)
    picks = policy.select([A, B], 0)
    assert picks.shape == (0,)


@cases
@pytest.mark.parametrize(
    "arms", [[], [A, A], [A, Arm("A", created_at=3)]], ids=["none", "dup", "dup-id"]
)
def test_no_arms_or_duplicate_ids_raise(case: Case, arms: list[Arm]) -> None:
    policy = case.make(seed=0, **case.example_params)
    with pytest.raises(ConfigError):
        policy.select(arms, 3)
    with pytest.raises(ConfigError):
        policy.probabilities(arms)


@cases
@pytest.mark.parametrize("n", [-1, 2.5, "3", True])
def test_bad_row_count_raises(case: Case, n: Any) -> None:
    policy = case.make(seed=0, **case.example_params)
    with pytest.raises(ConfigError):
        policy.select([A, B], n)


@cases
def test_probabilities_are_a_distribution_over_the_live_arms(case: Case) -> None:
    policy = case.make(seed=5, **case.example_params)
    _, log = run(case, policy)
    for arms, probs in zip(SCHEDULE, log.probabilities, strict=True):
        p = np.array(probs)
        assert p.shape == (len(arms),)
        assert np.all(np.isfinite(p)) and np.all(p >= 0)
        assert p.sum() == pytest.approx(1.0, abs=1e-12)


@cases
def test_probabilities_consume_no_randomness(case: Case) -> None:
    policy = case.make(seed=5, **case.example_params)
    policy, _ = run(case, policy, schedule=SCHEDULE[:6])
    arms = SCHEDULE[6]
    twin = roundtrip(case, policy)
    first = policy.probabilities(arms)
    for _ in range(3):
        np.testing.assert_array_equal(policy.probabilities(arms), first)
    np.testing.assert_array_equal(policy.select(arms, 200), twin.select(arms, 200))
    assert dumps(policy.state()) == dumps(twin.state())


@cases
@pytest.mark.parametrize("chunk", [0, 3, 5, 9, 12])
def test_probabilities_match_empirical_frequencies(case: Case, chunk: int) -> None:
    policy = case.make(seed=11, **case.example_params)
    policy, _ = run(case, policy, schedule=SCHEDULE[:chunk], delay=0)
    arms = SCHEDULE[chunk]
    rows = 20_000
    expected = policy.probabilities(arms)
    picks = policy.select(arms, rows)
    freq = np.bincount(picks, minlength=len(arms)) / rows
    tolerance = 5.0 * np.sqrt(expected * (1 - expected) / rows) + 1.0 / rows
    assert np.all(np.abs(freq - expected) <= tolerance), (freq, expected)


# -- reproducibility and persistence ---------------------------------------------------
@cases
def test_same_seed_same_decisions(case: Case) -> None:
    _, first = run(case, case.make(seed=42, **case.example_params))
    _, second = run(case, case.make(seed=42, **case.example_params))
    assert first.decisions == second.decisions
    assert first.probabilities == second.probabilities
    assert first.states == second.states


@cases
def test_different_seed_different_decisions_only_if_stochastic(case: Case) -> None:
    _, first = run(case, case.make(seed=1, **case.example_params))
    _, second = run(case, case.make(seed=2, **case.example_params))
    if case.stochastic:
        assert first.decisions != second.decisions
    else:
        assert first.decisions == second.decisions


@cases
@pytest.mark.parametrize("swap_at", [1, 5, 9])
def test_state_round_trip_mid_stream_gives_identical_next_decisions(
    case: Case, swap_at: int
) -> None:
    _, straight = run(case, case.make(seed=8, **case.example_params))
    _, swapped = run(case, case.make(seed=8, **case.example_params), swap_at=swap_at)
    assert swapped.decisions == straight.decisions
    assert swapped.probabilities == straight.probabilities
    assert swapped.states[-1] == straight.states[-1]


@cases
def test_state_is_plain_json(case: Case) -> None:
    policy, _ = run(case, case.make(seed=8, **case.example_params))
    state = policy.state()
    assert json.loads(dumps(state)) == state


@cases
def test_state_of_another_policy_is_refused(case: Case) -> None:
    other = "ucb" if case.id != "ucb" else "naive"
    with pytest.raises(ConfigError):
        case.load(POLICIES[other]().state())


@cases
@pytest.mark.parametrize("feedback", ["single", "pieces"])
def test_batch_update_equals_one_by_one(case: Case, feedback: str) -> None:
    _, batch = run(case, case.make(seed=4, **case.example_params))
    _, split = run(case, case.make(seed=4, **case.example_params), feedback=feedback)
    assert split.states == batch.states
    assert split.decisions == batch.decisions


# -- learning --------------------------------------------------------------------------
GOOD = Arm("good", created_at=0, validation_score=0.80)
BAD = Arm("bad", created_at=1, validation_score=0.95)  # newer and looks better offline


@pytest.mark.parametrize("case", [_adaptive_param(c) for c in CASES])
def test_learns_on_a_two_arm_problem(case: Case) -> None:
    """0.9 vs 0.1; the bad arm is newer with a better validation score (like a skew)."""
    policy = case.make(seed=2024, **case.example_params)
    env = np.random.default_rng(99)
    means = {"good": 0.9, "bad": 0.1}
    total, rows = 0.0, 0
    for chunk in range(201):
        arms = [GOOD] if chunk == 0 else [GOOD, BAD]
        picks = policy.select(arms, 50)
        for i, arm in enumerate(arms):
            served = int((picks == i).sum())
            rewards = (env.random(served) < means[arm.id]).astype(float)
            policy.update(arm.id, rewards)
            if chunk > 0:
                total += rewards.sum()
                rows += served
    assert rows == 200 * 50
    assert total / rows >= 0.8


# -- feedback validation -------------------------------------------------------------
BAD_REWARDS = [
    [float("nan")],
    [float("inf")],
    [-float("inf")],
    [-0.1],
    [1.1],
    [0.5, float("nan")],
    "a",
    ["a"],
    True,
    [True],
    [0.3, True],
    None,
    [[0.5]],
    [[0.5], [0.5, 1.0]],
    {"reward": 1.0},
    np.array([0.5, 2.0]),
    np.array([1 + 0j]),
]


@cases
@pytest.mark.parametrize("rewards", BAD_REWARDS, ids=repr)
def test_invalid_rewards_raise_and_leave_state_unchanged(case: Case, rewards: Any) -> None:
    policy, _ = run(case, case.make(seed=6, **case.example_params), schedule=SCHEDULE[:5])
    before = dumps(policy.state())
    with pytest.raises(FeedbackError):
        policy.update("A", rewards)
    assert dumps(policy.state()) == before


@cases
def test_empty_update_is_a_no_op(case: Case) -> None:
    policy, _ = run(case, case.make(seed=6, **case.example_params), schedule=SCHEDULE[:5])
    before = dumps(policy.state())
    policy.update("A", [])
    policy.update("A", np.zeros(0))
    assert dumps(policy.state()) == before


@cases
def test_unknown_arm_raises(case: Case) -> None:
    policy = case.make(seed=0, **case.example_params)
    policy.select([A, B], 2)
    with pytest.raises(UnknownArmError) as info:
        policy.update("Z", [1.0])
    assert "Z" in str(info.value)
    assert isinstance(info.value, KeyError)


@cases
def test_feedback_for_a_retired_arm_is_accepted(case: Case) -> None:
    policy = case.make(seed=0, **case.example_params)
    policy.select([A, B], 4)
    policy.select([B], 4)  # A retired; its delayed rewards still land
    policy.update("A", [1.0, 0.0])
    assert policy.stats("A").count == 2


@cases
@settings(max_examples=40, deadline=None)
@given(
    values=st.lists(
        st.floats(allow_nan=True, allow_infinity=True, width=64) | st.integers(-2, 3),
        max_size=8,
    )
)
def test_rewards_are_accepted_exactly_when_finite_in_unit_interval(
    case: Case, values: list[float]
) -> None:
    policy = case.make(seed=0, **case.example_params)
    policy.select([A, B], 4)
    before = dumps(policy.state())
    valid = all(np.isfinite(v) and 0 <= v <= 1 for v in values)
    if valid:
        policy.update("A", values)
        assert policy.stats("A").count == len(values)
    else:
        with pytest.raises(FeedbackError):
            policy.update("A", values)
        assert dumps(policy.state()) == before
