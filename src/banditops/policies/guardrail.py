"""A guardrail usable with any policy: quarantine a failing version and roll back.

What it does
------------
:class:`Guardrail` wraps a base policy and is itself a policy (same verbs, same state
round-trip), so the replay engine and the router use it in place of any policy.

* **Evidence.** The guardrail keeps every arm's observed rewards (count, sum, sum of
  squares) and a two-sided confidence interval ``[lcb, ucb]`` on its mean reward at level
  ``confidence``. Only observed rewards count: an arm that got no traffic, or whose
  rewards were undefined (the caller sends ``update(arm, [])``, a no-op), gains no
  evidence and so is never punished; inconclusive is not failure.
* **The incumbent** (the last good version) is, among the live, non-quarantined arms with
  at least ``min_samples`` observed rewards, the one with the highest lower bound: the
  version whose good reward is best established.
* **Quarantine.** At each decision point (``select`` / ``probabilities``, i.e. at a chunk
  boundary, so a batch update equals the same updates one by one) every other live arm
  with at least ``min_samples`` rewards whose upper bound lies below the incumbent's
  lower bound is quarantined: it is removed from the arm list the base policy sees, for
  good. The event (step, observed-reward count, arm, incumbent, both bounds, counts and
  means, reason) goes to :meth:`Guardrail.events`, to ``state()`` and to ``logging``.
* **Fallback.** If the quarantined arm was the one being served (the most rows of the
  last ``select``), then with ``fallback="last-good"`` (default) all traffic goes to the
  incumbent, and stays there until a new version appears (a release; the base policy
  decides again) or the incumbent retires or is itself quarantined; when a new version
  appears at the same decision point there is no hold, the base decides. This is the
  rollback a chunk-level base such as ``naive`` needs: otherwise it would serve the
  next-newest, untested version of the same broken release. With ``fallback="base"`` the base policy
  simply chooses among the remaining arms.
* If every live arm is quarantined, the base policy gets all of them (something must
  serve) and a ``no-healthy-arm`` event is logged.

The bounds
----------
``bound="hoeffding"`` (default): ``mean +- sqrt(ln(2 / delta) / (2 n))`` with
``delta = 1 - confidence``. Valid for any reward distribution on [0, 1] with no variance
estimate, so it is robust for the skewed cost-sensitive fraud rewards, at the price of
being conservative. ``bound="normal"``: ``mean +- z * s / sqrt(n)`` with the sample
standard deviation ``s`` and the normal quantile ``z``; tighter, an approximation for
large ``n``. Both are clipped to [0, 1]. The level holds per check; the guardrail checks
at every chunk, so over a long run a false quarantine is more likely than ``delta``
(the conservative Hoeffding bound and ``min_samples`` keep it rare).
"""

from __future__ import annotations

import copy
import logging
import math
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import numpy as np
from scipy import stats as scipy_stats

from banditops.errors import ConfigError, UnknownArmError
from banditops.policies.base import (
    Arm,
    ArmStats,
    BasePolicy,
    Policy,
    check_int,
    check_n,
    check_range,
    json_native,
    malformed_state,
    require_keys,
    validate_rewards,
)

__all__ = ["Guardrail", "confidence_bounds", "load_policy"]

logger = logging.getLogger(__name__)

BOUNDS = ("hoeffding", "normal")
_PARAM_NAMES = ("min_samples", "confidence", "bound", "fallback")
_STATE_KEYS = (
    "policy",
    "params",
    "base",
    "stats",
    "quarantined",
    "events",
    "hold",
    "last_served",
    "degraded",
    "step",
    "observed",
)
FALLBACKS = ("last-good", "base")


