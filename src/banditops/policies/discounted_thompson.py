"""``discounted-thompson``: discounted Thompson sampling (Raj and Kalyani, 2017).

Raj and Kalyani, "Taming Non-stationary Bandits: A Bayesian Approach" (2017), keep a
Beta posterior per arm whose evidence decays by a factor ``gamma`` at every time step,
for *every* arm, pulled or not, so the posterior of an arm that has not served for a
while widens back toward the prior and the arm gets explored again.

The clock
---------
One step is one **decision step**: a ``select`` call that serves at least one row (one
chunk in the replay; one batch of requests in the router). After the step's decisions are
drawn, the discounted evidence of every known arm is multiplied by ``gamma``::

    S_i <- gamma * S_i        F_i <- gamma * F_i        (all arms, every step)

and every reward ``r`` that lands adds to its own arm undiscounted until the next step::

    S_i <- S_i + r            F_i <- F_i + (1 - r)

The posterior used to decide is ``Beta(prior_alpha + S_i, prior_beta + F_i)``, so the
weight of a reward is ``gamma ** (decision steps since it landed)``. Why this clock and not
one tick per ``update`` call or per row: ``update`` calls and row counts depend on how the
feedback is batched (and per-row discounting at ``gamma`` near 1 would make the memory
depend on the chunk size), while decision steps are the policy's own time. A batch update
therefore equals the same updates one by one, and ``probabilities`` (which ages nothing)
consumes no randomness and changes no state. ``gamma = 1`` is plain Thompson sampling.

Decisions and probabilities are those of :mod:`~banditops.policies.thompson` (one Beta
draw per row and arm; the exact probability of being the largest draw by numerical
integration). ``stats()`` keeps the raw, undiscounted observed counts.

Examples
--------
>>> from banditops.policies.base import Arm
>>> arms = [Arm("a"), Arm("b")]
>>> policy = DiscountedThompson(gamma=0.5, seed=0)
>>> _ = policy.select(arms, 4)  # step 1 (nothing to age yet)
>>> policy.update("a", [1, 1, 0, 1])
>>> policy.posterior("a"), policy.posterior("b")
((4.0, 2.0), (1.0, 1.0))
>>> _ = policy.select(arms, 4)  # step 2: a's evidence halves
>>> policy.discounted("a")
(1.5, 0.5)
>>> policy.update("b", [1, 0])
>>> _ = policy.select(arms, 4)  # step 3: both age, b's evidence too
>>> policy.discounted("a"), policy.discounted("b")
((0.75, 0.25), (0.5, 0.5))
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import numpy as np

from banditops.errors import UnknownArmError
from banditops.policies.base import Arm, BasePolicy, SeedLike, check_range
from banditops.policies.thompson import PRIOR_MAX, PRIOR_MIN, prob_max_beta, select_max_beta

__all__ = ["DiscountedThompson"]


class DiscountedThompson(BasePolicy):
    """Beta-Bernoulli Thompson sampling whose evidence decays by ``gamma`` per step.

    Parameters
    ----------
    gamma : float, default 0.9
        Discount per decision step (chunk), in (0, 1]. The evidence of an arm served at a
        steady rate saturates at ``1 / (1 - gamma)`` steps' worth (10 chunks at 0.9).
    prior_alpha, prior_beta : float, default 1.0
        Shape parameters of the Beta prior the posterior decays toward, in [1e-6, 1e9]
        (the range of ``thompson``, where ``select`` follows ``probabilities``).
    seed : int, SeedSequence or None
        Seed of the policy's random generator.

    Examples
    --------
    >>> from banditops.policies.base import Arm
    >>> policy = DiscountedThompson(gamma=0.9, seed=1)
    >>> arms = [Arm("a"), Arm("b")]
    >>> policy.probabilities(arms).round(3).tolist()
    [0.5, 0.5]
    >>> policy.update("a", [1.0] * 10)
    >>> policy.probabilities(arms).round(3).tolist()
    [0.917, 0.083]
    """

    name: ClassVar[str] = "discounted-thompson"
    stochastic: ClassVar[bool] = True
    adaptive: ClassVar[bool] = True
    example_params: ClassVar[dict[str, object]] = {
        "gamma": 0.95,
        "prior_alpha": 1.0,
        "prior_beta": 1.0,
    }
    invalid_params: ClassVar[list[dict[str, object]]] = [
        {"gamma": 0.0},
        {"gamma": 1.5},
        {"gamma": float("nan")},
        {"gamma": "0.9"},
        {"prior_alpha": 0.0},
        {"prior_beta": -1.0},
        {"prior_beta": float("inf")},
    ]

    def __init__(
        self,
        *,
        gamma: float = 0.9,
        prior_alpha: float = 1.0,
        prior_beta: float = 1.0,
        seed: SeedLike = None,
    ) -> None:
        super().__init__(seed=seed)
        self._gamma = check_range("gamma", gamma, 0, 1, low_open=True)
        self._prior_alpha = check_range("prior_alpha", prior_alpha, PRIOR_MIN, PRIOR_MAX)
        self._prior_beta = check_range("prior_beta", prior_beta, PRIOR_MIN, PRIOR_MAX)
        self._set_params(gamma=gamma, prior_alpha=prior_alpha, prior_beta=prior_beta)
        self._evidence: dict[str, list[float]] = {}  # arm -> [S, F]
        self._steps = 0

    def _on_new_arm(self, arm: Arm) -> None:
        self._evidence[arm.id] = [0.0, 0.0]

    def discounted(self, arm_id: str) -> tuple[float, float]:
        """The discounted evidence ``(S, F)`` of one arm (successes, failures)."""
        if arm_id not in self._evidence:
            raise UnknownArmError(f"unknown arm {arm_id!r}; known arms: {self.known_arms()}")
        s, f = self._evidence[arm_id]
        return s, f

    def posterior(self, arm_id: str) -> tuple[float, float]:
        """The ``(alpha, beta)`` of one arm's discounted Beta posterior."""
        s, f = self.discounted(arm_id)
        return self._prior_alpha + s, self._prior_beta + f

    def forget(self, arm_id: str) -> None:
        """Reset one arm's evidence to nothing (the prior); used by ``change-detection``."""
        self.discounted(arm_id)
        self._evidence[arm_id] = [0.0, 0.0]

    @property
    def steps(self) -> int:
        """Decision steps taken (the clock)."""
        return self._steps

    def _shapes(self, arms: Sequence[Arm]) -> tuple[np.ndarray, np.ndarray]:
        evidence = np.array([self._evidence[a.id] for a in arms], dtype=float)
        return self._prior_alpha + evidence[:, 0], self._prior_beta + evidence[:, 1]

    def _select(self, arms: Sequence[Arm], n: int) -> np.ndarray:
        alpha, beta = self._shapes(arms)
        picks = select_max_beta(self._rng, alpha, beta, n)
        self._steps += 1
        if self._gamma < 1.0:
            for pair in self._evidence.values():
                pair[0] *= self._gamma
                pair[1] *= self._gamma
        return picks

    def _probabilities(self, arms: Sequence[Arm]) -> np.ndarray:
        alpha, beta = self._shapes(arms)
        return prob_max_beta(alpha, beta)

    def _update(self, arm_id: str, rewards: np.ndarray) -> None:
        super()._update(arm_id, rewards)
        total = float(rewards.sum())
        pair = self._evidence[arm_id]
        pair[0] += total
        pair[1] += float(rewards.size) - total

    def _learned_state(self) -> dict[str, Any]:
        return {"evidence": {k: list(v) for k, v in self._evidence.items()}, "steps": self._steps}

    def _load_learned_state(self, learned: Mapping[str, Any]) -> None:
        self._evidence = {k: [float(v[0]), float(v[1])] for k, v in learned["evidence"].items()}
        self._steps = int(learned["steps"])
