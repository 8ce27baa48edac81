"""``ab-test``: a fixed-horizon A/B test of each new release against the incumbent.

How it runs
-----------
1. **Incumbent.** The first arms the policy is shown form the baseline; the incumbent is
   the one with the best validation score (ties: the newest, then the first listed).
   Outside a test the incumbent gets all traffic.
2. **A test starts** when arms appear that the policy has not seen before (a release)
   and no test is running. The challenger is the new arm with the best validation score
   (same tie rule); the other new arms of that release lose this pre-selection and are
   not tested. Arms that arrive during a test wait, and compete for the next test, which
   starts as soon as the current one ends. Each arm is a challenger at most once.
3. **Traffic** during a test is split per row: each row goes to the challenger with
   probability ``split`` (drawn from the policy's generator), else to the incumbent.
4. **The horizon.** Feedback may be delayed, so the test counts *observed rewards*, not
   served rows: it runs until both arms have at least ``min_samples`` rewards observed
   since the test started (kept as separate per-test statistics; delayed rewards of the
   incumbent's pre-test rows that land during the test count for the test too). The
   check happens at the next decision point (``select`` / ``probabilities``, i.e. at a
   chunk boundary), so a batch update equals the same updates one by one.
5. **One decision, no peeking:** Welch's one-sided t-test of "challenger mean >
   incumbent mean" on the test rewards. The challenger is promoted if ``p < alpha``,
   else the incumbent stays. (If both samples have zero variance, ``p`` is 0 when the
   challenger's mean is higher, 1 when lower, 0.5 when equal.)
6. **Retirement.** If the challenger retires mid-test, the test is abandoned and the
   incumbent stays. If the incumbent retires, any test is abandoned and the incumbent
   becomes the live arm with the best validation score (a documented fallback; no test).
   With ``max_test_rows`` set, a test that has served that many rows without reaching the
   horizon (feedback lost or undefined) is abandoned and the incumbent stays.

Every test start, decision, abandonment and fallback is recorded in :meth:`ABTest.history`
(and in ``state()``) with the numbers behind it.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import numpy as np
from scipy import stats

from banditops.errors import ConfigError
from banditops.policies.base import (
    Arm,
    ArmStats,
    BasePolicy,
    SeedLike,
    check_int,
    check_range,
    require_keys,
    validation_scores,
)

__all__ = ["ABTest", "welch_one_sided"]

_LEARNED_KEYS = (
    "started",
    "incumbent",
    "waiting",
    "challenged",
    "test",
    "test_stats",
    "history",
    "step",
)
_TEST_KEYS = ("incumbent", "challenger", "started_step", "served_rows")


def _finite_or_none(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


def welch_one_sided(
    challenger: ArmStats, incumbent: ArmStats
) -> tuple[float | None, float | None, float]:
    """Welch's t-test of "challenger mean > incumbent mean" from sufficient statistics.

    Returns ``(t, df, p_value)``; ``t`` and ``df`` are ``None`` when the standard error
    is zero (then ``p`` is 0, 1 or 0.5 as the challenger's mean is higher, lower, equal).

    Examples
    --------
    >>> a, b = ArmStats(), ArmStats()
    >>> a.add(np.array([1.0, 1.0, 0.0, 1.0])); b.add(np.array([0.0, 1.0, 0.0, 0.0]))
    >>> t, df, p = welch_one_sided(a, b)
    >>> round(t, 4), round(df, 4), round(p, 4)
    (1.4142, 6.0, 0.1035)
    """
    var_c = challenger.variance / challenger.count
    var_i = incumbent.variance / incumbent.count
    diff = challenger.mean - incumbent.mean
    se2 = var_c + var_i
    if se2 <= 0.0:
        return None, None, 0.0 if diff > 0 else (1.0 if diff < 0 else 0.5)
    t = diff / math.sqrt(se2)
    df = (
        se2 * se2 / (var_c * var_c / (challenger.count - 1) + var_i * var_i / (incumbent.count - 1))
    )
    return t, df, float(stats.t.sf(t, df))


class ABTest(BasePolicy):
    """Incumbent vs best new challenger, per-row traffic split, one Welch t-test.

    Parameters
    ----------
    split : float, default 0.5
        Share of test traffic sent to the challenger, in (0, 1).
    min_samples : int, default 500
        Observed rewards each arm needs (since the test start) before the decision,
        in [2, inf).
    alpha : float, default 0.05
        Significance level of the one-sided test, in (0, 1).
    max_test_rows : int or None, default None
        Abandon a test (keep the incumbent) after serving this many rows without
        reaching the horizon, in [1, inf); ``None`` never abandons.
    seed : int, SeedSequence or None
        Seed of the generator that splits the test traffic.

    Examples
    --------
    >>> from banditops.policies.base import Arm
    >>> old = Arm("v1", created_at=0, validation_score=0.8)
    >>> new = Arm("v2", created_at=5, validation_score=0.9)
    >>> policy = ABTest(min_samples=3, seed=0)
    >>> policy.select([old], 2).tolist()
    [0, 0]
    >>> policy.probabilities([old, new]).tolist()  # a release: the test starts
    [0.5, 0.5]
    >>> policy.update("v1", [0, 1, 0, 0])
    >>> policy.update("v2", [1, 1, 1, 0])
    >>> policy.probabilities([old, new]).tolist()  # horizon reached: one decision
    [1.0, 0.0]
    >>> last = policy.history()[-1]
    >>> last["kind"], round(last["p_value"], 3)
    ('kept', 0.104)
    """

    name: ClassVar[str] = "ab-test"
    stochastic: ClassVar[bool] = True
    adaptive: ClassVar[bool] = True
    example_params: ClassVar[dict[str, object]] = {
        "split": 0.5,
        "min_samples": 30,
        "alpha": 0.05,
        "max_test_rows": None,
    }
    invalid_params: ClassVar[list[dict[str, object]]] = [
        {"split": 0.0},
        {"split": 1.0},
        {"split": 1.5},
        {"min_samples": 1},
        {"min_samples": 10.5},
        {"alpha": 0.0},
        {"alpha": 1.0},
        {"max_test_rows": 0},
        {"max_test_rows": "many"},
    ]

    def __init__(
        self,
        *,
        split: float = 0.5,
        min_samples: int = 500,
        alpha: float = 0.05,
        max_test_rows: int | None = None,
        seed: SeedLike = None,
    ) -> None:
        super().__init__(seed=seed)
        self._split = check_range("split", split, 0, 1, low_open=True, high_open=True)
        self._min_samples = check_int("min_samples", min_samples, 2)
        self._alpha = check_range("alpha", alpha, 0, 1, low_open=True, high_open=True)
        self._max_test_rows = (
            None if max_test_rows is None else check_int("max_test_rows", max_test_rows, 1)
        )
        self._set_params(
            split=split, min_samples=min_samples, alpha=alpha, max_test_rows=max_test_rows
        )
        self._started = False
        self._incumbent: str | None = None
        self._waiting: list[str] = []
        self._challenged: list[str] = []
        self._test: dict[str, Any] | None = None
        self._test_stats: dict[str, ArmStats] = {}
        self._history: list[dict[str, Any]] = []
        self._step = 0

    # -- inspection ------------------------------------------------------------------
    def incumbent(self) -> str | None:
        """Id of the incumbent (``None`` before the first call)."""
        return self._incumbent

    def current_test(self) -> dict[str, Any] | None:
        """The running test (challenger, start step, served rows, counts), or ``None``."""
        if self._test is None:
            return None
        out = dict(self._test)
        out["counts"] = {arm: s.count for arm, s in self._test_stats.items()}
        return out

    def history(self) -> list[dict[str, Any]]:
        """Every event: ``started``, ``promoted``, ``kept``, ``abandoned``, ``fallback``."""
        return copy.deepcopy(self._history)

    def decisions(self) -> list[dict[str, Any]]:
        """The decided tests only (``promoted`` or ``kept``), with their p-values."""
        return [e for e in self.history() if e["kind"] in ("promoted", "kept")]

    # -- the state machine -----------------------------------------------------------
    def _on_new_arm(self, arm: Arm) -> None:
        if self._started:
            self._waiting.append(arm.id)

    @staticmethod
    def _best(arms: Sequence[Arm]) -> Arm:
        """Best validation score; ties: newest; then the first listed."""
        scores = validation_scores(arms)
        keys = [(scores[i], arms[i].created_at, -i) for i in range(len(arms))]
        return arms[max(range(len(arms)), key=lambda i: keys[i])]

    def _event(self, kind: str, **fields: Any) -> None:
        self._history.append({"kind": kind, "step": self._step, **fields})

    def _end_test(self, kind: str, reason: str, **fields: Any) -> None:
        assert self._test is not None
        inc, cha = self._test["incumbent"], self._test["challenger"]
        s_inc, s_cha = self._test_stats[inc], self._test_stats[cha]
        self._event(
            kind,
            incumbent=inc,
            challenger=cha,
            started_step=self._test["started_step"],
            served_rows=self._test["served_rows"],
            n_incumbent=s_inc.count,
            n_challenger=s_cha.count,
            mean_incumbent=_finite_or_none(s_inc.mean),
            mean_challenger=_finite_or_none(s_cha.mean),
            reason=reason,
            **fields,
        )
        self._test = None
        self._test_stats = {}

    def _sync(self, arms: Sequence[Arm]) -> None:
        """Apply the transitions the live arm list and the evidence call for."""
        live = {a.id: a for a in arms}
        if not self._started:
            self._started = True
            self._incumbent = self._best(arms).id
        if self._test is not None:
            inc, cha = self._test["incumbent"], self._test["challenger"]
            s_inc, s_cha = self._test_stats[inc], self._test_stats[cha]
            if cha not in live:
                self._end_test("abandoned", "challenger retired")
            elif inc not in live:
                self._end_test("abandoned", "incumbent retired")
            elif min(s_inc.count, s_cha.count) >= self._min_samples:
                t, df, p = welch_one_sided(s_cha, s_inc)
                promote = p < self._alpha
                self._end_test(
                    "promoted" if promote else "kept",
                    f"Welch one-sided p = {p:.4g} {'<' if promote else '>='} "
                    f"alpha = {self._alpha:g}",
                    t=None if t is None else _finite_or_none(t),
                    df=None if df is None else _finite_or_none(df),
                    p_value=p,
                    alpha=self._alpha,
                )
                if promote:
                    self._incumbent = cha
            elif self._max_test_rows is not None and self._test["served_rows"] >= (
                self._max_test_rows
            ):
                self._end_test(
                    "abandoned",
                    f"max_test_rows = {self._max_test_rows} served before both arms had "
                    f"min_samples = {self._min_samples} rewards",
                )
        if self._incumbent not in live:
            previous = self._incumbent
            self._incumbent = self._best(arms).id
            if self._incumbent in self._waiting:
                self._waiting.remove(self._incumbent)
            self._event(
                "fallback",
                retired=previous,
                incumbent=self._incumbent,
                reason="incumbent retired; best validation score among live arms",
            )
        if self._test is None:
            candidates = [live[w] for w in self._waiting if w in live and w != self._incumbent]
            if candidates:
                challenger = self._best(candidates).id
                passed = [a.id for a in candidates if a.id != challenger]
                self._waiting = []
                self._challenged.append(challenger)
                self._test = {
                    "incumbent": self._incumbent,
                    "challenger": challenger,
                    "started_step": self._step,
                    "served_rows": 0,
                }
                self._test_stats = {self._incumbent: ArmStats(), challenger: ArmStats()}
                self._event(
                    "started", incumbent=self._incumbent, challenger=challenger, passed_over=passed
                )

    # -- hooks -----------------------------------------------------------------------
    def _probabilities(self, arms: Sequence[Arm]) -> np.ndarray:
        self._sync(arms)
        ids = [a.id for a in arms]
        p = np.zeros(len(arms))
        if self._test is None:
            p[ids.index(str(self._incumbent))] = 1.0
        else:
            p[ids.index(self._test["incumbent"])] = 1.0 - self._split
            p[ids.index(self._test["challenger"])] = self._split
        return p

    def _select(self, arms: Sequence[Arm], n: int) -> np.ndarray:
        self._sync(arms)
        ids = [a.id for a in arms]
        self._step += 1
        if self._test is None:
            return np.full(n, ids.index(str(self._incumbent)))
        self._test["served_rows"] += n
        to_challenger = self._rng.random(n) < self._split
        return np.where(
            to_challenger, ids.index(self._test["challenger"]), ids.index(self._test["incumbent"])
        )

    def _update(self, arm_id: str, rewards: np.ndarray) -> None:
        super()._update(arm_id, rewards)
        if arm_id in self._test_stats:
            self._test_stats[arm_id].add(rewards)

    def _learned_state(self) -> dict[str, Any]:
        return {
            "started": self._started,
            "incumbent": self._incumbent,
            "waiting": list(self._waiting),
            "challenged": list(self._challenged),
            "test": copy.deepcopy(self._test),
            "test_stats": {arm: s.to_dict() for arm, s in self._test_stats.items()},
            "history": copy.deepcopy(self._history),
            "step": self._step,
        }

    def _load_learned_state(self, learned: Mapping[str, Any]) -> None:
        where = "ab-test learned state"
        require_keys(learned, _LEARNED_KEYS, where=where)
        known = set(self._stats)

        def arm_list(key: str) -> list[str]:
            value = learned[key]
            if not isinstance(value, list) or not all(a in known for a in value):
                raise ConfigError(f"{where}: {key} must be a list of known arm ids, got {value!r}")
            return list(value)

        if not isinstance(learned["started"], bool):
            raise ConfigError(f"{where}: started must be true or false, got {learned['started']!r}")
        incumbent = learned["incumbent"]
        if not (incumbent is None if not learned["started"] else incumbent in known):
            raise ConfigError(
                f"{where}: incumbent must be a known arm id once started (None before), "
                f"got {incumbent!r}"
            )
        test = learned["test"]
        test_stats: dict[str, ArmStats] = {}
        if test is not None:
            require_keys(test, _TEST_KEYS, where=f"{where}: test")
            if test["incumbent"] != incumbent or test["challenger"] not in known:
                raise ConfigError(
                    f"{where}: test must be between the incumbent {incumbent!r} and a known "
                    f"challenger, got {test['incumbent']!r} vs {test['challenger']!r}"
                )
            for key in ("started_step", "served_rows"):
                check_int(f"{where}: test {key}", test[key], 0)
            require_keys(
                learned["test_stats"],
                sorted({test["incumbent"], test["challenger"]}),
                where=f"{where}: test_stats",
            )
            test_stats = {
                arm: ArmStats.from_dict(data, where=f"{where}: test_stats of arm {arm!r}")
                for arm, data in learned["test_stats"].items()
            }
        elif learned["test_stats"] != {}:
            raise ConfigError(f"{where}: test_stats must be empty when no test runs")
        history = learned["history"]
        if not isinstance(history, list) or not all(
            isinstance(e, Mapping) and isinstance(e.get("kind"), str) for e in history
        ):
            raise ConfigError(f"{where}: history must be a list of event dicts with a 'kind'")
        self._started = learned["started"]
        self._incumbent = incumbent
        self._waiting = arm_list("waiting")
        self._challenged = arm_list("challenged")
        self._test = None if test is None else dict(test)
        self._test_stats = test_stats
        self._history = list(history)
        self._step = check_int(f"{where}: step", learned["step"], 0)
