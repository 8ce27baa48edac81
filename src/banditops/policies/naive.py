"""``naive``: always serve the newest model version.

This is the "deploy the latest model" habit of many ML Ops pipelines: whatever was
trained last goes live. When one release holds several versions (several model families
trained on the same window share ``created_at``), the best validation score among them
wins; a missing score ranks last. Versions equal on both keys share the traffic evenly,
so the decision does not depend on the order of the arm list. The policy never looks at
live reward.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

import numpy as np

from banditops.policies.base import Arm, BasePolicy, SeedLike, even_shares, validation_scores

__all__ = ["Naive"]


class Naive(BasePolicy):
    """Serve the newest version; within a release, the best validation score.

    Parameters
    ----------
    seed : int, SeedSequence or None
        Accepted for a uniform interface; the policy is deterministic.

    Notes
    -----
    No hyperparameters. ``update`` records rewards (for inspection) but they never
    change a decision, so the policy is not adaptive.

    Examples
    --------
    >>> from banditops.policies.base import Arm
    >>> arms = [
    ...     Arm("lr@0", created_at=0, validation_score=0.90),
    ...     Arm("lr@5", created_at=5, validation_score=0.80),
    ...     Arm("rf@5", created_at=5, validation_score=0.85),
    ... ]
    >>> policy = Naive()
    >>> policy.select(arms, 4).tolist()
    [2, 2, 2, 2]
    >>> policy.probabilities(arms).tolist()
    [0.0, 0.0, 1.0]
    """

    name: ClassVar[str] = "naive"
    stochastic: ClassVar[bool] = False
    adaptive: ClassVar[bool] = False
    non_adaptive_reason: ClassVar[str] = (
        "naive always serves the newest version and never looks at live reward"
    )
    example_params: ClassVar[dict[str, object]] = {}
    invalid_params: ClassVar[list[dict[str, object]]] = []

    def __init__(self, *, seed: SeedLike = None) -> None:
        super().__init__(seed=seed)

    def _probabilities(self, arms: Sequence[Arm]) -> np.ndarray:
        created = np.array([a.created_at for a in arms])
        newest = created == created.max()
        scores = np.where(newest, validation_scores(arms), -np.inf)
        best = newest & (scores == scores[newest].max())
        return even_shares(best)
