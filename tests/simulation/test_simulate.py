"""The main job end to end on the real datasets (small configurations), and its results."""

import json
import math

import numpy as np
import pytest

from banditops.errors import ConfigError
from banditops.models.pool import PoolConfig
from banditops.simulation.simulate import (
    DEFAULT_STRATEGIES,
    SimulationConfig,
    dumps_results,
    simulate,
    summary_json,
    write_results,
)

SMALL_POOL = PoolConfig(
    families=("logreg", "naive-bayes"), warmup_chunks=2, retrain_every=3, train_window=4, max_arms=4
)


def check_invariants(results):
    oracle = results["oracle"]["mean_reward"]
    assert set(results["strategies"]) == set(DEFAULT_STRATEGIES)
    for name, s in results["strategies"].items():
        assert s["served_rows"] == results["scored_rows"], name
        for run in s["per_seed"]:
            assert run["served_rows"] == results["scored_rows"], name
            assert run["regret"] >= 0, name
            assert run["mean_reward"] <= oracle + 1e-12, name
            traffic = sum(sum(chunk.values()) for chunk in run["chunks"]["traffic"])
            assert traffic == results["scored_rows"]
            for chunk, live in zip(run["chunks"]["traffic"], results["live"], strict=True):
                assert set(chunk) <= set(live), name  # only live versions serve
        lo, hi = s["ci95"]
        assert lo <= s["mean_reward"] <= hi


@pytest.fixture(scope="module")
def adult_results(shared_data_dir):
    config = SimulationConfig(
        dataset="adult", seeds=2, chunk_size=4000, pool=SMALL_POOL, data_dir=str(shared_data_dir)
    )
    return config, simulate(config)


def test_adult_small_run(adult_results):
    config, results = adult_results
    assert results["rows"] == 48842 and results["chunks"] == 13
    assert results["scored_chunks"] == 11 and results["seeds"] == [0, 1]
    assert results["data"]["reward"]["name"] == "accuracy"
    check_invariants(results)
    assert results["config"] == json.loads(json.dumps(config.to_dict()))
    # census income: every served model is well above the 76 % majority baseline
    for s in results["strategies"].values():
        assert s["metrics"]["accuracy"] > 0.78


def test_same_seed_gives_byte_identical_results_json(adult_results, tmp_path):
    config, first = adult_results
    second = simulate(config)
    assert dumps_results(first) == dumps_results(second)
    paths_a = write_results(first, tmp_path / "a")
    paths_b = write_results(second, tmp_path / "b")
    assert paths_a["results"].read_bytes() == paths_b["results"].read_bytes()
    assert paths_a["summary"].read_bytes() == paths_b["summary"].read_bytes()
    header = paths_a["summary"].read_text().splitlines()[0].split(",")
    assert header[:4] == ["strategy", "mean_reward", "ci95_low", "ci95_high"]


def test_vehicle_claims_small_run_uses_cost_reward_and_tuned_thresholds(shared_data_dir):
    config = SimulationConfig(
        dataset="vehicle-claims",
        seeds=2,
        chunk_size=2000,
        pool=SMALL_POOL,
        data_dir=str(shared_data_dir),
    )
    results = simulate(config)
    assert results["rows"] == 15420 and results["chunks"] == 8
    assert results["data"]["reward"]["name"] == "cost"
    assert results["data"]["reward"]["cost_ratio"] == 10.0
    check_invariants(results)
    base = results["baselines"]
    assert 0.9 < base["never_flag"] < 1 and base["always_flag"] < base["never_flag"]
    for v in results["versions"]:
        assert 0 <= v["live_reward"] <= 1 and v["live_rows"] > 0
    thresholds = [v["threshold"] for v in results["versions"]]
    assert all(t < 0.5 for t in thresholds if not math.isclose(t, 0.5))
    assert any(t < 0.3 for t in thresholds)
    summary = summary_json(results)
    json.dumps(summary, allow_nan=False)  # NaN never reaches JSON
    for s in summary["strategies"].values():
        assert set(s["metrics"]) == {"accuracy", "precision", "recall", "f1", "balanced_accuracy"}


