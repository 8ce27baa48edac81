"""``epsilon-greedy``: mostly the best observed mean, sometimes a random version.

Each row independently: with probability ``epsilon`` a live version drawn uniformly at
random (exploration), otherwise the greedy version, the one with the best observed mean
reward (exploitation). A version never observed counts as ``initial_value`` (default 1,
optimistic: a new version beats every observed mean, so it is tried at once on the
greedy share of the traffic until its first feedback arrives). Greedy ties share the
greedy traffic evenly (each greedy row picks one of the tied versions uniformly), so the
probability of a version is::

    epsilon / k + (1 - epsilon) * [version is greedy] / (number of greedy versions)

with ``k`` live versions; ``select`` draws every row from exactly these probabilities.

An optional decay lowers exploration as evidence accumulates:
``epsilon_t = epsilon / (1 + decay * N)`` with ``N`` the number of rewards observed so
far over all versions. The default ``decay = 0`` is the textbook constant epsilon.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

import numpy as np

from banditops.policies.base import Arm, BasePolicy, SeedLike, check_range

__all__ = ["EpsilonGreedy"]


class EpsilonGreedy(BasePolicy):
    """Epsilon-greedy over the observed mean reward of each live version.

    Parameters
    ----------
    epsilon : float, default 0.1
        Share of rows explored uniformly at random, in [0, 1].
    initial_value : float, default 1.0
        Value of a version with no observed reward, in [0, 1] (1 is optimistic).
    decay : float, default 0.0
        Exploration decay per observed reward, in [0, inf); 0 keeps epsilon constant.
    seed : int, SeedSequence or None
        Seed of the policy's random generator.

    Examples
    --------
    >>> from banditops.policies.base import Arm
    >>> arms = [Arm("a"), Arm("b")]
    >>> policy = EpsilonGreedy(epsilon=0.2, seed=0)
    >>> _ = policy.select(arms, 1)  # both arms are now known
    >>> policy.update("a", [1, 1, 0, 1])
    >>> policy.update("b", [0, 1, 0, 0])
    >>> policy.probabilities(arms).round(3).tolist()
    [0.9, 0.1]
    >>> policy.select(arms, 10).tolist()
    [0, 0, 0, 0, 1, 0, 0, 0, 1, 0]
    """

    name: ClassVar[str] = "epsilon-greedy"
    stochastic: ClassVar[bool] = True
    adaptive: ClassVar[bool] = True
    example_params: ClassVar[dict[str, object]] = {
        "epsilon": 0.1,
        "initial_value": 1.0,
        "decay": 0.0,
    }
    invalid_params: ClassVar[list[dict[str, object]]] = [
        {"epsilon": -0.1},
        {"epsilon": 1.5},
        {"epsilon": float("nan")},
        {"epsilon": "0.1"},
        {"initial_value": 2.0},
        {"decay": -1.0},
        {"decay": float("inf")},
    ]

    def __init__(
        self,
        *,
        epsilon: float = 0.1,
        initial_value: float = 1.0,
        decay: float = 0.0,
        seed: SeedLike = None,
    ) -> None:
        super().__init__(seed=seed)
        self._epsilon = check_range("epsilon", epsilon, 0, 1)
        self._initial_value = check_range("initial_value", initial_value, 0, 1)
        self._decay = check_range("decay", decay, 0, np.inf, high_open=True)
        self._set_params(epsilon=epsilon, initial_value=initial_value, decay=decay)

    def current_epsilon(self) -> float:
        """The exploration share of the next row (``epsilon`` after decay)."""
        observed = sum(s.count for s in self._stats.values())
        return self._epsilon / (1.0 + self._decay * observed)

    def values(self, arms: Sequence[Arm]) -> np.ndarray:
        """Estimated value of each arm: observed mean, or ``initial_value`` if unobserved."""
        self._check_arms(arms)
        self._observe(arms)
        return self._values(arms)

    def _values(self, arms: Sequence[Arm]) -> np.ndarray:
        stats = [self._stats[a.id] for a in arms]
        return np.array([s.mean if s.count > 0 else self._initial_value for s in stats])

    def _probabilities(self, arms: Sequence[Arm]) -> np.ndarray:
        values = self._values(arms)
        greedy = values == values.max()
        eps = self.current_epsilon()
        return eps / len(arms) + (1.0 - eps) * greedy / greedy.sum()
