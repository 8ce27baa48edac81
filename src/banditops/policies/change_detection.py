"""``change-detection``: a Page-Hinkley test on each arm's rewards resets any base policy.

The wrapper holds a base policy (any registered one, by name, with its parameters) and
runs one Page-Hinkley change detector per arm over that arm's observed rewards, row by
row, in arrival order. When a detector fires, the wrapper resets:

``reset="arm"`` (default)
    that arm's statistics in the base policy (it gets the prior again, so the base
    re-explores it); supported for ``epsilon-greedy``, ``ucb``, ``thompson``, ``sw-ucb``
    and ``discounted-thompson``;
``reset="policy"``
    the whole base policy (a fresh instance with the same parameters, seeded from the
    wrapper's generator), for any base.

Rewards of the same batch after the detecting row go to the reset statistics. Every
detection is logged in :meth:`ChangeDetection.events` (step, arm, rows seen, reason).

The detector
------------
Page-Hinkley (Page, 1954), exactly as ``river.drift.PageHinkley`` (river 0.21+) computes
it, with the same parameters and defaults: a running mean ``m`` of the arm's rewards and

    up   <- alpha * up   + (x - m) - delta        (tracks increases)
    down <- alpha * down + (x - m) + delta        (tracks decreases)

after ``min_instances`` rewards, a change is detected when ``up - min(up) > threshold``
(``direction="up"``), ``max(down) - down > threshold`` (``"down"``) or either
(``"both"``, default); then the detector starts afresh. It is implemented here rather
than imported from river because its state must be a plain JSON dict that reloads to
identical decisions; a test checks detection points against river's implementation when
river is installed. ADWIN is not offered: its state (a bucket structure) would have to be
rebuilt by replaying the stored history.

Examples
--------
>>> from banditops.policies.base import Arm
>>> arms = [Arm("a", created_at=0), Arm("b", created_at=1)]
>>> policy = ChangeDetection(base="ucb", threshold=5.0, min_instances=10, seed=0)
>>> _ = policy.select(arms, 2)
>>> policy.update("a", [1.0] * 40)
>>> policy.update("b", [0.7] * 40)
>>> policy.select(arms, 2).tolist()
[0, 0]
>>> policy.update("a", [0.0] * 10)  # a breaks: the detector fires, a's statistics reset
>>> [(e["arm"], e["rows"]) for e in policy.events()]
[('a', 46)]
>>> policy.base.stats("a").count  # the 4 rewards after the detecting row
4.0
"""

from __future__ import annotations

import copy
import dataclasses
import logging
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import numpy as np

from banditops.errors import ConfigError
from banditops.policies.base import (
    Arm,
    ArmStats,
    BasePolicy,
    SeedLike,
    check_int,
    check_range,
)

__all__ = ["ChangeDetection", "PageHinkley"]

logger = logging.getLogger(__name__)

RESETS = ("arm", "policy")
DIRECTIONS = ("both", "up", "down")
#: bases whose per-arm statistics are their ``ArmStats`` only, so zeroing them is a reset
_STATS_ONLY = ("epsilon-greedy", "ucb", "thompson")
_FORGETTING = ("sw-ucb", "discounted-thompson")


@dataclasses.dataclass
class PageHinkley:
    """The Page-Hinkley test on one stream (river's formulation; see the module docstring).

    Examples
    --------
    >>> ph = PageHinkley(min_instances=5, threshold=2.0)
    >>> [i for i, x in enumerate([1.0] * 20 + [0.0] * 20) if ph.update(x)]
    [22]
    """

    min_instances: int = 30
    delta: float = 0.005
    threshold: float = 50.0
    alpha: float = 1 - 0.0001
    direction: str = "both"
    n: float = 0.0
    mean: float = 0.0
    up: float = 0.0
    down: float = 0.0
    min_up: float = float("inf")
    max_down: float = -1.0

    def update(self, x: float) -> bool:
        """Add one value; ``True`` when a change is detected (the test then starts afresh)."""
        self.n += 1.0
        self.mean += (1.0 / self.n) * (x - self.mean)
        dev = x - self.mean
        self.up = self.alpha * self.up + dev - self.delta
        self.down = self.alpha * self.down + dev + self.delta
        self.min_up = min(self.min_up, self.up)
        self.max_down = max(self.max_down, self.down)
        if self.n < self.min_instances:
            return False
        up = self.up - self.min_up > self.threshold
        down = self.max_down - self.down > self.threshold
        fired = (
            (up or down) if self.direction == "both" else (up if self.direction == "up" else down)
        )
        if fired:
            self.reset()
        return fired

    def statistic(self) -> float:
        """The current test statistic for the configured direction."""
        up, down = self.up - self.min_up, self.max_down - self.down
        if self.n == 0:
            return 0.0
        return (
            max(up, down) if self.direction == "both" else (up if self.direction == "up" else down)
        )

    def reset(self) -> None:
        """Start afresh (parameters kept)."""
        self.n, self.mean, self.up, self.down = 0.0, 0.0, 0.0, 0.0
        self.min_up, self.max_down = float("inf"), -1.0

    def to_dict(self) -> dict[str, float | None]:
        """The learned state (JSON: an infinite ``min_up`` is ``None``)."""
        return {
            "n": self.n,
            "mean": self.mean,
            "up": self.up,
            "down": self.down,
            "min_up": None if self.min_up == float("inf") else self.min_up,
            "max_down": self.max_down,
        }

    def load(self, data: Mapping[str, Any]) -> None:
        """Inverse of :meth:`to_dict`."""
        self.n, self.mean = float(data["n"]), float(data["mean"])
        self.up, self.down = float(data["up"]), float(data["down"])
        self.min_up = float("inf") if data["min_up"] is None else float(data["min_up"])
        self.max_down = float(data["max_down"])


