"""Fixtures of the experiment tests: a tiny real-data spec, a shared store, one Ray session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from banditops.simulation.experiment import ExperimentSpec, parse_spec, run_experiment

TINY = """
name = "tiny"
seeds = 2
chunk_size = 2000
data_dir = "{data_dir}"

[pool]
families = ["logreg", "hist-gb"]
retrain_every = 2

[datasets.vehicle-claims]

[strategies.naive]
[strategies.epsilon-greedy]
epsilon = [0.1, 0.3]
[strategies.thompson]
"""


def tiny_spec(data_dir: Path, **replace: str) -> ExperimentSpec:
    """The tiny spec (vehicle-claims, 2000-row chunks, two families, four strategies)."""
    text = TINY.format(data_dir=data_dir)
    for old, new in replace.items():
        text = text.replace(old, new)
    return parse_spec(text, source="tiny.toml")


@pytest.fixture(scope="session")
def tiny_run(shared_data_dir: Path, tmp_path_factory: pytest.TempPathFactory):
    """The tiny spec run once, in-process; its store is shared by later tests."""
    out = tmp_path_factory.mktemp("tiny")
    spec = tiny_spec(shared_data_dir)
    return run_experiment(spec, out, workers=1)


@pytest.fixture(scope="session")
def make_tiny_spec(shared_data_dir: Path):
    """``make_tiny_spec(**{old: new})``: the tiny spec with text replaced."""
    return lambda **replace: tiny_spec(shared_data_dir, **replace)


@pytest.fixture(scope="session")
def ray_session() -> Iterator[None]:
    """One local Ray session for the whole test run (2 CPUs)."""
    import ray  # in the dev extra: a missing Ray fails these tests, it never skips them

    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        yield
    finally:
        ray.shutdown()
