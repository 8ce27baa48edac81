"""``validation``: serve the version with the best held-out validation score.

The classic offline model-selection rule: each version is scored once, at training time,
on a held-out slice of its training window, and the best score among the live versions
serves. Ties go to the newest version; versions equal on both keys share the traffic
evenly. Versions without a score rank last. Live reward is never used, so a version that
looks good offline but fails in production (training-serving skew) keeps serving.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

import numpy as np

from banditops.policies.base import Arm, BasePolicy, SeedLike, even_shares, validation_scores

__all__ = ["ValidationBest"]


class ValidationBest(BasePolicy):
    """Serve the best validation score among live versions (ties: the newest).

    Parameters
    ----------
    seed : int, SeedSequence or None
        Accepted for a uniform interface; the policy is deterministic.

    Examples
    --------
    >>> from banditops.policies.base import Arm
    >>> arms = [
    ...     Arm("lr@0", created_at=0, validation_score=0.88),
    ...     Arm("nb@5", created_at=5, validation_score=0.88),
    ...     Arm("rf@5", created_at=5, validation_score=0.81),
    ... ]
    >>> ValidationBest().probabilities(arms).tolist()
    [0.0, 1.0, 0.0]
    """

    name: ClassVar[str] = "validation"
    stochastic: ClassVar[bool] = False
    adaptive: ClassVar[bool] = False
    non_adaptive_reason: ClassVar[str] = (
        "validation serves the best offline validation score and never looks at live reward"
    )
    example_params: ClassVar[dict[str, object]] = {}
    invalid_params: ClassVar[list[dict[str, object]]] = []

    def __init__(self, *, seed: SeedLike = None) -> None:
        super().__init__(seed=seed)

    def _probabilities(self, arms: Sequence[Arm]) -> np.ndarray:
        scores = validation_scores(arms)
        top = scores == scores.max()
        created = np.array([a.created_at for a in arms])
        newest = top & (created == created[top].max())
        return even_shares(newest)
