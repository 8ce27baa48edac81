"""``ucb``: UCB1 (Auer, Cesa-Bianchi and Fischer, 2002) over live versions.

Each live version ``i`` with ``n_i`` observed rewards and mean ``mean_i`` scores::

    mean_i + c * sqrt(2 * ln(N) / n_i)

where ``N`` is the total number of observed rewards **over the live versions** (rows
are pulls). Counting live versions only means a retired version's history neither
inflates nor deflates the exploration bonus of the versions that can still serve.
``c = 1`` is the textbook UCB1; ``c = 0`` is greedy.

Decisions are deterministic. While some live versions have no observed reward yet, the
chunk's traffic is split evenly among exactly those (UCB1 pulls every arm once first;
splitting a chunk lets all untried versions be tried at once). Otherwise all traffic
goes to the best score; tied scores share the traffic evenly. Rows are assigned with
:func:`~banditops.policies.base.split_traffic` (largest remainder, interleaved).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import ClassVar

import numpy as np

from banditops.policies.base import Arm, BasePolicy, SeedLike, check_range, even_shares

__all__ = ["UCB1"]


class UCB1(BasePolicy):
    """UCB1: the best upper confidence bound on the mean reward gets the traffic.

    Parameters
    ----------
    c : float, default 1.0
        Scale of the exploration bonus, in [0, inf).
    seed : int, SeedSequence or None
        Accepted for a uniform interface; the policy is deterministic.

    Examples
    --------
    Means 0.6 and 0.5 after 10 and 40 rewards: N = 50, the bonus of the first arm is
    ``sqrt(2 ln 50 / 10) = 0.885`` and of the second ``0.442``, so the first serves.

    >>> from banditops.policies.base import Arm
    >>> arms = [Arm("a"), Arm("b")]
    >>> policy = UCB1()
    >>> policy.select(arms, 4).tolist()  # nothing observed yet: split evenly
    [0, 1, 0, 1]
    >>> policy.update("a", [1] * 6 + [0] * 4)
    >>> policy.update("b", [1] * 20 + [0] * 20)
    >>> policy.scores(arms).round(3).tolist()
    [1.485, 0.942]
    >>> policy.select(arms, 3).tolist()
    [0, 0, 0]
    """

    name: ClassVar[str] = "ucb"
    stochastic: ClassVar[bool] = False
    adaptive: ClassVar[bool] = True
    example_params: ClassVar[dict[str, object]] = {"c": 0.5}
    invalid_params: ClassVar[list[dict[str, object]]] = [
        {"c": -0.1},
        {"c": float("inf")},
        {"c": float("nan")},
        {"c": None},
    ]

    def __init__(self, *, c: float = 1.0, seed: SeedLike = None) -> None:
        super().__init__(seed=seed)
        self._c = check_range("c", c, 0, math.inf, high_open=True)
        self._set_params(c=c)

    def scores(self, arms: Sequence[Arm]) -> np.ndarray:
        """UCB1 score of each arm; ``inf`` for an arm with no observed reward."""
        self._check_arms(arms)
        self._observe(arms)
        return self._scores(arms)

    def _scores(self, arms: Sequence[Arm]) -> np.ndarray:
        counts = np.array([self._stats[a.id].count for a in arms])
        totals = np.array([self._stats[a.id].total for a in arms])
        scores = np.full(len(arms), np.inf)
        tried = counts > 0
        if tried.any():
            log_total = math.log(counts.sum())
            scores[tried] = totals[tried] / counts[tried] + self._c * np.sqrt(
                2.0 * log_total / counts[tried]
            )
        return scores

    def _probabilities(self, arms: Sequence[Arm]) -> np.ndarray:
        scores = self._scores(arms)
        return even_shares(scores == scores.max())