def confidence_bounds(stats: ArmStats, confidence: float, bound: str) -> tuple[float, float]:
    """Two-sided ``(lower, upper)`` bounds on the mean reward, clipped to [0, 1].

    Examples
    --------
    >>> s = ArmStats()
    >>> s.add(np.array([1.0] * 90 + [0.0] * 10))
    >>> [round(x, 4) for x in confidence_bounds(s, 0.95, "hoeffding")]
    [0.7642, 1.0]
    """
    if stats.count == 0:
        return 0.0, 1.0
    delta = 1.0 - confidence
    if bound == "hoeffding":
        radius = math.sqrt(math.log(2.0 / delta) / (2.0 * stats.count))
    elif bound == "normal":
        z = float(scipy_stats.norm.ppf(1.0 - delta / 2.0))
        variance = stats.variance if stats.count >= 2 else 0.25
        radius = z * math.sqrt(variance / stats.count)
    else:
        raise ConfigError(f"bound must be one of {list(BOUNDS)}, got {bound!r}")
    return max(0.0, stats.mean - radius), min(1.0, stats.mean + radius)


class Guardrail:
    """Quarantine versions that are clearly worse than the last good one; roll back.

    Parameters
    ----------
    base_policy : Policy
        The policy that decides among the healthy arms (any registered policy, or
        another wrapper). Wrap a fresh policy: the guardrail's evidence starts empty.
    min_samples : int, default 100
        Observed rewards both an arm and the incumbent need before the arm can be
        quarantined, in [2, inf).
    confidence : float, default 0.95
        Level of each two-sided confidence interval, in (0, 1).
    bound : {"hoeffding", "normal"}, default "hoeffding"
        How the confidence interval is computed (see the module docstring).
    fallback : {"last-good", "base"}, default "last-good"
        After quarantining the served arm: send all traffic to the incumbent until a
        new version appears (``"last-good"``), or let the base policy choose
        among the remaining arms (``"base"``).

    Examples
    --------
    >>> from banditops.policies import Arm, Naive
    >>> good, bad = Arm("v1", created_at=0), Arm("v2", created_at=1)
    >>> guard = Guardrail(Naive(), min_samples=20)
    >>> guard.select([good], 3).tolist()
    [0, 0, 0]
    >>> guard.update("v1", [1.0] * 30)
    >>> guard.select([good, bad], 3).tolist()  # naive serves the newest
    [1, 1, 1]
    >>> guard.update("v2", [0.0] * 25)  # ...which fails in production
    >>> guard.select([good, bad], 3).tolist()  # quarantined: back to the last good one
    [0, 0, 0]
    >>> event = guard.events()[0]
    >>> event["kind"], event["arm"], event["incumbent"], round(event["ucb"], 3)
    ('quarantine', 'v2', 'v1', 0.272)
    """

    name: ClassVar[str] = "guardrail"
    adaptive: ClassVar[bool] = True
    non_adaptive_reason: ClassVar[str] = ""
    example_params: ClassVar[dict[str, object]] = {
        "min_samples": 30,
        "confidence": 0.95,
        "bound": "hoeffding",
        "fallback": "last-good",
    }
    invalid_params: ClassVar[list[dict[str, object]]] = [
        {"min_samples": 1},
        {"min_samples": 2.5},
        {"confidence": 0.0},
        {"confidence": 1.0},
        {"confidence": "high"},
        {"bound": "chernoff"},
        {"fallback": "none"},
    ]

    def __init__(
        self,
        base_policy: Policy,
        *,
        min_samples: int = 100,
        confidence: float = 0.95,
        bound: str = "hoeffding",
        fallback: str = "last-good",
    ) -> None:
        if not isinstance(base_policy, Policy) or isinstance(base_policy, type):
            raise ConfigError(
                f"base_policy must be a policy object (e.g. EpsilonGreedy()), got {base_policy!r}"
            )
        self._min_samples = check_int("min_samples", min_samples, 2)
        self._confidence = check_range(
            "confidence", confidence, 0, 1, low_open=True, high_open=True
        )
        if bound not in BOUNDS:
            raise ConfigError(f"bound must be one of {list(BOUNDS)}, got {bound!r}")
        if fallback not in FALLBACKS:
            raise ConfigError(f"fallback must be one of {list(FALLBACKS)}, got {fallback!r}")
        self._bound = bound
        self._fallback = fallback
        self._params: dict[str, Any] = json_native(
            {
                "min_samples": min_samples,
                "confidence": confidence,
                "bound": bound,
                "fallback": fallback,
            },
            "params",
        )
        self._base = base_policy
        self._stats: dict[str, ArmStats] = {}
        self._quarantined: list[str] = []
        self._events: list[dict[str, Any]] = []
        self._hold: str | None = None
        self._last_served: str | None = None
        self._degraded = False
        self._step = 0
        self._observed = 0

    # -- identity and inspection -----------------------------------------------------
    @property
    def stochastic(self) -> bool:
        """Whether decisions depend on a random generator (that of the base policy)."""
        return bool(self._base.stochastic)

    @property
    def base(self) -> Policy:
        """The wrapped policy."""
        return self._base

    @property
    def label(self) -> str:
        """A display name naming the base, e.g. ``guardrail(epsilon-greedy)``."""
        return f"{self.name}({self._base.name})"

    def params(self) -> dict[str, Any]:
        """The guardrail's own hyperparameters, as given (the base has its own)."""
        return dict(self._params)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self._params.items())
        return f"Guardrail({self._base!r}, {args})"

    def known_arms(self) -> list[str]:
        """Ids of every arm seen, in order of first appearance."""
        return list(self._stats)

    def stats(self, arm_id: str) -> ArmStats:
        """Observed reward statistics of one arm (a copy)."""
        self._require_known(arm_id)
        return copy.copy(self._stats[arm_id])

    def bounds(self, arm_id: str) -> tuple[float, float]:
        """The ``(lower, upper)`` confidence bounds on an arm's mean reward."""
        self._require_known(arm_id)
        return confidence_bounds(self._stats[arm_id], self._confidence, self._bound)

    def quarantined(self) -> list[str]:
        """Ids of the quarantined arms, in order of quarantine."""
        return list(self._quarantined)

    def holding(self) -> str | None:
        """The arm all traffic is held on after a rollback, or ``None``."""
        return self._hold

    def events(self) -> list[dict[str, Any]]:
        """Every event: ``quarantine``, ``fallback``, ``fallback-ended``, ``no-healthy-arm``."""
        return copy.deepcopy(self._events)

    def _require_known(self, arm_id: str) -> None:
        if arm_id not in self._stats:
            raise UnknownArmError(f"unknown arm {arm_id!r}; known arms: {self.known_arms()}")

    # -- the checks ------------------------------------------------------------------
    def _event(self, kind: str, **fields: Any) -> None:
        event = {"kind": kind, "step": self._step, "observed": self._observed, **fields}
        self._events.append(event)
        level = logging.INFO if kind == "fallback-ended" else logging.WARNING
        logger.log(level, "guardrail %s at step %d: %s", kind, self._step, fields.get("reason"))

    def _sync(self, arms: Sequence[Arm]) -> list[Arm]:
        """Register arms, run the checks; return the arms the base policy may use."""
        BasePolicy._check_arms(arms)
        new = [a.id for a in arms if a.id not in self._stats]
        for arm_id in new:
            self._stats[arm_id] = ArmStats()
        live = [a.id for a in arms]
        if self._hold is not None:
            if new:
                self._end_hold(f"new version(s) {new} released; the base policy decides again")
            elif self._hold not in live:
                self._end_hold(f"{self._hold} retired")
        self._check(live, hold_allowed=not new)
        healthy = [a for a in arms if a.id not in self._quarantined]
        if not healthy:
            if not self._degraded:
                self._degraded = True
                self._event(
                    "no-healthy-arm",
                    arms=live,
                    reason=f"every live arm {live} is quarantined; the base policy gets all",
                )
            return list(arms)
        self._degraded = False
        return healthy

    def _end_hold(self, reason: str) -> None:
        self._event("fallback-ended", arm=self._hold, reason=reason)
        self._hold = None

    def _check(self, live: list[str], *, hold_allowed: bool) -> None:
        candidates = [
            arm
            for arm in live
            if arm not in self._quarantined and self._stats[arm].count >= self._min_samples
        ]
        if len(candidates) < 2:
            return
        bounds = {arm: self.bounds(arm) for arm in candidates}
        incumbent = max(candidates, key=lambda arm: bounds[arm][0])
        lcb = bounds[incumbent][0]
        for arm in candidates:
            ucb = bounds[arm][1]
            if arm == incumbent or ucb >= lcb:
                continue
            s_arm, s_inc = self._stats[arm], self._stats[incumbent]
            self._quarantined.append(arm)
            self._event(
                "quarantine",
                arm=arm,
                incumbent=incumbent,
                ucb=ucb,
                lcb=lcb,
                n_arm=s_arm.count,
                n_incumbent=s_inc.count,
                mean_arm=s_arm.mean,
                mean_incumbent=s_inc.mean,
                reason=(
                    f"{arm}: upper bound {ucb:.4f} (mean {s_arm.mean:.4f}, n = "
                    f"{s_arm.count:g}) below the lower bound {lcb:.4f} of incumbent "
                    f"{incumbent} (mean {s_inc.mean:.4f}, n = {s_inc.count:g}); "
                    f"{self._bound} bounds at confidence {self._confidence:g}"
                ),
            )
            if arm == self._hold:
                self._end_hold(f"{arm} quarantined")
            if hold_allowed and self._fallback == "last-good" and arm == self._last_served:
                self._hold = incumbent
                self._event(
                    "fallback",
                    arm=incumbent,
                    quarantined=arm,
                    reason=f"{arm} was being served; all traffic back to {incumbent}",
                )

    # -- the verbs -------------------------------------------------------------------
    def select(self, arms: Sequence[Arm], n: int) -> np.ndarray:
        """Choose the arm of each of ``n`` rows; positions into ``arms``."""
        n = check_n(n)
        usable = self._sync(arms)
        ids = [a.id for a in arms]
        if self._hold is not None:
            self._base.probabilities(usable)  # the base still registers new arms
            picks = np.full(n, ids.index(self._hold), dtype=np.intp)
        else:
            local = np.asarray(self._base.select(usable, n), dtype=np.intp)
            mapping = np.array([ids.index(a.id) for a in usable], dtype=np.intp)
            picks = mapping[local]
        self._step += 1
        if n:
            counts = np.bincount(picks, minlength=len(arms))
            self._last_served = ids[int(np.argmax(counts))]
        return picks

    def probabilities(self, arms: Sequence[Arm]) -> np.ndarray:
        """Traffic share of each arm for the next row; consumes no randomness."""
        usable = self._sync(arms)
        ids = [a.id for a in arms]
        p = np.zeros(len(arms))
        base_p = self._base.probabilities(usable)
        if self._hold is not None:
            p[ids.index(self._hold)] = 1.0
        else:
            for arm, share in zip(usable, base_p, strict=True):
                p[ids.index(arm.id)] = share
        return p

    def update(self, arm_id: str, rewards: Any) -> None:
        """Record the rewards of rows ``arm_id`` served, and pass them to the base policy.

        Raises
        ------
        UnknownArmError
            If the guardrail has never been shown ``arm_id``.
        FeedbackError
            If a reward is not a finite number in [0, 1]; nothing changes.
        """
        self._require_known(arm_id)
        values = validate_rewards(rewards)
        if values.size == 0:
            return  # no evidence: never a reason to quarantine
        self._base.update(arm_id, values)
        self._stats[arm_id].add(values)
        self._observed += int(values.size)

    # -- persistence -----------------------------------------------------------------
    def state(self) -> dict[str, Any]:
        """The full state, the base policy's included, as a JSON-able dict."""
        return {
            "policy": self.name,
            "params": self.params(),
            "base": self._base.state(),
            "stats": {arm: s.to_dict() for arm, s in self._stats.items()},
            "quarantined": list(self._quarantined),
            "events": copy.deepcopy(self._events),
            "hold": self._hold,
            "last_served": self._last_served,
            "degraded": self._degraded,
            "step": self._step,
            "observed": self._observed,
        }

    @classmethod
    def from_state(cls, state: Mapping[str, Any]) -> Guardrail:
        """Rebuild a guardrail and its base policy from :meth:`state`.

        Raises
        ------
        ConfigError
            If the state is not one :meth:`state` could have written (missing or
            unexpected keys, parameters out of range, statistics that are not of rewards
            in [0, 1], a quarantined or held arm the guardrail never saw, a non-boolean
            flag, a negative counter, ...) or the base policy's state is malformed.
        """
        if not isinstance(state, Mapping) or state.get("policy") != cls.name:
            got = state.get("policy") if isinstance(state, Mapping) else type(state).__name__
            raise ConfigError(f"state is of policy {got!r}, cannot load it into {cls.name!r}")
        where = f"state of {cls.name!r}"
        require_keys(state, _STATE_KEYS, where=where)
        require_keys(state["params"], _PARAM_NAMES, where=f"{where}: params")
        base = load_policy(state["base"])
        with malformed_state(f"{where}: params"):
            guard = cls(base, **state["params"])
        stats = state["stats"]
        if not isinstance(stats, Mapping):
            raise ConfigError(f"{where}: stats must be a dict of arm id to statistics")
        for arm, data in stats.items():
            if not isinstance(arm, str) or not arm:
                raise ConfigError(f"{where}: stats: arm ids must be non-empty strings, got {arm!r}")
            guard._stats[arm] = ArmStats.from_dict(data, where=f"{where}: stats of arm {arm!r}")
        quarantined = state["quarantined"]
        if not isinstance(quarantined, list) or not all(
            isinstance(arm, str) and arm in guard._stats for arm in quarantined
        ):
            raise ConfigError(
                f"{where}: quarantined must be a list of known arm ids "
                f"{guard.known_arms()}, got {quarantined!r}"
            )
        if len(set(quarantined)) != len(quarantined):
            raise ConfigError(f"{where}: quarantined lists an arm twice: {quarantined!r}")
        guard._quarantined = list(quarantined)
        events = state["events"]
        if not isinstance(events, list) or not all(
            isinstance(e, Mapping) and isinstance(e.get("kind"), str) for e in events
        ):
            raise ConfigError(f"{where}: events must be a list of event dicts with a 'kind'")
        guard._events = copy.deepcopy(events)
        for key in ("hold", "last_served"):
            arm = state[key]
            if arm is not None and not (isinstance(arm, str) and arm in guard._stats):
                raise ConfigError(
                    f"{where}: {key} must be None or a known arm id {guard.known_arms()}, "
                    f"got {arm!r}"
                )
        if state["hold"] is not None and state["hold"] in quarantined:
            raise ConfigError(f"{where}: hold names the quarantined arm {state['hold']!r}")
        guard._hold = state["hold"]
        guard._last_served = state["last_served"]
        if not isinstance(state["degraded"], bool):
            raise ConfigError(f"{where}: degraded must be true or false, got {state['degraded']!r}")
        guard._degraded = state["degraded"]
        guard._step = check_int(f"{where}: step", state["step"], 0)
        guard._observed = check_int(f"{where}: observed", state["observed"], 0)
        return guard


def load_policy(state: Mapping[str, Any]) -> Policy:
    """Rebuild any registered policy, or a guardrail, from its ``state()``.

    Examples
    --------
    >>> from banditops.policies import UCB1
    >>> load_policy(UCB1(c=2.0).state())
    UCB1(c=2.0)
    """
    from banditops.policies import POLICIES  # the registry imports this module
    from banditops.policies.shaping import SHAPINGS

    if not isinstance(state, Mapping):
        raise ConfigError(f"a policy state must be a dict, got {type(state).__name__}")
    name = state.get("policy")
    if not isinstance(name, str):
        raise ConfigError(f"state of unknown policy {name!r}; known: {', '.join(POLICIES)}")
    # every loader validates what it reads; the net catches what a wrapper only indexes
    with malformed_state(f"state of policy {name!r}"):
        if name == Guardrail.name:
            return Guardrail.from_state(state)
        if name in SHAPINGS:
            return SHAPINGS[name].from_state(state)
        if name not in POLICIES:
            raise ConfigError(f"state of unknown policy {name!r}; known: {', '.join(POLICIES)}")
        return POLICIES[name].from_state(state)
