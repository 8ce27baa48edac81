"""Stream order and chunking: how a dataset becomes a sequence of chunks of traffic.

The stream order of each dataset is fixed by its registry entry
(:attr:`~banditops.data.datasets.DatasetSpec.stream_order`):

* ``adult``: a **seeded permutation**, ``numpy.random.default_rng(seed).permutation(n)``. Its
  file order (the UCI train file, then the test file) has no time meaning, so replaying it in
  file order would only replay an arbitrary split; every seed gives a different, reproducible
  stream, and averaging over seeds averages over orders.
* ``vehicle-claims``, ``creditcard``, ``elec2``: **file order**, which is time order (claim
  order, transaction time, half-hours); the seed is ignored.

``order_by=<column>`` replaces either with a stable sort on that feature column (ascending,
missing values last), ties broken in seeded-permutation order: a reproducible covariate-shift
stream for any dataset (e.g. ``order_by="age"`` on adult).

The stream is then cut into chunks of ``chunk_size`` consecutive rows by :func:`chunk_bounds`;
the last chunk may be smaller, never empty.

Examples
--------
>>> chunk_bounds(10, 4).tolist()
[0, 4, 8, 10]
"""

from __future__ import annotations

import dataclasses
import operator

import numpy as np
import pandas as pd

from banditops.data.datasets import FILE_ORDER, SEEDED_PERMUTATION, Dataset
from banditops.errors import ConfigError

__all__ = ["Stream", "chunk_bounds", "make_stream", "stream_order"]


def _as_int(value: object, name: str) -> int:
    if isinstance(value, bool):
        raise ConfigError(f"{name} must be an integer, got {value!r}")
    try:
        return operator.index(value)  # type: ignore[arg-type]
    except TypeError:
        raise ConfigError(f"{name} must be an integer, got {value!r}") from None


def _seed(seed: object) -> int:
    value = _as_int(seed, "seed")
    if value < 0:
        raise ConfigError(f"seed must be a non-negative integer, got {value}")
    return value


def stream_order(dataset: Dataset, *, seed: int = 0, order_by: str | None = None) -> np.ndarray:
    """Return the row indices of ``dataset`` in stream order.

    Parameters
    ----------
    dataset : Dataset
        A loaded dataset (rows in file order).
    seed : int, default 0
        Seed of the permutation (non-negative). Ignored for file-order datasets unless
        ``order_by`` is given, where it breaks ties.
    order_by : str, optional
        A column of ``dataset.X``: sort the rows by it (stable, ascending, missing values last;
        categorical columns by category order), ties in seeded-permutation order.

    Returns
    -------
    numpy.ndarray
        int64 indices, a permutation of ``range(dataset.n_rows)``.

    Raises
    ------
    ConfigError
        ``order_by`` is not a column of ``X``, or ``seed`` is not a non-negative integer.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from banditops.data.datasets import DATASETS, Dataset
    >>> X = pd.DataFrame({"age": [40, 20, 30, 20]})
    >>> y = np.array([0, 1, 0, 1])
    >>> claims = Dataset("vehicle-claims", X, y, DATASETS["vehicle-claims"])
    >>> stream_order(claims, seed=7).tolist()
    [0, 1, 2, 3]
    >>> adult = Dataset("adult", X, y, DATASETS["adult"])
    >>> np.array_equal(stream_order(adult, seed=1), stream_order(adult, seed=1))
    True
    >>> sorted(stream_order(adult, seed=1).tolist())
    [0, 1, 2, 3]
    >>> order = stream_order(adult, seed=1, order_by="age")
    >>> X["age"].to_numpy()[order].tolist()
    [20, 20, 30, 40]
    """
    seed = _seed(seed)
    n_rows = dataset.n_rows
    if order_by is not None:
        if order_by not in dataset.X.columns:
            raise ConfigError(
                f"order_by={order_by!r} is not a column of dataset {dataset.name!r}; "
                f"columns: {', '.join(map(str, dataset.X.columns))}"
            )
        base = np.random.default_rng(seed).permutation(n_rows)
        values = dataset.X[order_by].iloc[base].reset_index(drop=True)
        ranks = values.sort_values(kind="stable", na_position="last").index.to_numpy()
        return base[ranks].astype(np.int64)
    order = dataset.spec.stream_order
    if order == SEEDED_PERMUTATION:
        return np.random.default_rng(seed).permutation(n_rows).astype(np.int64)
    if order == FILE_ORDER:
        return np.arange(n_rows, dtype=np.int64)
    raise ConfigError(  # pragma: no cover - DatasetSpec validates stream_order
        f"dataset {dataset.name!r} has unknown stream order {order!r}"
    )


def chunk_bounds(n_rows: int, chunk_size: int) -> np.ndarray:
    """Return the boundaries of consecutive chunks of ``chunk_size`` rows.

    Chunk ``t`` is rows ``bounds[t]:bounds[t + 1]``. Every chunk has ``chunk_size`` rows except
    possibly the last, which holds the remainder (never empty).

    Parameters
    ----------
    n_rows : int
        Rows in the stream.
    chunk_size : int
        Rows per chunk, at least 1 and at most ``n_rows``.

    Returns
    -------
    numpy.ndarray
        int64 array of shape ``(n_chunks + 1,)``, from 0 to ``n_rows``, strictly increasing.

    Raises
    ------
    ConfigError
        ``chunk_size`` < 1, or larger than ``n_rows``.

    Examples
    --------
    >>> chunk_bounds(6, 3).tolist()
    [0, 3, 6]
    >>> chunk_bounds(7, 3).tolist()
    [0, 3, 6, 7]
    >>> chunk_bounds(5, 8)
    Traceback (most recent call last):
    ...
    banditops.errors.ConfigError: chunk_size=8 is larger than the data: it has only 5 rows
    """
    n_rows = _as_int(n_rows, "n_rows")
    chunk_size = _as_int(chunk_size, "chunk_size")
    if n_rows < 0:
        raise ConfigError(f"n_rows must be non-negative, got {n_rows}")
    if chunk_size < 1:
        raise ConfigError(f"chunk_size must be at least 1, got {chunk_size}")
    if chunk_size > n_rows:
        raise ConfigError(
            f"chunk_size={chunk_size} is larger than the data: it has only {n_rows} rows"
        )
    return np.append(np.arange(0, n_rows, chunk_size, dtype=np.int64), np.int64(n_rows))


