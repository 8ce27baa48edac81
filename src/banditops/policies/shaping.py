"""Drift-aware reward shaping: what a policy learns from, not what it is judged on.

:class:`DropPenalty` wraps any policy and changes the rewards it *learns from*; the
replay still scores the true rewards. The shaping is a **penalty for instability**: when
an arm's reward in a decision step falls below its own recent level, the fall is
amplified, so a version that turns bad loses its standing faster than the plain average
of its long history would let it.

Definition. Rewards are shaped per arm and per *decision step* (the rewards that land
between two ``select`` calls, i.e. one chunk of feedback in the replay; they are held
back until the next ``select``/``probabilities`` and then passed on, so a batch update
equals the same updates one by one). For an arm whose step batch has mean ``m`` and whose
recent level (an exponentially weighted moving average of its earlier step means, weight
``smoothing`` on the newest) is ``level``::

    drop    = max(0, level - m)
    shaped  = clip(r - penalty * drop, 0, 1)      for every reward r of the batch
    level  <- (1 - smoothing) * level + smoothing * m

An arm's first batch sets its level and passes unchanged; a steady or improving arm is
never penalised. ``penalty = 0`` is no shaping.

What it is not: a change of the served reward, of regret or of any reported metric.

Examples
--------
>>> from banditops.policies import Arm, ThompsonSampling
>>> arms = [Arm("a"), Arm("b")]
>>> policy = DropPenalty(ThompsonSampling(seed=0), penalty=2.0, smoothing=0.5)
>>> _ = policy.select(arms, 4)
>>> policy.update("a", [1.0, 1.0, 1.0, 1.0])   # level of a: 1.0
>>> _ = policy.select(arms, 4)
>>> policy.update("a", [1.0, 1.0, 0.0, 0.0])   # mean 0.5: a drop of 0.5, penalised x2
>>> _ = policy.select(arms, 4)
>>> policy.base.stats("a").total, policy.level("a")  # 4 + (1-1) + (1-1) + 0 + 0
(4.0, 0.75)
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import numpy as np

from banditops.errors import ConfigError, UnknownArmError
from banditops.policies.base import (
    Arm,
    ArmStats,
    BasePolicy,
    Policy,
    check_range,
    validate_rewards,
)

__all__ = ["SHAPINGS", "DropPenalty"]


class DropPenalty:
    """Amplify a fall of an arm's step reward below its recent level (see the module).

    Parameters
    ----------
    base_policy : Policy
        The policy that learns from the shaped rewards (a fresh one).
    penalty : float, default 1.0
        Multiple of the drop subtracted from each reward of the batch, in [0, inf).
    smoothing : float, default 0.3
        Weight of the newest step mean in the arm's level, in (0, 1].

    Examples
    --------
    >>> from banditops.policies import UCB1
    >>> DropPenalty(UCB1(), penalty=-1)
    Traceback (most recent call last):
    ...
    banditops.errors.ConfigError: penalty must lie in [0, inf), got -1
    """

    name: ClassVar[str] = "drop-penalty"
    adaptive: ClassVar[bool] = True
    example_params: ClassVar[dict[str, object]] = {"penalty": 1.0, "smoothing": 0.3}
    invalid_params: ClassVar[list[dict[str, object]]] = [
        {"penalty": -1.0},
        {"penalty": float("nan")},
        {"smoothing": 0.0},
        {"smoothing": 1.5},
    ]

    def __init__(
        self, base_policy: Policy, *, penalty: float = 1.0, smoothing: float = 0.3
    ) -> None:
        if not isinstance(base_policy, Policy) or isinstance(base_policy, type):
            raise ConfigError(f"base_policy must be a policy object, got {base_policy!r}")
        self._penalty = check_range("penalty", penalty, 0, np.inf, high_open=True)
        self._smoothing = check_range("smoothing", smoothing, 0, 1, low_open=True)
        self._params: dict[str, Any] = {"penalty": penalty, "smoothing": smoothing}
        self._base = base_policy
        self._stats: dict[str, ArmStats] = {}
        self._pending: dict[str, list[float]] = {}
        self._levels: dict[str, float] = {}

    @property
    def stochastic(self) -> bool:
        """Whether decisions depend on a random generator (that of the base)."""
        return bool(self._base.stochastic)

    @property
    def base(self) -> Policy:
        """The wrapped policy."""
        return self._base

    def params(self) -> dict[str, Any]:
        """The shaping's hyperparameters, as given."""
        return dict(self._params)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self._params.items())
        return f"DropPenalty({self._base!r}, {args})"

    def known_arms(self) -> list[str]:
        """Ids of every arm seen."""
        return list(self._stats)

    def stats(self, arm_id: str) -> ArmStats:
        """The arm's true (unshaped) observed rewards."""
        if arm_id not in self._stats:
            raise UnknownArmError(f"unknown arm {arm_id!r}; known arms: {self.known_arms()}")
        return copy.copy(self._stats[arm_id])

    def level(self, arm_id: str) -> float | None:
        """The arm's recent level (``None`` before its first batch was passed on)."""
        self.stats(arm_id)
        return self._levels.get(arm_id)

    def _register(self, arms: Sequence[Arm]) -> None:
        BasePolicy._check_arms(arms)
        for arm in arms:
            self._stats.setdefault(arm.id, ArmStats())

    def _flush(self) -> None:
        for arm_id in list(self._pending):
            batch = np.asarray(self._pending.pop(arm_id), dtype=float)
            mean = float(batch.mean())
            level = self._levels.get(arm_id)
            if level is None:
                shaped, self._levels[arm_id] = batch, mean
            else:
                drop = max(0.0, level - mean)
                shaped = np.clip(batch - self._penalty * drop, 0.0, 1.0)
                self._levels[arm_id] = (1 - self._smoothing) * level + self._smoothing * mean
            self._base.update(arm_id, shaped)

    def select(self, arms: Sequence[Arm], n: int) -> np.ndarray:
        """Pass on the held-back shaped rewards, then let the base choose."""
        self._register(arms)
        self._flush()
        return self._base.select(arms, n)

    def probabilities(self, arms: Sequence[Arm]) -> np.ndarray:
        """Traffic shares of the base after passing on held-back rewards (no randomness)."""
        self._register(arms)
        self._flush()
        return self._base.probabilities(arms)

    def update(self, arm_id: str, rewards: Any) -> None:
        """Hold back the rewards of rows ``arm_id`` served until the next decision step."""
        self.stats(arm_id)
        values = validate_rewards(rewards)
        if values.size == 0:
            return
        self._stats[arm_id].add(values)
        self._pending.setdefault(arm_id, []).extend(values.tolist())

    def state(self) -> dict[str, Any]:
        """The full state, the base policy's included, as a JSON-able dict."""
        return {
            "policy": self.name,
            "params": self.params(),
            "base": self._base.state(),
            "stats": {arm: s.to_dict() for arm, s in self._stats.items()},
            "pending": copy.deepcopy(self._pending),
            "levels": dict(self._levels),
        }

    @classmethod
    def from_state(cls, state: Mapping[str, Any]) -> DropPenalty:
        """Rebuild the shaping wrapper and its base from :meth:`state`."""
        from banditops.policies.guardrail import load_policy

        if not isinstance(state, Mapping) or state.get("policy") != cls.name:
            raise ConfigError(f"state is not of {cls.name!r}")
        shaped = cls(load_policy(state["base"]), **state["params"])
        shaped._stats = {arm: ArmStats.from_dict(s) for arm, s in state["stats"].items()}
        shaped._pending = {k: list(v) for k, v in state["pending"].items()}
        shaped._levels = {k: float(v) for k, v in state["levels"].items()}
        return shaped


#: shaping name -> wrapper class (used by ``NAME+shaped`` strategies)
SHAPINGS: dict[str, type[DropPenalty]] = {DropPenalty.name: DropPenalty}
