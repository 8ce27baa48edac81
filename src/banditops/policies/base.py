"""The policy protocol every deployment strategy implements.

A policy decides which *arm* (a deployed model version) serves each request of a
*chunk* of traffic, and learns only from the rewards of the requests it served. It
never sees labels, never trains models and does not know whether it runs in the replay
engine or in the live router.

The verbs
---------
``select(arms, n)``
    The arm of each of ``n`` rows, as an ``int`` array of positions into ``arms``.
    Every row of one call uses the policy state at the time of the call (chunk
    semantics). Stochastic policies draw each row independently from
    ``probabilities(arms)``; deterministic ones may split a chunk's traffic in fixed
    shares, and then ``probabilities`` gives those shares.
``probabilities(arms)``
    The probability (traffic share) of each arm for the next row, aligned with
    ``arms``: non-negative, sums to 1. Computing it consumes no randomness, so logging
    a propensity never changes a decision.
``update(arm_id, rewards)``
    Feed back the rewards (floats in [0, 1]) of rows that ``arm_id`` served. A batch
    update equals the same updates one by one. Invalid rewards raise
    :class:`~banditops.errors.FeedbackError` and leave the state unchanged.
``state()`` / ``from_state(state)``
    The full state (hyperparameters, random generator, learned statistics) as a plain
    JSON-able dict, and back.

Arms may appear and disappear between calls; an arm seen for the first time gets the
policy's prior.

Examples
--------
>>> import numpy as np
>>> from banditops.policies.base import Arm, BasePolicy
>>> class Newest(BasePolicy):
...     name = "newest-example"
...     def _probabilities(self, arms):
...         p = np.zeros(len(arms))
...         p[int(np.argmax([a.created_at for a in arms]))] = 1.0
...         return p
>>> arms = [Arm("v1", created_at=0), Arm("v2", created_at=5)]
>>> Newest(seed=0).select(arms, 3).tolist()
[1, 1, 1]
"""

from __future__ import annotations

import copy
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol, TypeVar, runtime_checkable

import numpy as np

from banditops.errors import ConfigError, FeedbackError, UnknownArmError

__all__ = [
    "Arm",
    "ArmStats",
    "BasePolicy",
    "Policy",
    "SeedLike",
    "check_int",
    "check_range",
    "even_shares",
    "split_traffic",
    "validate_rewards",
    "validation_scores",
]

SeedLike = int | np.random.SeedSequence | None
PolicyT = TypeVar("PolicyT", bound="BasePolicy")


@dataclass(frozen=True)
class Arm:
    """What a policy may know of an arm: a model version, never its predictions.

    Parameters
    ----------
    id : str
        Unique, stable identifier of the version.
    created_at : int
        When the version was released (a chunk index in the replay, a sequence number
        live); larger is newer. Versions of one release share it.
    validation_score : float or None
        Mean reward on the held-out validation slice of the version's training window.
    family : str or None
        The model family (informational).

    Examples
    --------
    >>> Arm("lr@5", created_at=5, validation_score=0.84, family="logreg")
    Arm(id='lr@5', created_at=5, validation_score=0.84, family='logreg')
    """

    id: str
    created_at: int = 0
    validation_score: float | None = None
    family: str | None = None


@dataclass
class ArmStats:
    """Sufficient statistics of one arm's observed rewards (count, sum, sum of squares).

    Examples
    --------
    >>> s = ArmStats()
    >>> s.add(np.array([1.0, 0.0, 1.0]))
    >>> s.count, s.mean
    (3.0, 0.6666666666666666)
    """

    count: float = 0.0
    total: float = 0.0
    total_sq: float = 0.0

    def add(self, rewards: np.ndarray) -> None:
        """Add a batch of validated rewards."""
        self.count += float(rewards.size)
        self.total += float(rewards.sum())
        self.total_sq += float(np.dot(rewards, rewards))

    @property
    def mean(self) -> float:
        """Mean reward, NaN when nothing was observed."""
        return self.total / self.count if self.count > 0 else math.nan

    @property
    def variance(self) -> float:
        """Unbiased sample variance, NaN below two observations."""
        if self.count < 2:
            return math.nan
        var = (self.total_sq - self.total * self.total / self.count) / (self.count - 1)
        return max(var, 0.0)

    def to_dict(self) -> dict[str, float]:
        """Plain dict for ``state()``."""
        return {"count": self.count, "total": self.total, "total_sq": self.total_sq}

    @classmethod
    def from_dict(cls, data: Mapping[str, float]) -> ArmStats:
        """Inverse of :meth:`to_dict`."""
        return cls(float(data["count"]), float(data["total"]), float(data["total_sq"]))