class ChangeDetection(BasePolicy):
    """Reset a base policy's view of an arm when its reward stream changes.

    Parameters
    ----------
    base : str, default "thompson"
        Registry name of the base policy (not ``change-detection``).
    base_params : dict, optional
        Hyperparameters of the base policy.
    reset : {"arm", "policy"}, default "arm"
        What a detection resets (see the module docstring).
    direction : {"both", "up", "down"}, default "both"
        Which changes of the mean reward count.
    min_instances : int, default 30
        Rewards a detector needs before it may fire, in [1, inf).
    delta : float, default 0.005
        Tolerated change of the mean per reward, in [0, inf).
    threshold : float, default 50.0
        Detection threshold (lambda), in (0, inf).
    alpha : float, default 0.9999
        Forgetting factor of the cumulative sums, in (0, 1].
    seed : int, SeedSequence or None
        Seed of the wrapper's generator, which seeds the base policy (and its
        replacements after a policy reset).

    Examples
    --------
    >>> ChangeDetection(base="ucb", base_params={"c": 0.5}).base
    UCB1(c=0.5)
    >>> ChangeDetection(base="naive", reset="arm")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    banditops.errors.ConfigError: reset='arm' needs a base whose per-arm statistics ...
    """

    name: ClassVar[str] = "change-detection"
    stochastic: ClassVar[bool] = True  # as its default base; an instance reports its base's
    adaptive: ClassVar[bool] = True
    example_params: ClassVar[dict[str, object]] = {
        "base": "thompson",
        "base_params": {"prior_alpha": 1.0},
        "reset": "arm",
        "direction": "both",
        "min_instances": 20,
        "delta": 0.005,
        "threshold": 10.0,
        "alpha": 0.9999,
    }
    invalid_params: ClassVar[list[dict[str, object]]] = [
        {"base": "nope"},
        {"base": "change-detection"},
        {"base": 3},
        {"base_params": {"zzz": 1}},
        {"base_params": "c=1"},
        {"base": "ab-test", "reset": "arm"},
        {"reset": "everything"},
        {"direction": "sideways"},
        {"min_instances": 0},
        {"delta": -0.1},
        {"threshold": 0.0},
        {"alpha": 0.0},
        {"alpha": 1.5},
    ]

    def __init__(
        self,
        *,
        base: str = "thompson",
        base_params: Mapping[str, Any] | None = None,
        reset: str = "arm",
        direction: str = "both",
        min_instances: int = 30,
        delta: float = 0.005,
        threshold: float = 50.0,
        alpha: float = 1 - 0.0001,
        seed: SeedLike = None,
    ) -> None:
        super().__init__(seed=seed)
        from banditops.policies import POLICIES, make_policy

        if not isinstance(base, str) or base not in POLICIES or base == self.name:
            known = [p for p in POLICIES if p != self.name]
            raise ConfigError(f"base must be a registered policy name {known}, got {base!r}")
        if base_params is None:
            base_params = {}
        if not isinstance(base_params, Mapping):
            raise ConfigError(f"base_params must be a dict, got {base_params!r}")
        if reset not in RESETS:
            raise ConfigError(f"reset must be one of {list(RESETS)}, got {reset!r}")
        if reset == "arm" and base not in _STATS_ONLY + _FORGETTING:
            raise ConfigError(
                f"reset='arm' needs a base whose per-arm statistics can be reset "
                f"({', '.join(_STATS_ONLY + _FORGETTING)}); base={base!r} needs reset='policy'"
            )
        if direction not in DIRECTIONS:
            raise ConfigError(f"direction must be one of {list(DIRECTIONS)}, got {direction!r}")
        self._detector_params = {
            "min_instances": check_int("min_instances", min_instances, 1),
            "delta": check_range("delta", delta, 0, np.inf, high_open=True),
            "threshold": check_range(
                "threshold", threshold, 0, np.inf, low_open=True, high_open=True
            ),
            "alpha": check_range("alpha", alpha, 0, 1, low_open=True),
            "direction": direction,
        }
        self._base_name = base
        self._base_kwargs = dict(base_params)
        self._reset_mode = reset
        try:
            self._base = make_policy(base, seed=self._child_seed(), **self._base_kwargs)
        except ConfigError as exc:
            raise ConfigError(f"base_params for base {base!r}: {exc}") from None
        self.stochastic = bool(self._base.stochastic)  # type: ignore[misc]
        self._set_params(
            base=base,
            base_params=dict(base_params),
            reset=reset,
            direction=direction,
            min_instances=min_instances,
            delta=delta,
            threshold=threshold,
            alpha=alpha,
        )
        self._detectors: dict[str, PageHinkley] = {}
        self._arms: dict[str, Arm] = {}
        self._events: list[dict[str, Any]] = []
        self._steps = 0

    # -- inspection --------------------------------------------------------------------
    @property
    def base(self) -> BasePolicy:
        """The wrapped base policy (replaced after a policy reset)."""
        return self._base

    def events(self) -> list[dict[str, Any]]:
        """Every detection: kind ``change``, step, arm, rows seen by its detector, reason."""
        return copy.deepcopy(self._events)

    def detector(self, arm_id: str) -> PageHinkley:
        """A copy of one arm's detector."""
        self.stats(arm_id)  # raises for an unknown arm
        return copy.deepcopy(self._detectors[arm_id])

    # -- internals ---------------------------------------------------------------------
    def _child_seed(self) -> int:
        return int(self._rng.integers(2**63 - 1))

    def _on_new_arm(self, arm: Arm) -> None:
        self._detectors[arm.id] = PageHinkley(**self._detector_params)  # type: ignore[arg-type]

    def _observe(self, arms: Sequence[Arm]) -> None:
        super()._observe(arms)
        for arm in arms:
            self._arms[arm.id] = arm

    def _select(self, arms: Sequence[Arm], n: int) -> np.ndarray:
        self._steps += 1
        return self._base.select(arms, n)

    def _probabilities(self, arms: Sequence[Arm]) -> np.ndarray:
        return self._base.probabilities(arms)

    def _update(self, arm_id: str, rewards: np.ndarray) -> None:
        super()._update(arm_id, rewards)
        detector = self._detectors[arm_id]
        begin = 0
        for i, value in enumerate(rewards.tolist()):
            rows = detector.n + 1
            if detector.update(value):
                self._base.update(arm_id, rewards[begin : i + 1])
                begin = i + 1
                self._reset(arm_id, int(rows))
        if begin < rewards.size:
            self._base.update(arm_id, rewards[begin:])

    def _reset(self, arm_id: str, rows: int) -> None:
        what = "its statistics in" if self._reset_mode == "arm" else "the whole"
        reason = (
            f"Page-Hinkley change in the reward of {arm_id} after {rows} rewards "
            f"(threshold {self._detector_params['threshold']:g}); reset {what} "
            f"base policy {self._base_name}"
        )
        self._events.append(
            {"kind": "change", "step": self._steps, "arm": arm_id, "rows": rows, "reason": reason}
        )
        logger.info("change-detection at step %d: %s", self._steps, reason)
        if self._reset_mode == "arm":
            forget = getattr(self._base, "forget", None)
            if callable(forget):
                forget(arm_id)
            else:
                self._base._stats[arm_id] = ArmStats()
            return
        from banditops.policies import make_policy

        self._base = make_policy(self._base_name, seed=self._child_seed(), **self._base_kwargs)
        self._base.probabilities(list(self._arms.values()))  # knows every arm, with the prior

    def _learned_state(self) -> dict[str, Any]:
        return {
            "base": self._base.state(),
            "detectors": {arm: d.to_dict() for arm, d in self._detectors.items()},
            "arms": {arm: dataclasses.asdict(a) for arm, a in self._arms.items()},
            "events": copy.deepcopy(self._events),
            "steps": self._steps,
        }

    def _load_learned_state(self, learned: Mapping[str, Any]) -> None:
        from banditops.policies import POLICIES

        self._base = POLICIES[self._base_name].from_state(learned["base"])
        self._detectors = {}
        for arm, data in learned["detectors"].items():
            detector = PageHinkley(**self._detector_params)  # type: ignore[arg-type]
            detector.load(data)
            self._detectors[arm] = detector
        self._arms = {arm: Arm(**a) for arm, a in learned["arms"].items()}
        self._events = copy.deepcopy(list(learned["events"]))
        self._steps = int(learned["steps"])
