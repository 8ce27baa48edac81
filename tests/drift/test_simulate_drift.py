"""Drift in the main job: the engine records rollbacks, recovery and post-drift regret."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from banditops.cli import main
from banditops.errors import ConfigError
from banditops.models.pool import ModelVersion, PoolConfig
from banditops.simulation.cache import PredictionCache
from banditops.simulation.simulate import (
    SimulationConfig,
    StrategySpec,
    assemble_results,
    run_replays,
    simulate,
    split_strategy,
)


def failing_release_cache() -> PredictionCache:
    """Six scored chunks of 200 rows; ``old@0`` earns 0.9, ``new@2`` (live from chunk 2)
    earns 0.1: a broken release."""
    chunks, rows = 6, 200
    n = chunks * rows
    rng = np.random.default_rng(0)
    y = (rng.random(n) < 0.5).astype(np.int8)
    right_old = rng.random(n) < 0.9
    right_new = rng.random(n) < 0.1
    pred_old = np.where(right_old, y, 1 - y).astype(np.int8)
    pred_new = np.where(right_new, y, 1 - y).astype(np.int8)
    live = np.ones((chunks, 2), dtype=bool)
    live[:1, 1] = False  # scored chunk 0 = stream chunk 1: only old
    predictions = np.stack([pred_old, pred_new])
    rewards = (predictions == y).astype(float)
    predictions[1, :rows] = -1
    rewards[1, :rows] = np.nan
    versions = [
        ModelVersion("old", 0, (0, 1), 0.5, 0.80, 100, 50, ["x"]),
        ModelVersion("new", 2, (0, 2), 0.5, 0.95, 100, 50, ["x"]),
    ]
    return PredictionCache(
        bounds=np.arange(0, (chunks + 1) * rows + 1, rows),
        first_chunk=1,
        y=y,
        versions=versions,
        live=live,
        predictions=predictions,
        rewards=rewards,
        info={"dataset": "toy", "drift_points": [2], "broken_versions": ["new@2"]},
    )


def test_guardrail_events_and_recovery_are_recorded_per_seed() -> None:
    cache = failing_release_cache()
    specs = [
        StrategySpec("naive", "naive"),
        StrategySpec("naive+guardrail", "naive", guardrail={"min_samples": 50}),
    ]
    out = run_replays(cache, specs, [0, 1], recovery_margin=0.01, post_drift_window=3)
    naive, guarded = out["naive"], out["naive+guardrail"]
    # naive serves the broken release to the end; the guardrail rolls back after one chunk
    assert naive["broken_share"] == pytest.approx(5 / 6)
    assert naive["exit_chunks"][0]["never"] == 2
    assert (
        naive["recovery_chunks"]
        == [{"chunk": 2, "mean": None, "ci95": [None, None], "not_recovered": 2}]
        or naive["recovery_chunks"][0]["not_recovered"] == 2
    )
    assert guarded["exit_chunks"][0]["mean"] == 1.0
    assert guarded["recovery_chunks"][0]["mean"] == 1.0
    kinds = [(e["seed"], e["chunk"], e["kind"], e["version"]) for e in guarded["rollbacks_detail"]]
    assert (0, 3, "quarantine", "new@2") in kinds
    assert (0, 3, "fallback", "old@0") in kinds
    assert (0, 3, "rollback", "old@0") in kinds  # the main version went back to the older
    assert all(e["reason"] for e in guarded["rollbacks_detail"])
    assert guarded["post_drift_regret_total"] < naive["post_drift_regret_total"]
    results = assemble_results({"recovery_margin": 0.01}, cache, out, [0, 1])
    assert results["drift"]["points"] == [2]
    json.dumps(results["strategies"]["naive+guardrail"]["rollbacks_detail"])


def test_strategy_names_with_wrappers() -> None:
    assert split_strategy("ucb+shaped+guardrail") == ("ucb", True, True)
    config = SimulationConfig(
        dataset="adult",
        strategies=["thompson", "thompson+guardrail", "ucb+shaped"],
        guardrail_params={"min_samples": 50},
        shaping_params={"penalty": 2.0},
        strategy_params={"thompson+guardrail": {"prior_alpha": 2.0}},
    )
    specs = {s.label: s for s in config.strategy_specs()}
    assert specs["thompson+guardrail"].guardrail == {"min_samples": 50}
    assert specs["thompson+guardrail"].params == {"prior_alpha": 2.0}
    assert specs["ucb+shaped"].shaping == {"penalty": 2.0} and specs["ucb+shaped"].guardrail is None
    for bad in ("ucb+audit", "ucb+guardrail+guardrail"):
        with pytest.raises(ConfigError, match="guardrail"):
            SimulationConfig(dataset="adult", strategies=[bad])
    with pytest.raises(ConfigError, match="min_samples"):
        SimulationConfig(dataset="adult", strategies=["ucb+guardrail"],
                         guardrail_params={"min_samples": 1})  # fmt: skip
    with pytest.raises(ConfigError, match="seasonal"):
        SimulationConfig(dataset="adult", drift=["seasonal"])


@pytest.mark.slow
def test_skew_end_to_end_on_vehicle_claims(shared_data_dir: Path) -> None:
    config = SimulationConfig(
        dataset="vehicle-claims",
        strategies=["naive", "validation", "thompson", "change-detection+guardrail"],
        seeds=2,
        chunk_size=1500,
        pool=PoolConfig(families=("logreg",), warmup_chunks=2, retrain_every=2, max_arms=3),
        data_dir=str(shared_data_dir),
        drift=["skew:release=4,column=Age,factor=1000"],
    )
    results = simulate(config)
    assert results["drift"]["broken_versions"] == ["logreg@4"]
    assert results["drift"]["points"] == [4]
    naive = results["strategies"]["naive"]
    assert naive["broken_share"] > 0 and naive["exit_chunks"][0]["mean"] == 2.0
    for s in results["strategies"].values():
        assert len(s["post_drift_regret"]) == 1 and "rollbacks_detail" in s
        assert s["served_rows"] == results["scored_rows"]


@pytest.mark.slow
def test_cli_drift_flags(
    tmp_path: Path, shared_data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        [
            "simulate", "--dataset", "vehicle-claims", "--data-dir", str(shared_data_dir),
            "--chunk-size", "3000", "--families", "logreg", "--warmup-chunks", "2",
            "--retrain-every", "1", "--max-arms", "2", "--seeds", "2", "-q",
            "--strategies", "naive,discounted-thompson", "--guardrail",
            "--param", "guardrail.min_samples=50",
            "--drift", "prior:rate=0.2,start=3", "--out", str(tmp_path),
        ]
    )  # fmt: skip
    assert code == 0
    text = capsys.readouterr().out
    assert "drift points (chunks) [3]" in text and "naive+guardrail" in text
    results = json.loads((tmp_path / "results.json").read_text())
    assert results["config"]["drift"] == ["prior:rate=0.2,start=3"]
    assert results["strategies"]["naive+guardrail"]["guardrail"] == {"min_samples": 50}
    assert main(["simulate", "--dataset", "adult", "--drift", "prior:tilt=1"]) == 2
    assert "tilt" in capsys.readouterr().err
