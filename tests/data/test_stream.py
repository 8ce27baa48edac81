"""Stream order and chunking, on the real datasets and on small synthetic ones."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from banditops.data.datasets import DATASETS, Dataset
from banditops.data.stream import Stream, chunk_bounds, make_stream, stream_order
from banditops.errors import ConfigError


def small(name: str, n_rows: int = 12) -> Dataset:
    X = pd.DataFrame(
        {
            "age": [30, 20, 30, 40, 20, 30, 50, 20, 40, 30, 20, 60][:n_rows],
            "kind": pd.Categorical([*"abcabcabcab", None])[:n_rows],
        }
    )
    return Dataset(name, X, np.arange(n_rows) % 2, DATASETS[name])


def test_adult_is_a_seeded_permutation(adult: Dataset) -> None:
    order = stream_order(adult, seed=0)
    np.testing.assert_array_equal(order, np.random.default_rng(0).permutation(48_842))
    np.testing.assert_array_equal(order, stream_order(adult, seed=0))
    assert not np.array_equal(order, stream_order(adult, seed=1))
    np.testing.assert_array_equal(np.sort(order), np.arange(48_842))
    # the shuffle mixes the train and test files from the start
    assert 0.2 < float(np.mean(order[:1000] >= 32_561)) < 0.45


@pytest.mark.parametrize("fixture", ["vehicle_claims", "elec2"])
def test_time_ordered_datasets_keep_file_order(
    fixture: str, request: pytest.FixtureRequest
) -> None:
    dataset: Dataset = request.getfixturevalue(fixture)
    for seed in (0, 1, 123):
        np.testing.assert_array_equal(stream_order(dataset, seed=seed), np.arange(dataset.n_rows))


def test_creditcard_spec_is_file_order() -> None:
    np.testing.assert_array_equal(stream_order(small("creditcard"), seed=5), np.arange(12))


def test_order_by_sorts_stably_with_ties_in_seeded_order() -> None:
    dataset = small("vehicle-claims")
    for seed in (0, 1, 2):
        order = stream_order(dataset, seed=seed, order_by="age")
        ages = dataset.X["age"].to_numpy()[order]
        assert (np.diff(ages) >= 0).all()
        permutation = np.random.default_rng(seed).permutation(12)
        position = {row: i for i, row in enumerate(permutation)}
        for age in np.unique(ages):
            tied = order[ages == age]
            assert [position[row] for row in tied] == sorted(position[row] for row in tied)
    assert not np.array_equal(
        stream_order(dataset, seed=0, order_by="age"),
        stream_order(dataset, seed=1, order_by="age"),
    )


def test_order_by_on_real_adult_puts_missing_last(adult: Dataset) -> None:
    order = stream_order(adult, seed=0, order_by="age")
    assert (np.diff(adult.X["age"].to_numpy()[order]) >= 0).all()
    order = stream_order(adult, seed=0, order_by="workclass")
    missing = adult.X["workclass"].isna().to_numpy()[order]
    assert missing[-2_799:].all() and not missing[:-2_799].any()


def test_order_by_errors() -> None:
    dataset = small("adult")
    with pytest.raises(ConfigError, match=r"order_by='income' is not a column.*age, kind"):
        stream_order(dataset, order_by="income")
    with pytest.raises(ConfigError, match="seed must be a non-negative integer"):
        stream_order(dataset, seed=-1)
    with pytest.raises(ConfigError, match="seed must be an integer"):
        stream_order(dataset, seed=1.5)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("n_rows", "chunk_size"),
    [(1, 1), (10, 1), (10, 3), (10, 5), (10, 10), (48_842, 1000), (15_420, 500), (7, 6)],
)
def test_chunk_bounds_cover_every_row_once(n_rows: int, chunk_size: int) -> None:
    bounds = chunk_bounds(n_rows, chunk_size)
    assert bounds.dtype == np.int64
    assert bounds[0] == 0 and bounds[-1] == n_rows
    sizes = np.diff(bounds)
    assert (sizes[:-1] == chunk_size).all()
    assert 1 <= sizes[-1] <= chunk_size
    assert len(sizes) == -(-n_rows // chunk_size)
    covered = np.concatenate([np.arange(a, b) for a, b in itertools.pairwise(bounds)])
    np.testing.assert_array_equal(covered, np.arange(n_rows))


@pytest.mark.parametrize(
    ("n_rows", "chunk_size", "message"),
    [
        (10, 0, "chunk_size must be at least 1, got 0"),
        (10, -5, "chunk_size must be at least 1"),
        (10, 11, "chunk_size=11 is larger than the data: it has only 10 rows"),
        (0, 1, "it has only 0 rows"),
        (10, True, "chunk_size must be an integer"),
        (10, 2.0, "chunk_size must be an integer"),
        (10, "3", "chunk_size must be an integer"),
    ],
)
def test_chunk_bounds_errors(n_rows: int, chunk_size: object, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        chunk_bounds(n_rows, chunk_size)  # type: ignore[arg-type]


def test_chunk_bounds_accepts_numpy_integers() -> None:
    assert chunk_bounds(np.int64(5), np.int32(2)).tolist() == [0, 2, 4, 5]


def test_make_stream_on_adult_defaults(adult: Dataset) -> None:
    stream = make_stream(adult, seed=4)
    assert stream.n_chunks == 49 and stream.chunk_sizes[-1] == 842
    assert (stream.chunk_sizes[:-1] == 1000).all()
    assert stream.X.index.equals(pd.RangeIndex(48_842))
    np.testing.assert_array_equal(stream.order, stream_order(adult, seed=4))
    np.testing.assert_array_equal(stream.y, adult.y[stream.order])
    X_t, y_t = stream.chunk(48)
    expected = adult.X.iloc[stream.order[48_000:]].reset_index(drop=True)
    pd.testing.assert_frame_equal(X_t.reset_index(drop=True), expected)
    np.testing.assert_array_equal(y_t, adult.y[stream.order[48_000:]])
    assert stream.seed == 4 and stream.order_by is None and stream.name == "adult"


def test_make_stream_chunks_reassemble_the_stream(vehicle_claims: Dataset) -> None:
    stream = make_stream(vehicle_claims)
    assert stream.n_chunks == 31 and stream.chunk_sizes[-1] == 420  # 15,420 rows / 500
    parts = [stream.chunk(t) for t in range(stream.n_chunks)]
    pd.testing.assert_frame_equal(pd.concat([X for X, _ in parts]), stream.X)
    np.testing.assert_array_equal(np.concatenate([y for _, y in parts]), vehicle_claims.y)
    assert stream.rows(0) == slice(0, 500)
    with pytest.raises(ConfigError, match="chunk index 31 out of range"):
        stream.chunk(31)
    with pytest.raises(ConfigError, match="out of range"):
        stream.rows(-1)
    with pytest.raises(ConfigError, match="it has only 15420 rows"):
        make_stream(vehicle_claims, chunk_size=20_000)


def test_make_stream_order_by_and_explicit_chunk_size() -> None:
    stream = make_stream(small("elec2"), chunk_size=5, seed=3, order_by="age")
    assert stream.chunk_sizes.tolist() == [5, 5, 2]
    assert (np.diff(stream.X["age"].to_numpy()) >= 0).all()
    assert stream.order_by == "age"


def test_stream_validates_its_parts() -> None:
    X = pd.DataFrame({"a": [1, 2, 3]})
    y = np.zeros(3, np.int8)
    with pytest.raises(ConfigError, match="same length"):
        Stream("s", X, y[:2], np.arange(3), np.array([0, 3]))
    with pytest.raises(ConfigError, match="bounds must increase strictly"):
        Stream("s", X, y, np.arange(3), np.array([0, 2, 2, 3]))
