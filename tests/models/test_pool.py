"""Model pool: families, thresholds, validation slice, schedule, retirement."""

import numpy as np
import pandas as pd
import pytest

from banditops.errors import ConfigError, DataError
from banditops.models.pool import (
    FAMILIES,
    ModelVersion,
    PoolConfig,
    build_pipeline,
    release_chunks,
    retire_over_cap,
    train_version,
    tune_threshold,
)
from banditops.rewards import make_reward


def synthetic(n=1200, positive_rate=0.5, seed=0):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        {
            "x": rng.normal(size=n),
            "z": rng.normal(size=n),
            "colour": rng.choice(["red", "green", "blue"], size=n),
        }
    )
    X.loc[rng.random(n) < 0.05, "colour"] = np.nan
    score = X["x"] + 0.8 * (X["colour"] == "red") + rng.normal(scale=0.7, size=n)
    y = (score > np.quantile(score, 1 - positive_rate)).astype(np.int8).to_numpy()
    return X, y


@pytest.mark.parametrize("family", list(FAMILIES))
def test_every_family_learns_and_tolerates_unseen_levels(family):
    X, y = synthetic()
    version = train_version(
        family, X, y, reward=make_reward("accuracy"), created_at=4, train_window=(0, 4), seed=0
    )
    assert version.id == f"{family}@4"
    assert version.validation_score > 0.7
    assert version.n_validation == 300 and version.n_train == 900
    unseen = X.head(20).copy()
    unseen["colour"] = "ultraviolet"  # a level never seen in training
    pred = version.predict(unseen)
    assert pred.shape == (20,) and set(np.unique(pred)) <= {0, 1}
    meta = version.metadata()
    assert meta["family"] == family and meta["train_window"] == [0, 4]


def test_validation_slice_is_the_most_recent_part_of_the_window():
    X, y = synthetic(n=400)
    y_flipped = y.copy()
    y_flipped[300:] = 1 - y_flipped[300:]  # the last quarter contradicts the rest
    version = train_version(
        "logreg", X, y_flipped, reward=make_reward("accuracy"), created_at=1, train_window=(0, 1)
    )
    # trained on the first 300 rows, scored on the contradicting last 100
    assert version.validation_score < 0.3


def test_cost_reward_tunes_a_threshold_that_beats_never_flag():
    X, y = synthetic(n=4000, positive_rate=0.06, seed=3)
    reward = make_reward("cost", cost_ratio=10)
    version = train_version("logreg", X, y, reward=reward, created_at=1, train_window=(0, 1))
    assert version.threshold < 0.5
    X_new, y_new = synthetic(n=4000, positive_rate=0.06, seed=4)
    tuned = reward(y_new, version.predict(X_new)).mean()
    default = reward(y_new, (version.predict_proba(X_new) >= 0.5).astype(int)).mean()
    never = reward(y_new, np.zeros_like(y_new)).mean()
    assert tuned > never + 0.01
    assert tuned > default


def test_tune_threshold_matches_brute_force():
    rng = np.random.default_rng(5)
    proba = rng.random(300)
    y = (rng.random(300) < proba * 0.3).astype(int)
    reward = make_reward("cost", cost_ratio=7)
    threshold, best = tune_threshold(proba, y, reward)
    candidates = np.append(np.unique(proba), 2.0)
    brute = max(reward(y, (proba >= c).astype(int)).mean() for c in candidates)
    assert best == pytest.approx(brute)
    assert reward(y, (proba >= threshold).astype(int)).mean() == pytest.approx(best)


def test_a_window_without_both_classes_cannot_train():
    X, _ = synthetic(n=200)
    with pytest.raises(DataError, match="0 positives"):
        train_version(
            "logreg",
            X,
            np.zeros(200, dtype=np.int8),
            reward=make_reward("accuracy"),
            created_at=3,
            train_window=(0, 3),
        )


def test_release_schedule_respects_label_delay():
    config = PoolConfig(warmup_chunks=2, retrain_every=3, train_window=4)
    releases = release_chunks(config, 12, label_delay=0)
    assert [(r.chunk, r.window) for r in releases] == [
        (2, (0, 2)),
        (5, (1, 5)),
        (8, (4, 8)),
        (11, (7, 11)),
    ]
    delayed = release_chunks(config, 12, label_delay=2)
    assert [(r.chunk, r.window) for r in delayed] == [
        (2, (0, 2)),
        (5, (0, 3)),
        (8, (2, 6)),
        (11, (5, 9)),
    ]
    # a release never trains on a chunk whose labels have not landed
    for r in delayed[1:]:
        assert r.window[1] <= r.chunk - 2
    with pytest.raises(ConfigError, match="leaves none to score"):
        release_chunks(config, 2, label_delay=0)


def test_retirement_keeps_the_newest_then_best_validated():
    def v(fam, t, score):
        return ModelVersion(fam, t, (0, 1), 0.5, score, 1, 1, [])

    live = [v("a", 0, 0.99), v("b", 0, 0.5), v("a", 5, 0.6), v("b", 5, 0.7)]
    assert [x.id for x in retire_over_cap(live, 3)] == ["a@0", "a@5", "b@5"]
    assert [x.id for x in retire_over_cap(live, 1)] == ["b@5"]


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"families": ()}, "families"),
        ({"families": ("svm",)}, "unknown model family"),
        ({"families": ("logreg", "logreg")}, "unique"),
        ({"warmup_chunks": 0}, "warmup_chunks"),
        ({"max_arms": 0}, "max_arms"),
        ({"validation_fraction": 1.0}, "validation_fraction"),
        ({"train_window": 2.5}, "train_window"),
    ],
)
def test_pool_config_is_validated(kwargs, match):
    with pytest.raises(ConfigError, match=match):
        PoolConfig(**kwargs)


def test_unknown_family():
    with pytest.raises(ConfigError, match="unknown model family 'svm'"):
        build_pipeline("svm", pd.DataFrame({"a": [1.0]}))
