"""``sw-ucb``: sliding-window UCB (Garivier and Moulines, 2011) over live versions.

Garivier and Moulines, "On Upper-Confidence Bound Policies for Switching Bandit
Problems" (ALT 2011), score each arm on the last ``tau`` plays only. Here a play is an
*observed reward* (a row whose feedback landed): the policy keeps the last ``window``
observed rewards of all arms together, in arrival order, and each live version ``i``
with ``n_i`` rewards in that window and windowed mean ``mean_i`` scores::

    mean_i + c * sqrt(2 * ln(N) / n_i)

with ``N`` the number of windowed rewards of the live versions (at most ``window``; the
paper's ``log(min(t, tau))``). Rewards older than the window are forgotten, so a version
whose reward changes is judged on its recent traffic, and one that has not served for
``window`` rows counts as untried again and is re-explored. The window counts rows, not
chunks or ``update`` calls, so a batch update equals the same updates one by one.

Decisions are deterministic and follow :mod:`~banditops.policies.ucb`: while some live
versions have no windowed reward the chunk's traffic is split evenly among exactly those;
otherwise all traffic goes to the best score (ties share it evenly).

State: the window as a run-length list ``[[arm, [rewards...]], ...]`` (consecutive
rewards of one arm merged into one run), so the state is plain JSON and canonical.

Examples
--------
>>> from banditops.policies.base import Arm
>>> policy = SlidingWindowUCB(window=6, c=1.0)
>>> arms = [Arm("a"), Arm("b")]
>>> policy.select(arms, 2).tolist()  # nothing observed: split evenly
[0, 1]
>>> policy.update("a", [1, 1, 1, 1])
>>> policy.update("b", [0, 1, 0, 0])  # 8 rewards: the window keeps the last 6
>>> policy.window_contents()
[['a', [1.0, 1.0]], ['b', [0.0, 1.0, 0.0, 0.0]]]
>>> policy.windowed("a"), policy.windowed("b")
((2, 2.0), (4, 1.0))
>>> policy.scores(arms).round(4).tolist()  # 1 + sqrt(2 ln 6 / 2), 0.25 + sqrt(2 ln 6 / 4)
[2.3386, 1.1965]
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import numpy as np

from banditops.errors import UnknownArmError
from banditops.policies.base import Arm, BasePolicy, SeedLike, check_int, check_range, even_shares

__all__ = ["SlidingWindowUCB"]


class SlidingWindowUCB(BasePolicy):
    """UCB on the last ``window`` observed rewards (rows) of all arms together.

    Parameters
    ----------
    window : int, default 10000
        Observed rewards (rows, all arms together) the scores are computed on, in
        [1, inf). With the default chunk sizes this is 10 (adult, elec2) or 20
        (vehicle-claims) chunks of traffic.
    c : float, default 1.0
        Scale of the exploration bonus, in [0, inf).
    seed : int, SeedSequence or None
        Accepted for a uniform interface; the policy is deterministic.

    Examples
    --------
    A version that was good and turned bad loses the traffic; the window (120 rows) has
    forgotten the first 30 rewards of ``old``:

    >>> from banditops.policies.base import Arm
    >>> arms = [Arm("old"), Arm("new")]
    >>> policy = SlidingWindowUCB(window=120, c=0.1)
    >>> _ = policy.select(arms, 2)
    >>> policy.update("old", [0.8] * 50)
    >>> policy.update("new", [1.0] * 50)
    >>> policy.select(arms, 2).tolist()
    [1, 1]
    >>> policy.update("new", [0.0] * 50)  # 'new' breaks
    >>> policy.windowed("old"), policy.windowed("new")
    ((20, 16.0), (100, 50.0))
    >>> policy.select(arms, 2).tolist()
    [0, 0]
    """

    name: ClassVar[str] = "sw-ucb"
    stochastic: ClassVar[bool] = False
    adaptive: ClassVar[bool] = True
    example_params: ClassVar[dict[str, object]] = {"window": 1000, "c": 0.5}
    invalid_params: ClassVar[list[dict[str, object]]] = [
        {"window": 0},
        {"window": 2.5},
        {"window": "100"},
        {"c": -1.0},
        {"c": float("nan")},
        {"c": float("inf")},
    ]

    def __init__(self, *, window: int = 10_000, c: float = 1.0, seed: SeedLike = None) -> None:
        super().__init__(seed=seed)
        self._window_size = check_int("window", window, 1)
        self._c = check_range("c", c, 0, math.inf, high_open=True)
        self._set_params(window=window, c=c)
        self._runs: deque[list[Any]] = deque()  # [arm_id, ndarray of rewards]
        self._size = 0

    # -- inspection --------------------------------------------------------------------
    def window_contents(self) -> list[list[Any]]:
        """The window, oldest first, as runs ``[arm, [rewards...]]``."""
        return [[arm, values.tolist()] for arm, values in self._runs]

    def windowed(self, arm_id: str) -> tuple[int, float]:
        """``(count, sum)`` of one arm's rewards in the window."""
        if arm_id not in self._stats:
            raise UnknownArmError(f"unknown arm {arm_id!r}; known arms: {self.known_arms()}")
        values = [v for arm, v in self._runs if arm == arm_id]
        if not values:
            return 0, 0.0
        joined = np.concatenate(values)
        return int(joined.size), float(joined.sum())

    def scores(self, arms: Sequence[Arm]) -> np.ndarray:
        """Sliding-window UCB score of each arm; ``inf`` with no windowed reward."""
        self._check_arms(arms)
        self._observe(arms)
        return self._scores(arms)

    def forget(self, arm_id: str) -> None:
        """Drop every windowed reward of ``arm_id`` (used by ``change-detection``)."""
        kept = [run for run in self._runs if run[0] != arm_id]
        self._runs = deque()
        self._size = 0
        for arm, values in kept:
            self._append(arm, values)

    # -- internals ---------------------------------------------------------------------
    def _append(self, arm_id: str, values: np.ndarray) -> None:
        if self._runs and self._runs[-1][0] == arm_id:
            self._runs[-1][1] = np.concatenate([self._runs[-1][1], values])
        else:
            self._runs.append([arm_id, np.asarray(values, dtype=float)])
        self._size += int(values.size)
        excess = self._size - self._window_size
        while excess > 0:
            first = self._runs[0]
            if first[1].size <= excess:
                self._runs.popleft()
                excess -= first[1].size
                self._size -= first[1].size
            else:
                first[1] = first[1][excess:]
                self._size -= excess
                excess = 0

    def _update(self, arm_id: str, rewards: np.ndarray) -> None:
        super()._update(arm_id, rewards)
        self._append(arm_id, rewards)

    def _scores(self, arms: Sequence[Arm]) -> np.ndarray:
        counts: dict[str, int] = {}
        sums: dict[str, list[np.ndarray]] = {}
        for arm, values in self._runs:
            counts[arm] = counts.get(arm, 0) + int(values.size)
            sums.setdefault(arm, []).append(values)
        n = np.array([counts.get(a.id, 0) for a in arms], dtype=float)
        total = np.array(
            [float(np.concatenate(sums[a.id]).sum()) if a.id in sums else 0.0 for a in arms]
        )
        scores = np.full(len(arms), np.inf)
        tried = n > 0
        if tried.any():
            log_total = math.log(n.sum())
            scores[tried] = total[tried] / n[tried] + self._c * np.sqrt(2.0 * log_total / n[tried])
        return scores

    def _probabilities(self, arms: Sequence[Arm]) -> np.ndarray:
        scores = self._scores(arms)
        return even_shares(scores == scores.max())

    def _learned_state(self) -> dict[str, Any]:
        return {"window": self.window_contents()}

    def _load_learned_state(self, learned: Mapping[str, Any]) -> None:
        self._runs = deque()
        self._size = 0
        for arm, values in learned.get("window", []):
            self._append(str(arm), np.asarray(values, dtype=float))
