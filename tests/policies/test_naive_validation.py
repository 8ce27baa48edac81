"""naive and validation: releases of several versions, ties, missing scores."""

from __future__ import annotations

import numpy as np

from banditops.policies import Arm, Naive, ValidationBest

release = [
    Arm("lr@0", created_at=0, validation_score=0.90),
    Arm("lr@5", created_at=5, validation_score=0.80),
    Arm("rf@5", created_at=5, validation_score=0.85),
    Arm("nb@5", created_at=5, validation_score=None),
]


def test_naive_serves_the_best_of_the_newest_release() -> None:
    policy = Naive()
    assert policy.probabilities(release).tolist() == [0.0, 0.0, 1.0, 0.0]
    assert policy.select(release, 6).tolist() == [2] * 6
    assert policy.select(release[::-1], 2).tolist() == [1, 1]  # order does not matter


def test_naive_ignores_reward() -> None:
    policy = Naive()
    policy.select(release, 1)
    policy.update("rf@5", [0.0] * 100)
    policy.update("lr@0", [1.0] * 100)
    assert policy.probabilities(release).tolist() == [0.0, 0.0, 1.0, 0.0]


def test_naive_without_scores_splits_the_newest_release_evenly() -> None:
    arms = [Arm("x", created_at=1), Arm("y", created_at=2), Arm("z", created_at=2)]
    assert Naive().probabilities(arms).tolist() == [0.0, 0.5, 0.5]
    assert Naive().select(arms, 4).tolist() == [1, 2, 1, 2]


def test_naive_missing_score_ranks_last() -> None:
    arms = [Arm("none", created_at=3), Arm("low", created_at=3, validation_score=0.1)]
    assert Naive().probabilities(arms).tolist() == [0.0, 1.0]


def test_validation_picks_the_best_score() -> None:
    assert ValidationBest().probabilities(release).tolist() == [1.0, 0.0, 0.0, 0.0]


def test_validation_ties_go_to_the_newest() -> None:
    arms = [
        Arm("old", created_at=0, validation_score=0.88),
        Arm("new", created_at=5, validation_score=0.88),
        Arm("worse", created_at=9, validation_score=0.70),
    ]
    assert ValidationBest().probabilities(arms).tolist() == [0.0, 1.0, 0.0]


def test_validation_exact_ties_split_and_missing_scores_rank_last() -> None:
    arms = [
        Arm("p", created_at=5, validation_score=0.9),
        Arm("q", created_at=5, validation_score=0.9),
        Arm("r", created_at=9, validation_score=None),
        Arm("s", created_at=9, validation_score=float("nan")),
    ]
    assert ValidationBest().probabilities(arms).tolist() == [0.5, 0.5, 0.0, 0.0]
    unscored = [Arm("r", created_at=1), Arm("s", created_at=4)]
    assert ValidationBest().probabilities(unscored).tolist() == [0.0, 1.0]


def test_validation_ignores_reward() -> None:
    policy = ValidationBest()
    policy.select(release, 1)
    policy.update("lr@0", np.zeros(50))
    assert policy.probabilities(release).tolist() == [1.0, 0.0, 0.0, 0.0]