def test_configuration_errors_before_any_work():
    with pytest.raises(ConfigError, match="unknown strategy 'greedy'"):
        SimulationConfig(dataset="adult", strategies=["greedy"])
    with pytest.raises(ConfigError, match="epsilon"):
        SimulationConfig(
            dataset="adult",
            strategies=["epsilon-greedy"],
            strategy_params={"epsilon-greedy": {"epsilon": 3}},
        )
    with pytest.raises(ConfigError, match="not in the run"):
        SimulationConfig(
            dataset="adult", strategies=["ucb"], strategy_params={"thompson": {"prior_alpha": 2}}
        )
    with pytest.raises(ConfigError, match="seeds"):
        SimulationConfig(dataset="adult", seeds=0)
    with pytest.raises(ConfigError, match="unknown dataset"):
        simulate(SimulationConfig(dataset="census"))


def test_chunk_size_larger_than_the_data(shared_data_dir):
    config = SimulationConfig(
        dataset="vehicle-claims", chunk_size=20000, data_dir=str(shared_data_dir)
    )
    with pytest.raises(ConfigError, match="15420"):
        simulate(config)
    too_few = SimulationConfig(
        dataset="vehicle-claims", chunk_size=8000, pool=SMALL_POOL, data_dir=str(shared_data_dir)
    )
    with pytest.raises(ConfigError, match="leaves none to score"):
        simulate(too_few)


def test_single_class_scored_chunk_is_served_and_its_metrics_stay_defined():
    from banditops.metrics import classification_metrics
    from banditops.rewards import make_reward
    from banditops.simulation.cache import build_prediction_cache
    from banditops.simulation.simulate import StrategySpec, run_replays

    rng = np.random.default_rng(2)
    import pandas as pd

    X = pd.DataFrame({"x": rng.normal(size=1000)})
    y = (X["x"] > 0).astype(np.int8).to_numpy().copy()
    y[800:] = 0  # the last chunk has no positive at all
    cache = build_prediction_cache(
        X,
        y,
        np.arange(0, 1001, 200),
        reward=make_reward("cost"),
        pool=PoolConfig(families=("logreg",), warmup_chunks=2),
    )
    out = run_replays(cache, [StrategySpec("thompson", "thompson")], [0])
    run = out["thompson"]["per_seed"][0]
    assert run["served_rows"] == 600
    last = cache.chunk_slice(2)
    m = classification_metrics(
        np.bincount(cache.y[last] * 2 + cache.predictions[0, last], minlength=4)
    )
    assert math.isnan(m.values["recall"]) and "no positive labels" in m.undefined["recall"]
    assert not math.isnan(run["metrics"]["recall"])  # pooled over chunks it is defined


@pytest.mark.slow
@pytest.mark.parametrize("dataset", ["adult", "vehicle-claims"])
def test_main_job_with_defaults(dataset, shared_data_dir):
    results = simulate(SimulationConfig(dataset=dataset, data_dir=str(shared_data_dir)))
    check_invariants(results)
    assert len(results["seeds"]) == 5


def test_forests_and_boosting_are_reproducible_to_the_byte(shared_data_dir):
    # a forest summing its trees on two threads would change the last digits of its
    # probabilities, and so its tuned threshold, from run to run
    config = SimulationConfig(
        dataset="vehicle-claims",
        strategies=["thompson"],
        seeds=1,
        chunk_size=2000,
        pool=PoolConfig(
            families=("random-forest",), warmup_chunks=2, retrain_every=3, train_window=4
        ),
        data_dir=str(shared_data_dir),
    )
    first, second = simulate(config), simulate(config)
    assert first["cache_digest"] == second["cache_digest"]
    assert dumps_results(first) == dumps_results(second)


def test_baselines_do_not_depend_on_the_order_of_the_reward_table():
    from banditops.simulation.replay import toy_cache
    from banditops.simulation.simulate import reward_of_constant

    cache = toy_cache()
    table = {"tn": 1.0, "fp": 0.9, "fn": 0.0, "tp": 1.0}
    cache.info["reward"] = {"table": table}
    expected = reward_of_constant(cache, 0)
    assert expected == pytest.approx(np.mean([0.0, 0.0, 1.0, 1.0] * 2))  # y = 1 1 0 0
    cache.info["reward"] = {"table": dict(sorted(table.items()))}  # as JSON with sorted keys
    assert reward_of_constant(cache, 0) == expected
    assert reward_of_constant(cache, 1) == pytest.approx(np.mean([1.0, 1.0, 0.9, 0.9]))
