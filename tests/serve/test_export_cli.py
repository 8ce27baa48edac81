"""`banditops export-model`: the exported version decides exactly as in the replay."""

import json

import numpy as np

from banditops.cli import main
from banditops.data.datasets import load_dataset
from banditops.data.stream import make_stream
from banditops.models.pool import PoolConfig
from banditops.serve.artifacts import load_model
from banditops.simulation.simulate import SimulationConfig, prepare_cache

ARGS = [
    "--chunk-size",
    "2000",
    "--warmup-chunks",
    "2",
    "--retrain-every",
    "3",
    "--train-window",
    "4",
]


def test_exported_replay_version_matches_the_prediction_cache(shared_data_dir, tmp_path, capsys):
    out = tmp_path / "models" / "logreg@5.skops"
    code = main(
        [
            "export-model",
            "--dataset",
            "vehicle-claims",
            "--version",
            "logreg@5",
            "--out",
            str(out),
            "--data-dir",
            str(shared_data_dir),
            *ARGS,
        ]
    )
    assert code == 0, capsys.readouterr().err
    sidecar = json.loads(out.with_suffix(".json").read_text())
    assert sidecar["id"] == "logreg@5" and sidecar["dataset"] == "vehicle-claims"
    assert sidecar["reward"] == "cost" and sidecar["threshold"] < 0.5
    model = load_model(out, trusted_dirs=[tmp_path])

    config = SimulationConfig(
        dataset="vehicle-claims",
        strategies=["naive"],
        chunk_size=2000,
        pool=PoolConfig(families=("logreg",), warmup_chunks=2, retrain_every=3, train_window=4),
        data_dir=str(shared_data_dir),
    )
    cache, _ = prepare_cache(config)
    v = next(i for i, ver in enumerate(cache.versions) if ver.id == "logreg@5")
    stream = make_stream(load_dataset("vehicle-claims", data_dir=shared_data_dir), chunk_size=2000)
    offset = int(stream.bounds[cache.first_chunk])
    live = np.flatnonzero(cache.predictions[v] >= 0)
    labels, _ = model.predict(stream.X.iloc[offset + live])
    np.testing.assert_array_equal(labels, cache.predictions[v, live])
    assert sidecar["threshold"] == cache.versions[v].threshold


def test_export_model_errors(shared_data_dir, tmp_path, capsys):
    base = [
        "export-model",
        "--dataset",
        "vehicle-claims",
        "--data-dir",
        str(shared_data_dir),
        "--out",
        str(tmp_path / "m.skops"),
        *ARGS,
    ]
    assert main([*base, "--version", "logreg@4"]) == 2
    assert "releases versions at chunks [2, 5]" in capsys.readouterr().err
    assert main([*base, "--version", "svm@5"]) == 2
    assert "FAMILY@CHUNK" in capsys.readouterr().err
    assert main(["export-model", "--dataset", "adult"]) == 2
    assert "--version" in capsys.readouterr().err