def check_range(
    name: str,
    value: Any,
    low: float | None = None,
    high: float | None = None,
    *,
    low_open: bool = False,
    high_open: bool = False,
) -> float:
    """Validate a real hyperparameter and return it as ``float``.

    Raises
    ------
    ConfigError
        Naming the parameter and its allowed range.

    Examples
    --------
    >>> check_range("epsilon", 0.1, 0, 1)
    0.1
    >>> check_range("epsilon", 2, 0, 1)
    Traceback (most recent call last):
    ...
    banditops.errors.ConfigError: epsilon must lie in [0, 1], got 2
    """
    lo_b = "(" if low_open else "["
    hi_b = ")" if high_open else "]"
    interval = f"{lo_b}{_fmt(low, '-inf')}, {_fmt(high, 'inf')}{hi_b}"
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ConfigError(f"{name} must be a number in {interval}, got {value!r}")
    val = float(value)
    bad = math.isnan(val)
    if low is not None:
        bad = bad or (val <= low if low_open else val < low)
    if high is not None:
        bad = bad or (val >= high if high_open else val > high)
    if bad:
        raise ConfigError(f"{name} must lie in {interval}, got {value!r}")
    return val


def check_int(name: str, value: Any, low: int | None = None, high: int | None = None) -> int:
    """Validate an integer hyperparameter and return it as ``int``.

    Examples
    --------
    >>> check_int("window", 10, 1)
    10
    >>> check_int("window", 0.5, 1)
    Traceback (most recent call last):
    ...
    banditops.errors.ConfigError: window must be an integer in [1, inf], got 0.5
    """
    interval = f"[{_fmt(low, '-inf')}, {_fmt(high, 'inf')}]"
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ConfigError(f"{name} must be an integer in {interval}, got {value!r}")
    val = int(value)
    if (low is not None and val < low) or (high is not None and val > high):
        raise ConfigError(f"{name} must lie in {interval}, got {value!r}")
    return val


def _fmt(bound: float | None, default: str) -> str:
    if bound is None:
        return default
    return str(int(bound)) if float(bound).is_integer() else str(bound)


def validate_rewards(rewards: Any) -> np.ndarray:
    """Return rewards as a 1-D float array, or raise :class:`FeedbackError`.

    Rewards must be real numbers in [0, 1]; NaN, infinities, booleans and strings are
    refused with a message saying which value is wrong.

    Examples
    --------
    >>> validate_rewards([1, 0.5]).tolist()
    [1.0, 0.5]
    >>> validate_rewards([0.2, float("nan")])
    Traceback (most recent call last):
    ...
    banditops.errors.FeedbackError: reward at position 1 is nan, not a finite number in [0, 1]
    """
    if isinstance(rewards, (str, bytes)):
        raise FeedbackError(f"rewards must be numbers in [0, 1], got {rewards!r}")
    if isinstance(rewards, (bool, np.bool_)) or (
        isinstance(rewards, (list, tuple)) and any(isinstance(r, (bool, np.bool_)) for r in rewards)
    ):
        # numpy silently turns [1, True] into [1, 1]; a boolean is not a reward
        raise FeedbackError(f"rewards must be numbers in [0, 1], not booleans, got {rewards!r}")
    try:
        arr = np.asarray(rewards)
    except (TypeError, ValueError) as exc:
        raise FeedbackError(f"rewards must be a flat sequence of numbers in [0, 1]: {exc}") from exc
    if arr.ndim == 0:
        arr = arr.reshape(1)
    if arr.ndim != 1:
        raise FeedbackError(f"rewards must be one-dimensional, got shape {arr.shape}")
    if arr.dtype == bool or not (
        np.issubdtype(arr.dtype, np.floating) or np.issubdtype(arr.dtype, np.integer)
    ):
        raise FeedbackError(f"rewards must be numbers in [0, 1], got dtype {arr.dtype}")
    arr = arr.astype(float, copy=False)
    bad = ~np.isfinite(arr) | (arr < 0.0) | (arr > 1.0)
    if bad.any():
        pos = int(np.flatnonzero(bad)[0])
        raise FeedbackError(
            f"reward at position {pos} is {float(arr[pos])!r}, not a finite number in [0, 1]"
        )
    return arr