@dataclasses.dataclass
class Stream:
    """A dataset in stream order, cut into chunks.

    Parameters
    ----------
    name : str
        Dataset name.
    X : pandas.DataFrame
        Features in stream order, index ``0..n-1``.
    y : numpy.ndarray
        Labels (int8) in stream order.
    order : numpy.ndarray
        ``order[i]`` is the file row of stream row ``i``.
    bounds : numpy.ndarray
        Chunk boundaries from :func:`chunk_bounds`.
    seed : int, default 0
        The seed the order was made with (recorded for provenance).
    order_by : str or None, default None
        The column the order was sorted by, if any.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from banditops.data.datasets import DATASETS, Dataset
    >>> ds = Dataset("vehicle-claims", pd.DataFrame({"Age": [30, 41, 25, 52, 60]}),
    ...              np.array([0, 1, 0, 0, 1]), DATASETS["vehicle-claims"])
    >>> stream = make_stream(ds, chunk_size=2)
    >>> stream.n_chunks, stream.rows(2), stream.chunk_sizes.tolist()
    (3, slice(4, 5, None), [2, 2, 1])
    >>> X_t, y_t = stream.chunk(1)
    >>> X_t["Age"].tolist(), y_t.tolist()
    ([25, 52], [0, 0])
    """

    name: str
    X: pd.DataFrame
    y: np.ndarray
    order: np.ndarray
    bounds: np.ndarray
    seed: int = 0
    order_by: str | None = None

    def __post_init__(self) -> None:
        n_rows = len(self.X)
        if len(self.y) != n_rows or len(self.order) != n_rows:
            raise ConfigError(
                f"stream {self.name!r}: X, y and order must have the same length "
                f"({n_rows}, {len(self.y)}, {len(self.order)})"
            )
        bounds = np.asarray(self.bounds)
        if (
            bounds.ndim != 1
            or len(bounds) < 2
            or bounds[0] != 0
            or bounds[-1] != n_rows
            or not (np.diff(bounds) > 0).all()
        ):
            raise ConfigError(
                f"stream {self.name!r}: bounds must increase strictly from 0 to {n_rows}"
            )

    @property
    def n_rows(self) -> int:
        """Rows in the stream."""
        return len(self.X)

    @property
    def n_chunks(self) -> int:
        """Number of chunks."""
        return len(self.bounds) - 1

    @property
    def chunk_sizes(self) -> np.ndarray:
        """Rows in each chunk."""
        return np.diff(self.bounds)

    def rows(self, t: int) -> slice:
        """Return the slice of stream rows in chunk ``t`` (0-based).

        Raises
        ------
        ConfigError
            ``t`` is not in ``0..n_chunks-1``.
        """
        t = _as_int(t, "chunk index")
        if not 0 <= t < self.n_chunks:
            raise ConfigError(f"chunk index {t} out of range: the stream has {self.n_chunks}")
        return slice(int(self.bounds[t]), int(self.bounds[t + 1]))

    def chunk(self, t: int) -> tuple[pd.DataFrame, np.ndarray]:
        """Return ``(X_t, y_t)``, the features and labels of chunk ``t``."""
        rows = self.rows(t)
        return self.X.iloc[rows], self.y[rows]


def make_stream(
    dataset: Dataset,
    *,
    chunk_size: int | None = None,
    seed: int = 0,
    order_by: str | None = None,
) -> Stream:
    """Put a dataset in stream order and cut it into chunks.

    Parameters
    ----------
    dataset : Dataset
        A loaded dataset.
    chunk_size : int, optional
        Rows per chunk; the dataset's
        :attr:`~banditops.data.datasets.DatasetSpec.default_chunk_size` if None.
    seed : int, default 0
        See :func:`stream_order`.
    order_by : str, optional
        See :func:`stream_order`.

    Returns
    -------
    Stream

    Raises
    ------
    ConfigError
        Bad ``chunk_size`` (see :func:`chunk_bounds`), ``seed`` or ``order_by``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from banditops.data.datasets import DATASETS, Dataset
    >>> ds = Dataset("adult", pd.DataFrame({"age": range(2500)}), np.zeros(2500, np.int8),
    ...              DATASETS["adult"])
    >>> stream = make_stream(ds, seed=3)
    >>> stream.n_chunks, stream.chunk_sizes.tolist()
    (3, [1000, 1000, 500])
    >>> bool((stream.X["age"].to_numpy() == stream.order).all())
    True
    """
    if chunk_size is None:
        chunk_size = dataset.spec.default_chunk_size
    bounds = chunk_bounds(dataset.n_rows, chunk_size)
    order = stream_order(dataset, seed=seed, order_by=order_by)
    return Stream(
        name=dataset.name,
        X=dataset.X.iloc[order].reset_index(drop=True),
        y=dataset.y[order],
        order=order,
        bounds=bounds,
        seed=seed,
        order_by=order_by,
    )
