"""Every scenario resolves with its defaults on the real adult and vehicle-claims streams."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from banditops.data.datasets import load_dataset
from banditops.data.drift import parse_scenario, plan_drift
from banditops.data.stream import make_stream
from banditops.models.pool import PoolConfig, release_chunks


@pytest.mark.parametrize("dataset", ["adult", "vehicle-claims"])
@pytest.mark.parametrize("name", ["covariate", "prior", "concept", "skew"])
def test_each_scenario_runs_on_real_data(dataset: str, name: str, shared_data_dir: Path) -> None:
    stream = make_stream(load_dataset(dataset, data_dir=shared_data_dir))
    releases = [r.chunk for r in release_chunks(PoolConfig(), stream.n_chunks, 0)]
    plan = plan_drift([parse_scenario(name)], stream, release_chunks=releases)
    start = plan.scenarios[0]["params"]["start"]
    cut = int(stream.bounds[start])
    np.testing.assert_array_equal(plan.stream.y[:cut], stream.y[:cut])
    assert plan.points and min(plan.points) >= start
    if name == "prior":
        rates = [plan.stream.y[stream.rows(t)].mean() for t in range(start, stream.n_chunks)]
        np.testing.assert_allclose(rates, 0.5, atol=1e-3)