@runtime_checkable
class Policy(Protocol):
    """What the replay engine and the router need of a policy (see the module docstring).

    :class:`BasePolicy` subclasses satisfy it, and so do wrappers such as the guardrail,
    which hold another policy instead of deriving from one.

    Examples
    --------
    >>> from banditops.policies.base import BasePolicy, Policy
    >>> class Uniform(BasePolicy):
    ...     name = "uniform-example"
    ...     def _probabilities(self, arms):
    ...         return np.ones(len(arms))
    >>> isinstance(Uniform(), Policy)
    True
    """

    @property
    def name(self) -> str:
        """Registry name."""
        ...

    @property
    def stochastic(self) -> bool:
        """Whether decisions depend on a random generator."""
        ...

    @property
    def adaptive(self) -> bool:
        """Whether the policy learns from live reward."""
        ...

    def select(self, arms: Sequence[Arm], n: int) -> np.ndarray:
        """Arm of each of ``n`` rows, as positions into ``arms``."""
        ...

    def probabilities(self, arms: Sequence[Arm]) -> np.ndarray:
        """Traffic share of each arm for the next row; consumes no randomness."""
        ...

    def update(self, arm_id: str, rewards: Any) -> None:
        """Learn from the rewards of rows ``arm_id`` served."""
        ...

    def params(self) -> dict[str, Any]:
        """Hyperparameters as given."""
        ...

    def state(self) -> dict[str, Any]:
        """Full JSON-able state."""
        ...

    @classmethod
    def from_state(cls, state: Mapping[str, Any]) -> Policy:
        """Rebuild from :meth:`state`."""
        ...


class BasePolicy:
    """Shared machinery of every policy: validation, seeding, statistics, state.

    A subclass sets ``name`` and implements ``_probabilities(arms)``; it may override
    ``_select(arms, n)`` (the default draws each row from the probabilities, or, for a
    deterministic policy, splits rows in the shares the probabilities give), and
    ``_update``, ``_learned_state`` / ``_load_learned_state`` if it keeps more than the
    per-arm :class:`ArmStats` this class maintains in ``self._stats``.

    Class attributes used by the registry and the conformance suite:

    ``name``
        Registry name (used in the CLI, JSON and tables).
    ``stochastic``
        Whether decisions depend on the random generator.
    ``adaptive``
        Whether the policy learns from live reward (``False``: it is expected to fail the
        learning check, for the reason in ``non_adaptive_reason``).
    ``example_params`` / ``invalid_params``
        Valid example hyperparameters, and a list of invalid ones that must raise.
    """

    name: ClassVar[str] = "base"
    stochastic: ClassVar[bool] = False
    adaptive: ClassVar[bool] = True
    non_adaptive_reason: ClassVar[str] = ""
    example_params: ClassVar[dict[str, Any]] = {}
    invalid_params: ClassVar[list[dict[str, Any]]] = []

    def __init__(self, *, seed: SeedLike = None) -> None:
        self._params: dict[str, Any] = {}
        self._rng = np.random.default_rng(seed)
        self._stats: dict[str, ArmStats] = {}

    # -- hyperparameters -------------------------------------------------------------
    def _set_params(self, **params: Any) -> None:
        """Store hyperparameters unchanged (called by subclasses after validation)."""
        self._params.update(params)

    def params(self) -> dict[str, Any]:
        """The hyperparameters, as given at construction."""
        return dict(self._params)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self._params.items())
        return f"{type(self).__name__}({args})"

    # -- arms ------------------------------------------------------------------------
    @staticmethod
    def _check_arms(arms: Sequence[Arm]) -> None:
        if len(arms) == 0:
            raise ConfigError("a policy needs at least one live arm, got none")
        ids = [a.id for a in arms]
        if len(set(ids)) != len(ids):
            raise ConfigError(f"arm ids must be unique, got {ids}")

    def _observe(self, arms: Sequence[Arm]) -> None:
        """Register arms seen for the first time (they get the prior)."""
        for arm in arms:
            if arm.id not in self._stats:
                self._stats[arm.id] = ArmStats()
                self._on_new_arm(arm)

    def _on_new_arm(self, arm: Arm) -> None:
        """Hook for subclasses keeping more per-arm state."""

    def known_arms(self) -> list[str]:
        """Ids of every arm this policy has seen, in order of first appearance."""
        return list(self._stats)

    def stats(self, arm_id: str) -> ArmStats:
        """Observed reward statistics of one arm (a copy)."""
        if arm_id not in self._stats:
            raise UnknownArmError(f"unknown arm {arm_id!r}; known arms: {self.known_arms()}")
        return copy.copy(self._stats[arm_id])

    # -- the verbs -------------------------------------------------------------------
    def select(self, arms: Sequence[Arm], n: int) -> np.ndarray:
        """Choose the arm of each of ``n`` rows; positions into ``arms``.

        Parameters
        ----------
        arms : sequence of Arm
            The live arms (at least one, unique ids).
        n : int
            Number of rows (requests) in the chunk; 0 gives an empty array.

        Returns
        -------
        numpy.ndarray of int, shape (n,)
        """
        self._check_arms(arms)
        n = check_int("n", n, 0)
        self._observe(arms)
        if n == 0:
            return np.zeros(0, dtype=np.intp)
        return np.asarray(self._select(arms, n), dtype=np.intp)

    def probabilities(self, arms: Sequence[Arm]) -> np.ndarray:
        """Probability (traffic share) of each arm for the next row, aligned with ``arms``."""
        self._check_arms(arms)
        self._observe(arms)
        p = np.asarray(self._probabilities(arms), dtype=float)
        return p / p.sum()

    def update(self, arm_id: str, rewards: Any) -> None:
        """Learn from the rewards of rows that ``arm_id`` served.

        Raises
        ------
        UnknownArmError
            If the policy has never been shown ``arm_id``.
        FeedbackError
            If a reward is not a finite number in [0, 1]; the state is left unchanged.
        """
        if arm_id not in self._stats:
            raise UnknownArmError(f"unknown arm {arm_id!r}; known arms: {self.known_arms()}")
        values = validate_rewards(rewards)
        if values.size == 0:
            return
        self._update(arm_id, values)

    # -- subclass hooks --------------------------------------------------------------
    def _probabilities(self, arms: Sequence[Arm]) -> np.ndarray:
        raise NotImplementedError

    def _select(self, arms: Sequence[Arm], n: int) -> np.ndarray:
        p = self.probabilities(arms)
        if self.stochastic:
            return self._rng.choice(len(arms), size=n, p=p)
        return split_traffic(p, n)

    def _update(self, arm_id: str, rewards: np.ndarray) -> None:
        self._stats[arm_id].add(rewards)

    def _learned_state(self) -> dict[str, Any]:
        return {}

    def _load_learned_state(self, learned: Mapping[str, Any]) -> None:
        del learned

    # -- persistence -----------------------------------------------------------------
    def state(self) -> dict[str, Any]:
        """The full state as a JSON-able dict (see :meth:`from_state`)."""
        return {
            "policy": self.name,
            "params": self.params(),
            "rng": self._rng.bit_generator.state,
            "stats": {arm: s.to_dict() for arm, s in self._stats.items()},
            "learned": copy.deepcopy(self._learned_state()),
        }

    @classmethod
    def from_state(cls: type[PolicyT], state: Mapping[str, Any]) -> PolicyT:
        """Rebuild a policy from :meth:`state`; its next decisions equal the original's."""
        if not isinstance(state, Mapping):
            raise ConfigError(f"a policy state must be a dict, got {type(state).__name__}")
        if state.get("policy") != cls.name:
            raise ConfigError(
                f"state is of policy {state.get('policy')!r}, cannot load it into {cls.name!r}"
            )
        missing = [key for key in ("params", "rng", "stats") if key not in state]
        if missing:
            raise ConfigError(f"policy state lacks {missing}; was it made by state()?")
        policy = cls(**state["params"])
        policy._rng.bit_generator.state = copy.deepcopy(dict(state["rng"]))
        policy._stats = {arm: ArmStats.from_dict(s) for arm, s in state["stats"].items()}
        policy._load_learned_state(copy.deepcopy(dict(state.get("learned", {}))))
        return policy


