"""``from_state`` / ``load_policy`` refuse tampered or truncated state with a ConfigError.

The router rebuilds policies from snapshots, so a malformed snapshot must be refused
with a message naming what is wrong, never load silently (negative counts, NaN sums) nor
fail with a KeyError / TypeError; a valid state must still round-trip exactly.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from banditops.errors import ConfigError
from banditops.policies import POLICIES, Arm, DropPenalty, Guardrail, load_policy, make_policy

ARMS = [Arm("a"), Arm("b")]


def _trained(policy: Any) -> Any:
    policy.select(ARMS, 4)
    policy.update("a", [1.0, 0.0, 1.0])
    policy.update("b", [0.5])
    policy.select(ARMS, 4)
    return policy


def _policy_state(name: str) -> dict[str, Any]:
    return _trained(make_policy(name, seed=0, **POLICIES[name].example_params)).state()


def _set(key: str, value: Any) -> Callable[[dict], None]:
    return lambda s: s.__setitem__(key, value)


def _stats(field: str, value: Any) -> Callable[[dict], None]:
    return lambda s: s["stats"]["a"].__setitem__(field, value)


def _mt19937_state() -> dict[str, Any]:
    return np.random.Generator(np.random.MT19937(0)).bit_generator.state


TAMPERS: dict[str, tuple[Callable[[dict], None], str]] = {
    "params-not-a-dict": (_set("params", [1]), "params must be a dict"),
    "params-extra-key": (lambda s: s["params"].update(zzz=1), r"unexpected keys \['zzz'\]"),
    "rng-a-string": (_set("rng", "x"), "rng must be a bit generator state"),
    "rng-other-type": (_set("rng", _mt19937_state()), "bit generator 'MT19937'"),
    "rng-bad-fields": (_set("rng", {"bit_generator": "PCG64", "state": "x"}), "rng is malformed"),
    "stats-not-a-dict": (_set("stats", []), "stats must be a dict"),
    "stats-missing-total_sq": (
        lambda s: s["stats"]["a"].pop("total_sq"),
        r"arm 'a': missing keys \['total_sq'\]",
    ),
    "stats-negative-count": (_stats("count", -5.0), "count must be >= 0"),
    "stats-total-above-count": (_stats("total", 99.0), "total must lie in"),
    "stats-nan-total": (_stats("total", float("nan")), "total must be finite"),
    "stats-string": (_stats("count", "3"), "count must be a number"),
    "stats-bool": (_stats("count", True), "count must be a number"),
    "stats-total_sq-above-total": (_stats("total_sq", 50.0), "total_sq must lie in"),
    "stats-empty-arm-id": (lambda s: s["stats"].__setitem__("", {}), "non-empty strings"),
    "learned-not-a-dict": (_set("learned", [1]), "learned must be a dict"),
    "unknown-top-level-key": (_set("extra", 1), r"unexpected keys \['extra'\]"),
    "missing-rng": (lambda s: s.pop("rng"), r"missing keys \['rng'\]"),
    "state-not-a-dict": (None, "must be a dict"),  # type: ignore[dict-item]
}


@pytest.mark.parametrize("name", list(POLICIES))
@pytest.mark.parametrize("tamper", list(TAMPERS))
def test_tampered_policy_state_is_a_config_error(name: str, tamper: str) -> None:
    change, match = TAMPERS[tamper]
    state: Any = _policy_state(name)
    if change is None:
        state = [state]
    else:
        change(state)
    with pytest.raises(ConfigError, match=match):
        load_policy(state)
    if change is not None:
        with pytest.raises(ConfigError, match=match):
            POLICIES[name].from_state(state)


@pytest.mark.parametrize("name", [n for n in POLICIES if POLICIES[n].param_names()])
def test_missing_param_is_a_config_error(name: str) -> None:
    state = _policy_state(name)
    missing = POLICIES[name].param_names()[0]
    state["params"].pop(missing)
    with pytest.raises(ConfigError, match=f"params: missing keys \\['{missing}'\\]"):
        load_policy(state)


@pytest.mark.parametrize("name", [n for n, cls in POLICIES.items() if cls.invalid_params])
def test_out_of_range_param_in_state_is_a_config_error(name: str) -> None:
    invalid = POLICIES[name].invalid_params
    state = _policy_state(name)
    state["params"].update(invalid[0])
    with pytest.raises(ConfigError):
        load_policy(state)


@pytest.mark.parametrize("name", list(POLICIES))
def test_valid_state_round_trips_exactly(name: str) -> None:
    state = json.loads(json.dumps(_policy_state(name)))
    loaded = load_policy(copy.deepcopy(state))
    assert loaded.state() == state
    original = load_policy(state)
    assert loaded.select(ARMS, 20).tolist() == original.select(ARMS, 20).tolist()


# -- ab-test learned state -------------------------------------------------------------


def _ab_state(in_test: bool) -> dict[str, Any]:
    policy = make_policy("ab-test", seed=0, min_samples=50)
    policy.select([Arm("a", validation_score=0.9)], 3)
    if in_test:
        policy.select([Arm("a", validation_score=0.9), Arm("b", created_at=1)], 3)
    return policy.state()


AB_TAMPERS: dict[str, tuple[bool, Callable[[dict], None], str]] = {
    "missing-key": (True, lambda s: s["learned"].pop("incumbent"), "missing keys"),
    "extra-key": (False, lambda s: s["learned"].update(zzz=1), "unexpected keys"),
    "unknown-incumbent": (False, lambda s: s["learned"].update(incumbent="zzz"), "incumbent"),
    "started-string": (False, lambda s: s["learned"].update(started="yes"), "started"),
    "waiting-unknown": (False, lambda s: s["learned"].update(waiting=["zzz"]), "waiting"),
    "test-missing-key": (True, lambda s: s["learned"]["test"].pop("challenger"), "test"),
    "test-unknown-challenger": (
        True,
        lambda s: s["learned"]["test"].update(challenger="zzz"),
        "challenger",
    ),
    "test-negative-rows": (True, lambda s: s["learned"]["test"].update(served_rows=-1), "served"),
    "test-stats-missing": (True, lambda s: s["learned"].update(test_stats={}), "test_stats"),
    "test-stats-bad": (
        True,
        lambda s: s["learned"]["test_stats"]["a"].update(count=-1.0),
        "count must be >= 0",
    ),
    "stats-without-test": (
        False,
        lambda s: s["learned"].update(test_stats={"a": {}}),
        "test_stats must be empty",
    ),
    "history-not-events": (False, lambda s: s["learned"].update(history=[1]), "history"),
    "step-negative": (False, lambda s: s["learned"].update(step=-2), "step"),
}


@pytest.mark.parametrize("tamper", list(AB_TAMPERS))
def test_tampered_ab_test_learned_state_is_a_config_error(tamper: str) -> None:
    in_test, change, match = AB_TAMPERS[tamper]
    state = _ab_state(in_test)
    load_policy(copy.deepcopy(state))  # untampered loads
    change(state)
    with pytest.raises(ConfigError, match=match):
        load_policy(state)


# -- guardrail -------------------------------------------------------------------------


def _guard_state() -> dict[str, Any]:
    guard = Guardrail(make_policy("naive"), min_samples=5)
    guard.select([Arm("a"), Arm("b", created_at=1)], 3)
    guard.update("a", [1.0] * 10)
    guard.update("b", [0.0] * 10)
    guard.select([Arm("a"), Arm("b", created_at=1)], 3)
    state = guard.state()
    assert state["quarantined"] == ["b"] and state["hold"] == "a"
    return state


GUARD_TAMPERS: dict[str, tuple[Callable[[dict], None], str]] = {
    "missing-key": (lambda s: s.pop("hold"), r"missing keys \['hold'\]"),
    "extra-key": (_set("zzz", 1), r"unexpected keys \['zzz'\]"),
    "params-extra": (lambda s: s["params"].update(zzz=1), "unexpected keys"),
    "params-not-a-dict": (_set("params", [1]), "params must be a dict"),
    "hold-unknown": (_set("hold", "zzz"), "hold must be None or a known arm"),
    "hold-quarantined": (_set("hold", "b"), "hold names the quarantined arm"),
    "last-served-unknown": (_set("last_served", 3), "last_served"),
    "quarantined-string": (_set("quarantined", "ab"), "quarantined must be a list"),
    "quarantined-unknown": (_set("quarantined", ["zzz"]), "quarantined must be a list"),
    "quarantined-twice": (_set("quarantined", ["b", "b"]), "twice"),
    "degraded-string": (_set("degraded", "false"), "degraded must be true or false"),
    "step-negative": (_set("step", -1), "step"),
    "observed-float": (_set("observed", 2.5), "observed"),
    "events-not-events": (_set("events", "x"), "events"),
    "stats-negative": (_stats("count", -1.0), "count must be >= 0"),
    "stats-not-a-dict": (_set("stats", []), "stats must be a dict"),
    "base-rng": (lambda s: s["base"].update(rng="x"), "rng must be"),
    "base-not-a-dict": (_set("base", 3), "must be a dict"),
}


@pytest.mark.parametrize("tamper", list(GUARD_TAMPERS))
def test_tampered_guardrail_state_is_a_config_error(tamper: str) -> None:
    change, match = GUARD_TAMPERS[tamper]
    state = _guard_state()
    change(state)
    with pytest.raises(ConfigError, match=match):
        load_policy(state)


def test_guardrail_state_round_trips_exactly() -> None:
    state = json.loads(json.dumps(_guard_state()))
    assert load_policy(copy.deepcopy(state)).state() == state


# -- drop-penalty (loaded through load_policy) -----------------------------------------


def _shaped_state() -> dict[str, Any]:
    return _trained(DropPenalty(make_policy("thompson", seed=0))).state()


@pytest.mark.parametrize(
    "change",
    [
        lambda s: s.pop("pending"),
        lambda s: s.update(params=[1]),
        lambda s: s.update(levels={"a": "high"}),
        lambda s: s["base"].update(rng="x"),
    ],
    ids=["missing-pending", "params-list", "level-string", "base-rng"],
)
def test_tampered_drop_penalty_state_is_a_config_error(change: Callable[[dict], None]) -> None:
    state = _shaped_state()
    change(state)
    with pytest.raises(ConfigError):
        load_policy(state)


def test_drop_penalty_state_round_trips_exactly() -> None:
    state = json.loads(json.dumps(_shaped_state()))
    assert load_policy(copy.deepcopy(state)).state() == state
