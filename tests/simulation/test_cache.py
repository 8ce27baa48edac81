"""Prediction cache: what is live, what each version predicted, once."""

import numpy as np
import pandas as pd
import pytest

from banditops.errors import ResultsError
from banditops.models.pool import PoolConfig
from banditops.rewards import make_reward
from banditops.simulation.cache import PredictionCache, build_prediction_cache

POOL = PoolConfig(
    families=("logreg", "naive-bayes"), warmup_chunks=2, retrain_every=2, train_window=3, max_arms=3
)


def stream(n=1500, seed=0):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"x": rng.normal(size=n), "c": rng.choice(["a", "b", "c"], size=n)})
    y = (X["x"] + (X["c"] == "a") + rng.normal(scale=0.6, size=n) > 0.4).astype(np.int8)
    return X, y.to_numpy(), np.arange(0, n + 1, 150)


def test_cache_shapes_live_sets_and_rewards():
    X, y, bounds = stream()
    reward = make_reward("accuracy")
    cache = build_prediction_cache(X, y, bounds, reward=reward, pool=POOL)
    assert cache.n_chunks == 10 and cache.first_chunk == 2 and cache.n_scored_chunks == 8
    assert cache.n_scored_rows == 1200
    assert [v.id for v in cache.versions][:4] == [
        "logreg@2",
        "naive-bayes@2",
        "logreg@4",
        "naive-bayes@4",
    ]
    assert cache.live.sum(axis=1).max() <= POOL.max_arms
    for v in range(len(cache.versions)):
        chunks = np.flatnonzero(cache.live[:, v])
        assert chunks.size > 0
        assert np.array_equal(chunks, np.arange(chunks[0], chunks[-1] + 1))  # contiguous
        for k in range(cache.n_scored_chunks):
            rows = cache.chunk_slice(k)
            if cache.live[k, v]:
                pred = cache.predictions[v, rows]
                assert set(np.unique(pred)) <= {0, 1}
                np.testing.assert_array_equal(cache.rewards[v, rows], reward(cache.y[rows], pred))
            else:
                assert (cache.predictions[v, rows] == -1).all()
                assert np.isnan(cache.rewards[v, rows]).all()
    np.testing.assert_array_equal(cache.y, y[300:])
    oracle = cache.oracle_chunk_rewards()
    sums = cache.chunk_reward_sums()
    assert np.all(oracle >= np.nan_to_num(sums, nan=-1).max(axis=1) - 1e-12)
    retired = [e for e in cache.events if e["event"] == "retired"]
    assert retired and all(e["reason"] == "max_arms" for e in retired)


def test_each_version_predicts_its_rows_once_through_the_serving_hook():
    X, y, bounds = stream()
    calls = []

    def hook(version, X_rows, chunks):
        calls.append((version.id, len(X_rows), tuple(np.unique(chunks))))
        if version.id == "logreg@4":
            X_rows = X_rows.assign(x=X_rows["x"] * -1.0)  # a broken serving input
        return X_rows

    cache = build_prediction_cache(
        X, y, bounds, reward=make_reward("accuracy"), pool=POOL, serving_hook=hook
    )
    assert len(calls) == len(cache.versions)
    assert len({c[0] for c in calls}) == len(calls)
    live_rows = {
        v.id: int(cache.chunk_sizes()[cache.live[:, i]].sum()) for i, v in enumerate(cache.versions)
    }
    assert {c[0]: c[1] for c in calls} == live_rows
    broken = next(i for i, v in enumerate(cache.versions) if v.id == "logreg@4")
    healthy = next(i for i, v in enumerate(cache.versions) if v.id == "logreg@2")
    assert np.nanmean(cache.rewards[broken]) < 0.5 < np.nanmean(cache.rewards[healthy])


def test_single_class_window_skips_the_release_and_keeps_serving():
    X, y, bounds = stream()
    y = y.copy()
    y[450:1050] = 0  # chunks 3..6 hold one class only: the release at 6 trains on 3..5
    cache = build_prediction_cache(X, y, bounds, reward=make_reward("accuracy"), pool=POOL)
    skipped = [e for e in cache.events if e["event"] == "skipped"]
    assert {e["chunk"] for e in skipped} == {6}
    assert all("0 positives" in e["reason"] or "positives" in e["reason"] for e in skipped)
    assert not any(v.created_at == 6 for v in cache.versions)
    assert cache.live.any(axis=1).all()  # every scored chunk still has live arms


def test_save_and_load_round_trip(tmp_path):
    X, y, bounds = stream()
    cache = build_prediction_cache(
        X, y, bounds, reward=make_reward("accuracy"), pool=POOL, info={"dataset": "synthetic"}
    )
    path = cache.save(tmp_path / "cache.npz")
    loaded = PredictionCache.load(path)
    assert loaded.digest() == cache.digest()
    assert loaded.info == {"dataset": "synthetic"}
    assert [v.id for v in loaded.versions] == [v.id for v in cache.versions]
    (tmp_path / "bad.npz").write_bytes(b"not a cache")
    with pytest.raises(ResultsError, match="not a readable prediction cache"):
        PredictionCache.load(tmp_path / "bad.npz")


def test_models_are_detached_unless_kept():
    X, y, bounds = stream()
    cache = build_prediction_cache(X, y, bounds, reward=make_reward("accuracy"), pool=POOL)
    assert all(v.pipeline is None for v in cache.versions)
    kept = build_prediction_cache(
        X, y, bounds, reward=make_reward("accuracy"), pool=POOL, keep_models=True
    )
    v = kept.versions[0]
    rows = kept.chunk_slice(0)
    np.testing.assert_array_equal(v.predict(X.iloc[300:450]), kept.predictions[0, rows])