def split_traffic(shares: np.ndarray, n: int) -> np.ndarray:
    """Deterministically give ``n`` rows to arms in the given shares (largest remainder).

    Rows are interleaved (not blocks) so a row's position carries no information.

    Examples
    --------
    >>> split_traffic(np.array([0.5, 0.5]), 4).tolist()
    [0, 1, 0, 1]
    >>> split_traffic(np.array([0.0, 1.0]), 3).tolist()
    [1, 1, 1]
    """
    shares = np.asarray(shares, dtype=float)
    exact = shares * n
    counts = np.floor(exact).astype(np.intp)
    rest = n - int(counts.sum())
    if rest > 0:
        order = np.argsort(-(exact - counts), kind="stable")
        counts[order[:rest]] += 1
    # interleave: row i goes to the arm whose cumulative quota it falls in, spread evenly
    positions = (
        np.concatenate([(np.arange(c) + 0.5) / c for c in counts if c > 0]) if n else np.zeros(0)
    )
    labels = np.repeat(np.arange(len(shares)), counts)
    return labels[np.argsort(positions, kind="stable")]


def unique_ids(arms: Iterable[Arm]) -> list[str]:
    """Arm ids in order (helper for subclasses)."""
    return [a.id for a in arms]


def even_shares(best: np.ndarray) -> np.ndarray:
    """Split traffic evenly among the arms flagged in the boolean mask ``best``.

    Examples
    --------
    >>> even_shares(np.array([True, False, True])).tolist()
    [0.5, 0.0, 0.5]
    """
    best = np.asarray(best, dtype=bool)
    return best / best.sum()


def validation_scores(arms: Sequence[Arm]) -> np.ndarray:
    """Validation scores as floats, with a missing (``None`` or NaN) score as ``-inf``.

    Examples
    --------
    >>> validation_scores([Arm("a", validation_score=0.7), Arm("b")]).tolist()
    [0.7, -inf]
    """
    scores = np.array(
        [-math.inf if a.validation_score is None else float(a.validation_score) for a in arms]
    )
    scores[np.isnan(scores)] = -math.inf
    return scores
