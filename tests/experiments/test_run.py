"""Running experiments: results, resumability (by counters), backends agree, bad dirs."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from banditops.errors import ConfigError, ResultsError
from banditops.simulation.experiment import Store, load_results, run_experiment


def _texts(out: Path) -> dict[str, str]:
    return {
        str(p.relative_to(out)): p.read_text()
        for p in sorted(out.glob("results/*/*"))
        if p.suffix in (".json", ".csv")
    } | {"experiment.json": (out / "experiment.json").read_text()}


def test_first_run_computes_everything(tiny_run) -> None:
    stats = tiny_run.stats
    assert (stats.caches_computed, stats.caches_reused) == (1, 0)
    assert (stats.cells_computed, stats.cells_reused) == (8, 0)
    out = tiny_run.out_dir
    index = json.loads((out / "experiment.json").read_text())
    assert [g["name"] for g in index["groups"]] == ["vehicle-claims--none"]
    results = json.loads((out / "results/vehicle-claims--none/results.json").read_text())
    assert list(results["strategies"]) == sorted(
        ["naive", "epsilon-greedy(epsilon=0.1)", "epsilon-greedy(epsilon=0.3)", "thompson"]
    )
    assert results["seeds"] == [0, 1]
    for entry in results["strategies"].values():
        assert [s["seed"] for s in entry["per_seed"]] == [0, 1]
        assert entry["served_rows"] == results["scored_rows"]
        assert entry["mean_reward"] <= results["oracle"]["mean_reward"] + 1e-12
    assert (out / "spec.toml").read_text().startswith("\nname = ")


def test_rerun_recomputes_nothing(tiny_run) -> None:
    before = _texts(tiny_run.out_dir)
    again = run_experiment(tiny_run.spec, tiny_run.out_dir, workers=1)
    assert again.stats.caches_computed == again.stats.cells_computed == 0
    assert (again.stats.caches_reused, again.stats.cells_reused) == (1, 8)
    assert _texts(tiny_run.out_dir) == before


def test_partial_resume_computes_only_the_missing(tiny_run, tmp_path: Path, make_tiny_spec) -> None:
    # a grown grid over the same store: one more seed and one more strategy
    store = tmp_path / "store"
    shutil.copytree(tiny_run.out_dir / "store", store)
    spec = make_tiny_spec(
        **{
            "seeds = 2": "seeds = 3",
            "[strategies.thompson]": "[strategies.thompson]\n[strategies.ucb]",
        }
    )
    run = run_experiment(spec, tmp_path / "grown", store=store, workers=1)
    # old: 4 strategies x 2 seeds reused; new: 4 x seed 2 and ucb x 3 seeds
    assert (run.stats.caches_computed, run.stats.caches_reused) == (0, 1)
    assert (run.stats.cells_reused, run.stats.cells_computed) == (8, 4 + 3)
    old = load_results(tiny_run.out_dir).groups["vehicle-claims--none"]
    new = load_results(tmp_path / "grown").groups["vehicle-claims--none"]
    for label, entry in old["strategies"].items():
        assert new["strategies"][label]["per_seed"][:2] == entry["per_seed"]


def test_a_lost_cell_is_recomputed_identically(tiny_run, tmp_path: Path) -> None:
    out = tmp_path / "copy"
    shutil.copytree(tiny_run.out_dir, out)
    cells = sorted((out / "store" / "cells").glob("*/*.json"))
    cells[0].unlink()
    cells[1].write_text("{not json")
    run = run_experiment(tiny_run.spec, out, workers=1)
    assert (run.stats.cells_computed, run.stats.cells_reused) == (2, 6)
    assert _texts(out) == _texts(tiny_run.out_dir)


def test_local_processes_match_in_process(tiny_run, tmp_path: Path) -> None:
    run = run_experiment(tiny_run.spec, tmp_path / "procs", workers=2)
    assert (run.stats.caches_computed, run.stats.cells_computed) == (1, 8)
    assert _texts(tmp_path / "procs") == _texts(tiny_run.out_dir)


@pytest.mark.ray
def test_ray_matches_local(tiny_run, tmp_path: Path, ray_session) -> None:
    run = run_experiment(tiny_run.spec, tmp_path / "ray", backend="ray")
    assert (run.stats.caches_computed, run.stats.cells_computed) == (1, 8)
    assert _texts(tmp_path / "ray") == _texts(tiny_run.out_dir)


def test_unknown_backend(tiny_run, tmp_path: Path) -> None:
    # everything is in the store: no backend is needed, so point at an empty store
    with pytest.raises(ConfigError, match="unknown backend 'spark'"):
        run_experiment(tiny_run.spec, tmp_path / "x", backend="spark")


def test_store_round_trip(tmp_path: Path) -> None:
    store = Store(tmp_path)
    assert store.get_cell("00" * 32) is None
    store.put_cell("00" * 32, {"seed": 1, "x": [1.5]})
    assert store.get_cell("00" * 32) == {"seed": 1, "x": [1.5]}


def test_incompatible_results_directories(tiny_run, tmp_path: Path) -> None:
    out = tmp_path / "old"
    shutil.copytree(tiny_run.out_dir, out, ignore=shutil.ignore_patterns("store"))
    index_path = out / "experiment.json"
    index = json.loads(index_path.read_text())
    index["format"] = 99
    index_path.write_text(json.dumps(index))
    with pytest.raises(ResultsError, match=r"experiment\.json: experiment format 99"):
        load_results(out)
    index["format"] = 1
    index_path.write_text(json.dumps(index))
    results_path = out / "results/vehicle-claims--none/results.json"
    results = json.loads(results_path.read_text())
    results["format"] = 0
    results_path.write_text(json.dumps(results))
    with pytest.raises(ResultsError, match=r"vehicle-claims--none/results\.json: results format 0"):
        load_results(out)
    with pytest.raises(ResultsError, match="no such results directory"):
        load_results(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ResultsError, match="not a results directory"):
        load_results(tmp_path / "empty")
