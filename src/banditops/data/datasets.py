"""Registry of the real datasets: where their files live, how to verify and parse them.

Every dataset has a :class:`DatasetSpec` in :data:`DATASETS` with its source, licence, files
(each with the sha256 of its *uncompressed* content and, where one exists, a canonical URL) and
a strict parser. :func:`load_dataset` finds the files, verifies them and parses them into a
:class:`Dataset` whose rows are in file order (:mod:`banditops.data.stream` decides the stream
order).

File resolution
---------------
:func:`resolve_file` looks for each file in these directories, in this order, and takes the
first hit:

1. the explicit ``data_dir`` argument (the CLI's ``--data-dir``);
2. the directory named by the environment variable ``BANDITOPS_DATA_DIR``;
3. the user cache, :func:`cache_dir`: ``$BANDITOPS_CACHE_DIR/datasets`` if that variable is set,
   else ``platformdirs.user_cache_dir("banditops")/datasets``.

Inside each directory the candidates are, in this order::

    <dir>/<folder>/<file>        e.g. data/adult/adult.data
    <dir>/<folder>/<file>.gz     e.g. data/fraud/fraud_oracle.csv.gz
    <dir>/<file>                 a flat directory, e.g. ~/Downloads/creditcard.csv
    <dir>/<file>.gz

where ``<folder>`` is the dataset's folder (:attr:`DatasetSpec.folder`: ``adult``, ``fraud``,
``creditcard``, ``elec2``, the layout of the project's ``shared/data``). A ``.gz`` file is
decompressed on the fly, both for the checksum and for parsing. A file that is found but fails
its checksum is an error (:class:`~banditops.errors.ChecksumError`); the search does not go on to
the next directory, so a corrupt copy is never silently shadowed. If the file is in none of the
directories and has a URL, it is downloaded into the user cache (streamed to a temporary file in
the same directory, verified, then moved into place with :func:`os.replace`, which is atomic);
otherwise :class:`~banditops.errors.DatasetNotFoundError` lists every path searched.

Checksums are computed once per ``(path, mtime, size)`` in a process, so loading a dataset twice
hashes its files once.

Examples
--------
>>> sorted(DATASETS)
['adult', 'creditcard', 'elec2', 'vehicle-claims']
>>> DATASETS["adult"].default_chunk_size
1000
>>> DATASETS["vehicle-claims"].stream_order
'file order'
"""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import logging
import os
import re
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, NamedTuple

import numpy as np
import pandas as pd
import platformdirs

from banditops import __version__
from banditops.errors import ChecksumError, ConfigError, DataError, DatasetNotFoundError

__all__ = [
    "CACHE_DIR_ENV",
    "DATASETS",
    "DATA_DIR_ENV",
    "DOWNLOAD_TIMEOUT",
    "FILE_ORDER",
    "SEEDED_PERMUTATION",
    "DataFile",
    "Dataset",
    "DatasetSpec",
    "ParsedTable",
    "cache_dir",
    "content_sha256",
    "dataset_from_files",
    "load_dataset",
    "read_adult",
    "read_creditcard",
    "read_elec2",
    "read_vehicle_claims",
    "resolve_file",
    "search_dirs",
]

logger = logging.getLogger(__name__)

DATA_DIR_ENV = "BANDITOPS_DATA_DIR"
"""Environment variable naming a data directory, searched after an explicit ``data_dir``."""

CACHE_DIR_ENV = "BANDITOPS_CACHE_DIR"
"""Environment variable replacing ``platformdirs.user_cache_dir("banditops")``."""

DOWNLOAD_TIMEOUT = 60.0
"""Seconds to wait for a download's connection or next block before giving up."""

SEEDED_PERMUTATION = "seeded permutation"
"""Stream order: the rows shuffled by ``numpy.random.default_rng(seed).permutation``."""

FILE_ORDER = "file order"
"""Stream order: the rows as they are in the file(s)."""

_BLOCK = 1 << 20  # bytes read at a time when hashing or downloading


# --------------------------------------------------------------------------------------------
# Registry types
# --------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class DataFile:
    """One file of a dataset, identified by the sha256 of its uncompressed content.

    Parameters
    ----------
    name : str
        File name as it is searched for (``<name>`` or ``<name>.gz``), e.g. ``"adult.data"``.
    sha256 : str
        Hex sha256 of the uncompressed content. A gzip copy is checked after decompression,
        since different gzip builds give different bytes for the same content.
    url : str or None
        Canonical download URL of the uncompressed file, or None if it cannot be downloaded.
    size : int or None
        Uncompressed size in bytes, for information.
    alternatives : tuple of DataFile
        Other files accepted in its place when it is not in a directory (each verified against its
        own sha256), e.g. the CSV copy of the Elec2 ARFF. Alternatives are never downloaded.

    Examples
    --------
    >>> f = DATASETS["adult"].files[0]
    >>> f.name, f.size
    ('adult.data', 3974305)
    >>> f.sha256[:12]
    '5b00264637db'
    """

    name: str
    sha256: str
    url: str | None = None
    size: int | None = None
    alternatives: tuple[DataFile, ...] = ()

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[0-9a-f]{64}", self.sha256):
            raise ConfigError(
                f"DataFile {self.name!r}: sha256 must be 64 lower-case hex digits, "
                f"got {self.sha256!r}"
            )


class ParsedTable(NamedTuple):
    """What a parser returns: features, labels and, where the data have one, a clock.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> table = ParsedTable(pd.DataFrame({"a": [1, 2]}), np.array([0, 1], dtype=np.int8))
    >>> table.time is None
    True
    """

    X: pd.DataFrame
    y: np.ndarray
    time: np.ndarray | None = None


Parser = Callable[[Mapping[str, Path]], ParsedTable]
"""A parser maps ``{DataFile.name: path found}`` to a :class:`ParsedTable`."""


@dataclasses.dataclass(frozen=True)
class DatasetSpec:
    """Registry entry of one dataset.

    Parameters
    ----------
    name : str
        Registry name, e.g. ``"vehicle-claims"``.
    description : str
        One paragraph: what a row is, what the label means.
    source : str
        Citation and provenance.
    licence : str
        Licence, as far as it is established.
    files : tuple of DataFile
        The files the parser needs.
    label : str
        Name of the label column in the original files.
    positive_label : str
        What ``y == 1`` means.
    default_reward : {"accuracy", "cost"}
        Name of the dataset's default reward in :mod:`banditops.rewards`.
    default_chunk_size : int
        Default rows per chunk.
    stream_order : {"seeded permutation", "file order"}
        How :func:`banditops.data.stream.stream_order` orders the rows.
    parser : callable
        ``parser({file name: path}) -> ParsedTable``.
    folder : str
        Sub-directory of a data directory holding the files.
    obtain : str
        Where to get the files if they are missing (used in error messages).
    notes : str
        Choices made by the parser (dropped columns, names, dtypes).

    Examples
    --------
    >>> spec = DATASETS["vehicle-claims"]
    >>> spec.label, spec.default_reward, spec.default_chunk_size, spec.folder
    ('FraudFound_P', 'cost', 500, 'fraud')
    """

    name: str
    description: str
    source: str
    licence: str
    files: tuple[DataFile, ...]
    label: str
    positive_label: str
    default_reward: str
    default_chunk_size: int
    stream_order: str
    parser: Parser = dataclasses.field(repr=False, compare=False)
    folder: str = ""
    obtain: str = ""
    notes: str = ""

    def __post_init__(self) -> None:
        if self.default_reward not in ("accuracy", "cost"):
            raise ConfigError(
                f"DatasetSpec {self.name!r}: default_reward must be 'accuracy' or 'cost', "
                f"got {self.default_reward!r}"
            )
        if self.stream_order not in (SEEDED_PERMUTATION, FILE_ORDER):
            raise ConfigError(
                f"DatasetSpec {self.name!r}: stream_order must be {SEEDED_PERMUTATION!r} or "
                f"{FILE_ORDER!r}, got {self.stream_order!r}"
            )
        if not isinstance(self.default_chunk_size, int) or self.default_chunk_size < 1:
            raise ConfigError(
                f"DatasetSpec {self.name!r}: default_chunk_size must be a positive integer, "
                f"got {self.default_chunk_size!r}"
            )
        if not self.files:
            raise ConfigError(f"DatasetSpec {self.name!r}: files must not be empty")
        if not self.folder:
            object.__setattr__(self, "folder", self.name)


@dataclasses.dataclass
class Dataset:
    """A parsed dataset: features and 0/1 labels, rows in file order.

    Parameters
    ----------
    name : str
        Registry name.
    X : pandas.DataFrame
        Features only (the label and any dropped columns removed). Categorical columns have
        ``category`` dtype, numeric ones int or float; missing values are NaN.
    y : numpy.ndarray
        Labels as int8, 1 = the positive class of :attr:`DatasetSpec.positive_label`.
    spec : DatasetSpec
        The registry entry.
    files : dict of str to Path
        Where each file was found, keyed by :attr:`DataFile.name` (the registry name, even when
        a ``.gz`` copy or one of :attr:`DataFile.alternatives` was used).
    time : numpy.ndarray or None
        The data's own clock where it has one kept out of ``X`` (creditcard: ``Time``, seconds
        since the first transaction), else None.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> ds = Dataset("vehicle-claims", pd.DataFrame({"Age": [30, 41, 25]}),
    ...              np.array([0, 1, 0]), DATASETS["vehicle-claims"])
    >>> ds.n_rows, ds.y.dtype.name, float(ds.positive_rate)
    (3, 'int8', 0.3333333333333333)
    """

    name: str
    X: pd.DataFrame
    y: np.ndarray
    spec: DatasetSpec
    files: dict[str, Path] = dataclasses.field(default_factory=dict)
    time: np.ndarray | None = None

    def __post_init__(self) -> None:
        y = np.asarray(self.y)
        if y.ndim != 1 or len(y) != len(self.X):
            raise DataError(
                f"dataset {self.name!r}: y must be one label per row of X "
                f"({len(self.X)} rows), got shape {y.shape}"
            )
        if y.size and not np.isin(y, (0, 1)).all():
            raise DataError(f"dataset {self.name!r}: labels must be 0 or 1")
        self.y = y.astype(np.int8, copy=False)
        if self.time is not None and len(self.time) != len(self.X):
            raise DataError(f"dataset {self.name!r}: time must have one value per row")

    @property
    def n_rows(self) -> int:
        """Number of rows."""
        return len(self.X)

    @property
    def positive_rate(self) -> float:
        """Share of rows with ``y == 1`` (NaN for an empty dataset)."""
        return float(self.y.mean()) if self.y.size else float("nan")


# --------------------------------------------------------------------------------------------
# Checksums
# --------------------------------------------------------------------------------------------

# (resolved path, mtime_ns, size) -> sha256 of the uncompressed content
_DIGEST_CACHE: dict[tuple[str, int, int], str] = {}


def _is_gzip(path: Path) -> bool:
    return path.name.endswith(".gz")


def _hash_file(path: Path) -> str:
    digest = hashlib.sha256()
    try:
        opener = gzip.open if _is_gzip(path) else open
        with opener(path, "rb") as fh:
            while block := fh.read(_BLOCK):
                digest.update(block)
    except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
        raise DataError(f"{path}: not a valid gzip file ({exc})") from exc
    return digest.hexdigest()


def content_sha256(path: str | os.PathLike[str]) -> str:
    """Return the hex sha256 of a file's uncompressed content.

    A ``.gz`` file is decompressed while it is read (in blocks, never whole in memory). The
    result is remembered per ``(path, mtime, size)`` for the life of the process.

    Parameters
    ----------
    path : str or path-like
        The file.

    Returns
    -------
    str
        64 hex digits.

    Examples
    --------
    >>> import gzip, tempfile, pathlib
    >>> tmp = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (tmp / "a.txt").write_bytes(b"abc")
    >>> (tmp / "a.txt.gz").write_bytes(gzip.compress(b"abc")) > 0
    True
    >>> content_sha256(tmp / "a.txt") == content_sha256(tmp / "a.txt.gz")
    True
    >>> content_sha256(tmp / "a.txt")[:16]
    'ba7816bf8f01cfea'
    """
    file = Path(path)
    stat = file.stat()
    key = (str(file.resolve()), stat.st_mtime_ns, stat.st_size)
    cached = _DIGEST_CACHE.get(key)
    if cached is None:
        logger.debug("hashing %s", file)
        cached = _hash_file(file)
        _DIGEST_CACHE[key] = cached
    return cached


def _verify(path: Path, datafile: DataFile) -> None:
    actual = content_sha256(path)
    if actual != datafile.sha256:
        raise ChecksumError(
            f"checksum mismatch for {path} ({datafile.name}): expected sha256 "
            f"{datafile.sha256}, got {actual}. The file is corrupt or a different version; "
            f"delete it or replace it with the original."
        )


# --------------------------------------------------------------------------------------------
# Resolution and download
# --------------------------------------------------------------------------------------------


def cache_dir() -> Path:
    """Return the dataset cache directory (downloads go here; it is searched last).

    ``$BANDITOPS_CACHE_DIR/datasets`` if that variable is set and not empty, else
    ``platformdirs.user_cache_dir("banditops")/datasets``. The directory is not created.

    Examples
    --------
    >>> cache_dir().name
    'datasets'
    """
    root = os.environ.get(CACHE_DIR_ENV) or platformdirs.user_cache_dir("banditops")
    return Path(root) / "datasets"


def search_dirs(data_dir: str | os.PathLike[str] | None = None) -> list[Path]:
    """Return the directories searched for dataset files, in order.

    Parameters
    ----------
    data_dir : str or path-like, optional
        An explicit data directory; it must exist.

    Returns
    -------
    list of Path
        ``data_dir`` (if given), ``$BANDITOPS_DATA_DIR`` (if set), then :func:`cache_dir`.

    Raises
    ------
    ConfigError
        If ``data_dir`` is given but is not a directory.

    Examples
    --------
    >>> import tempfile
    >>> tmp = tempfile.mkdtemp()
    >>> dirs = search_dirs(tmp)
    >>> dirs[0] == Path(tmp), dirs[-1] == cache_dir()
    (True, True)
    """
    dirs: list[Path] = []
    if data_dir is not None:
        explicit = Path(data_dir).expanduser()
        if not explicit.is_dir():
            raise ConfigError(f"data_dir {str(explicit)!r} is not a directory")
        dirs.append(explicit)
    env_dir = os.environ.get(DATA_DIR_ENV)
    if env_dir:
        dirs.append(Path(env_dir).expanduser())
    dirs.append(cache_dir())
    return dirs


def _candidates(directory: Path, folder: str, name: str) -> list[Path]:
    return [
        directory / folder / name,
        directory / folder / f"{name}.gz",
        directory / name,
        directory / f"{name}.gz",
    ]


def resolve_file(
    spec: DatasetSpec,
    datafile: DataFile,
    *,
    data_dir: str | os.PathLike[str] | None = None,
    download: bool = True,
) -> Path:
    """Find (or download) one dataset file and verify its checksum.

    Parameters
    ----------
    spec : DatasetSpec
        The dataset (gives the folder name and the advice for a missing file).
    datafile : DataFile
        The file to find.
    data_dir : str or path-like, optional
        Searched first; see the module docstring for the full order and layout.
    download : bool, default True
        Download from :attr:`DataFile.url` into :func:`cache_dir` if the file is nowhere.

    Returns
    -------
    Path
        The verified file (possibly ``.gz``, or one of :attr:`DataFile.alternatives`).

    Raises
    ------
    ChecksumError
        The file found, or downloaded, does not have the expected sha256.
    DatasetNotFoundError
        The file is in no directory and cannot (or may not) be downloaded; the message lists
        every path searched and where to put the file.
    DataError
        The download failed (HTTP error, network error, timeout), or a directory (or
        other non-file) is where a candidate file would be.

    Examples
    --------
    >>> import hashlib, tempfile, pathlib
    >>> tmp = pathlib.Path(tempfile.mkdtemp())
    >>> (tmp / "toy").mkdir()
    >>> _ = (tmp / "toy" / "toy.csv").write_bytes(b"x,y\\n1,0\\n")
    >>> toy = DataFile("toy.csv", hashlib.sha256(b"x,y\\n1,0\\n").hexdigest())
    >>> spec = dataclasses.replace(DATASETS["vehicle-claims"], name="toy", folder="toy",
    ...                            files=(toy,))
    >>> resolve_file(spec, toy, data_dir=tmp, download=False) == tmp / "toy" / "toy.csv"
    True
    """
    dirs = search_dirs(data_dir)
    searched: list[Path] = []
    for directory in dirs:
        for wanted in (datafile, *datafile.alternatives):
            for candidate in _candidates(directory, spec.folder, wanted.name):
                searched.append(candidate)
                if candidate.is_file():
                    logger.debug("%s: found %s", spec.name, candidate)
                    _verify(candidate, wanted)
                    return candidate
                if candidate.exists():  # like a corrupt copy, never silently shadowed
                    _check_file(candidate)
    if datafile.url is not None and download:
        return _download(datafile, cache_dir() / spec.folder)
    raise DatasetNotFoundError(_not_found_message(spec, datafile, dirs, searched, download))


def _not_found_message(
    spec: DatasetSpec,
    datafile: DataFile,
    dirs: Sequence[Path],
    searched: Sequence[Path],
    download: bool,
) -> str:
    names = " or ".join(f"{f.name} (or {f.name}.gz)" for f in (datafile, *datafile.alternatives))
    lines = [
        f"dataset {spec.name!r}: file {datafile.name} not found. Searched, in order:",
        *(f"  {path}" for path in searched),
        f"Put {names} into {dirs[0] / spec.folder}/ (or into <dir>/{spec.folder}/ of a "
        f"directory given with data_dir / --data-dir or ${DATA_DIR_ENV}).",
        f"Its expected sha256 (of the uncompressed file) is {datafile.sha256}.",
    ]
    if datafile.url is not None and not download:
        lines.append(f"Downloading from {datafile.url} is turned off for this command.")
    if spec.obtain:
        lines.append(spec.obtain)
    return "\n".join(lines)


def _download(datafile: DataFile, target_dir: Path) -> Path:
    assert datafile.url is not None  # checked by the caller
    url = datafile.url
    if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
        raise DataError(f"refusing to download {datafile.name} from non-HTTP URL {url!r}")
    target_dir.mkdir(parents=True, exist_ok=True)
    target = target_dir / datafile.name
    logger.info("downloading %s from %s to %s", datafile.name, url, target)
    request = urllib.request.Request(url, headers={"User-Agent": f"banditops/{__version__}"})
    fd, tmp_name = tempfile.mkstemp(dir=target_dir, prefix=f".{datafile.name}.", suffix=".part")
    tmp = Path(tmp_name)
    try:
        digest = hashlib.sha256()
        n_bytes = 0
        with os.fdopen(fd, "wb") as out:
            try:
                with urllib.request.urlopen(request, timeout=DOWNLOAD_TIMEOUT) as response:
                    while block := response.read(_BLOCK):
                        digest.update(block)
                        out.write(block)
                        n_bytes += len(block)
            except urllib.error.HTTPError as exc:
                exc.close()  # it holds the response socket
                raise DataError(
                    f"download of {datafile.name} from {url} failed: HTTP {exc.code} {exc.reason}"
                ) from exc
            except urllib.error.URLError as exc:
                raise DataError(
                    f"download of {datafile.name} from {url} failed: {exc.reason}"
                ) from exc
            except OSError as exc:  # includes TimeoutError and connection resets
                raise DataError(f"download of {datafile.name} from {url} failed: {exc}") from exc
        actual = digest.hexdigest()
        if actual != datafile.sha256:
            raise ChecksumError(
                f"checksum mismatch for {datafile.name} downloaded from {url} "
                f"({n_bytes} bytes): expected sha256 {datafile.sha256}, got {actual}. "
                f"The download was deleted."
            )
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    stat = target.stat()
    _DIGEST_CACHE[(str(target.resolve()), stat.st_mtime_ns, stat.st_size)] = actual
    logger.info("downloaded %s (%d bytes, sha256 verified)", target, n_bytes)
    return target


# --------------------------------------------------------------------------------------------
# Parsing helpers
# --------------------------------------------------------------------------------------------


def _check_file(path: Path) -> Path:
    """``path`` if it is a regular file; else a :class:`DataError` saying what it is.

    Examples
    --------
    >>> import tempfile
    >>> _check_file(Path(tempfile.mkdtemp()))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    banditops.errors.DataError: ...: is a directory, not a data file
    """
    try:
        if path.is_file():
            return path
        if path.is_dir():
            raise DataError(f"{path}: is a directory, not a data file")
        if path.exists():
            raise DataError(f"{path}: not a regular file")
    except OSError as exc:  # e.g. a name too long for the file system
        raise DataError(f"{path}: cannot access the file ({exc})") from exc
    raise DatasetNotFoundError(f"{path}: no such file")


@contextmanager
def _reading(path: Path) -> Iterator[None]:
    """Turn the errors of reading (and decompressing, decoding) ``path`` into DataError."""
    try:
        yield
    except DataError:
        raise
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: not UTF-8 text ({exc})") from exc
    except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
        raise DataError(f"{path}: not a valid gzip file ({exc})") from exc
    except OSError as exc:
        raise DataError(f"{path}: cannot read the file ({exc})") from exc


@contextmanager
def _open_text(path: Path) -> Iterator[IO[str]]:
    opener = gzip.open if _is_gzip(path) else open
    with opener(path, "rt", encoding="utf-8", newline="") as fh:
        yield fh


def _read_text(path: Path) -> str:
    """The whole text of a data file (plain or ``.gz``), without a leading UTF-8 BOM."""
    _check_file(path)
    with _reading(path), _open_text(path) as fh:
        return fh.read().removeprefix("\ufeff")


class _Rows(NamedTuple):
    """Fields of the data lines of one text file, with their 1-based line numbers."""

    fields: list[list[str]]
    lines: list[int]
    path: Path


def _split_rows(
    path: Path,
    text: str,
    *,
    n_fields: int,
    first_line: int = 1,
    skip_leading: Callable[[str], bool] | None = None,
) -> _Rows:
    """Split comma-separated lines strictly: every line has ``n_fields`` fields.

    Trailing empty lines are allowed; an empty line inside the data is an error. Fields are
    stripped of surrounding spaces (Adult's ``", "`` separator).
    """
    lines = text.split("\n")
    while lines and not lines[-1].strip():
        lines.pop()
    fields: list[list[str]] = []
    numbers: list[int] = []
    started = skip_leading is None
    for number, raw in enumerate(lines, start=first_line):
        line = raw.rstrip("\r")
        if not started:
            if skip_leading is not None and skip_leading(line):
                continue
            started = True
        if not line.strip():
            raise DataError(f"{path}: line {number}: empty line inside the data")
        row = [field.strip() for field in line.split(",")]
        if len(row) != n_fields:
            raise DataError(
                f"{path}: line {number}: expected {n_fields} comma-separated fields, "
                f"found {len(row)}"
            )
        fields.append(row)
        numbers.append(number)
    if not fields:
        raise DataError(f"{path}: no data rows")
    return _Rows(fields, numbers, path)


def _where(rows: Sequence[_Rows], position: int) -> str:
    for part in rows:
        if position < len(part.lines):
            return f"{part.path}: line {part.lines[position]}"
        position -= len(part.lines)
    return "?"  # pragma: no cover - positions come from the rows themselves


def _column(rows: Sequence[_Rows], index: int) -> pd.Series:
    values = [row[index] for part in rows for row in part.fields]
    return pd.Series(values, dtype=object)


def _check_not_empty(values: pd.Series, name: str, rows: Sequence[_Rows]) -> None:
    empty = (values == "").to_numpy()
    if empty.any():
        position = int(np.argmax(empty))
        raise DataError(f"{_where(rows, position)}: empty field in column {name!r}")


def _int_column(
    values: pd.Series, name: str, rows: Sequence[_Rows], *, missing: str | None = None
) -> pd.Series:
    """Strict integers; ``missing`` marks a missing value (the column then becomes float).

    Only ASCII digits count (``\\d`` would take Arabic-Indic or fullwidth ones), and a
    value must fit in int64.
    """
    is_missing = (values == missing).to_numpy() if missing is not None else None
    ok = values.str.fullmatch(r"[+-]?[0-9]+").to_numpy(dtype=bool)
    if is_missing is not None:
        ok = ok | is_missing
    if not ok.all():
        position = int(np.argmax(~ok))
        raise DataError(
            f"{_where(rows, position)}: column {name!r}: expected an integer, "
            f"got {values.iloc[position]!r}"
        )
    digits = values.str.lstrip("+-").str.lstrip("0").str.len().to_numpy()
    for long in np.flatnonzero(digits >= 19).tolist():  # int64 has at most 19 digits
        if is_missing is None or not is_missing[long]:
            number = int(values.iloc[long])
            if not -(2**63) <= number < 2**63:
                raise DataError(
                    f"{_where(rows, long)}: column {name!r}: integer "
                    f"{values.iloc[long]!r} is out of the int64 range"
                )
    if is_missing is not None and is_missing.any():
        return pd.to_numeric(values.where(~is_missing), errors="raise").astype("float64")
    return values.astype("int64")


def _float_column(values: pd.Series, name: str, rows: Sequence[_Rows]) -> pd.Series:
    converted = pd.to_numeric(values, errors="coerce").astype("float64")
    bad = (converted.isna() | ~np.isfinite(converted)).to_numpy()
    if bad.any():
        position = int(np.argmax(bad))
        raise DataError(
            f"{_where(rows, position)}: column {name!r}: expected a finite number, "
            f"got {values.iloc[position]!r}"
        )
    return converted


def _category_column(
    values: pd.Series,
    name: str,
    rows: Sequence[_Rows],
    *,
    missing: str | None = None,
    categories: Sequence[str] | None = None,
) -> pd.Series:
    _check_not_empty(values, name, rows)
    if missing is not None:
        values = values.where(values != missing)
    if categories is not None:
        unknown = ~(values.isin(categories) | values.isna()).to_numpy()
        if unknown.any():
            position = int(np.argmax(unknown))
            raise DataError(
                f"{_where(rows, position)}: column {name!r}: unknown level "
                f"{values.iloc[position]!r} (expected one of {list(categories)})"
            )
        return values.astype(pd.CategoricalDtype(list(categories)))
    return values.astype("category")


def _label_column(
    values: pd.Series, name: str, rows: Sequence[_Rows], mapping: Mapping[str, int]
) -> np.ndarray:
    mapped = values.map(mapping)
    unknown = mapped.isna().to_numpy()
    if unknown.any():
        position = int(np.argmax(unknown))
        raise DataError(
            f"{_where(rows, position)}: unknown label {values.iloc[position]!r} in column "
            f"{name!r} (expected one of {sorted(mapping)})"
        )
    return mapped.to_numpy(dtype=np.int8)


# --------------------------------------------------------------------------------------------
# Adult
# --------------------------------------------------------------------------------------------

ADULT_COLUMNS = (
    "age",
    "workclass",
    "fnlwgt",
    "education",
    "education-num",
    "marital-status",
    "occupation",
    "relationship",
    "race",
    "sex",
    "capital-gain",
    "capital-loss",
    "hours-per-week",
    "native-country",
)
ADULT_INTEGER_COLUMNS = frozenset(
    {"age", "fnlwgt", "education-num", "capital-gain", "capital-loss", "hours-per-week"}
)
ADULT_LABELS = {"<=50K": 0, ">50K": 1, "<=50K.": 0, ">50K.": 1}


def read_adult(*paths: str | os.PathLike[str]) -> ParsedTable:
    """Parse UCI Adult files (``adult.data``, ``adult.test``; plain or ``.gz``), concatenated.

    Handles the original files' quirks: no header; ``", "`` separators; lines starting with
    ``|`` at the top of a file skipped (``adult.test``'s ``|1x3 Cross validator``); trailing empty
    lines; labels with or without a trailing dot (``>50K.``); ``?`` as a missing value. The
    feature names are those of ``adult.names`` (``education-num``, ``marital-status``, ...).
    Integer columns are int64 (float64 if a ``?`` occurs in one); the others are ``category``
    with ``?`` as NaN, categories over all files together.

    Parameters
    ----------
    *paths : str or path-like
        One or more files, parsed in the order given.

    Returns
    -------
    ParsedTable
        ``X`` with the 14 features, ``y`` = 1 for income ``>50K``.

    Raises
    ------
    DataError
        A line with other than 15 fields, an empty field or line inside the data, a
        non-integer in an integer column, or an unknown label; the message names the file and
        line.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "adult.test"
    >>> _ = path.write_text(
    ...     "|1x3 Cross validator\\n"
    ...     "25, Private, 226802, 11th, 7, Never-married, ?, Own-child, Black, Male,"
    ...     " 0, 0, 40, United-States, <=50K.\\n"
    ...     "52, Self-emp-inc, 287927, HS-grad, 9, Married-civ-spouse, Exec-managerial, Wife,"
    ...     " White, Female, 15024, 0, 40, United-States, >50K.\\n\\n")
    >>> table = read_adult(path)
    >>> table.X.shape, table.y.tolist(), table.X["occupation"].isna().tolist()
    ((2, 14), [0, 1], [True, False])
    """
    if not paths:
        raise ConfigError("read_adult needs at least one file")
    parts = [
        _split_rows(
            Path(path),
            _read_text(Path(path)),
            n_fields=len(ADULT_COLUMNS) + 1,
            skip_leading=lambda line: line.startswith("|"),
        )
        for path in paths
    ]
    columns: dict[str, pd.Series] = {}
    for index, name in enumerate(ADULT_COLUMNS):
        values = _column(parts, index)
        _check_not_empty(values, name, parts)
        if name in ADULT_INTEGER_COLUMNS:
            columns[name] = _int_column(values, name, parts, missing="?")
        else:
            columns[name] = _category_column(values, name, parts, missing="?")
    y = _label_column(_column(parts, len(ADULT_COLUMNS)), "income", parts, ADULT_LABELS)
    return ParsedTable(pd.DataFrame(columns), y)


def _parse_adult(files: Mapping[str, Path]) -> ParsedTable:
    return read_adult(files["adult.data"], files["adult.test"])


# --------------------------------------------------------------------------------------------
# Vehicle claims (fraud_oracle.csv)
# --------------------------------------------------------------------------------------------

VEHICLE_CLAIMS_COLUMNS = (
    "Month",
    "WeekOfMonth",
    "DayOfWeek",
    "Make",
    "AccidentArea",
    "DayOfWeekClaimed",
    "MonthClaimed",
    "WeekOfMonthClaimed",
    "Sex",
    "MaritalStatus",
    "Age",
    "Fault",
    "PolicyType",
    "VehicleCategory",
    "VehiclePrice",
    "FraudFound_P",
    "PolicyNumber",
    "RepNumber",
    "Deductible",
    "DriverRating",
    "Days_Policy_Accident",
    "Days_Policy_Claim",
    "PastNumberOfClaims",
    "AgeOfVehicle",
    "AgeOfPolicyHolder",
    "PoliceReportFiled",
    "WitnessPresent",
    "AgentType",
    "NumberOfSuppliments",
    "AddressChange_Claim",
    "NumberOfCars",
    "Year",
    "BasePolicy",
)
VEHICLE_CLAIMS_INTEGER_COLUMNS = frozenset(
    {
        "WeekOfMonth",
        "WeekOfMonthClaimed",
        "Age",
        "FraudFound_P",
        "PolicyNumber",
        "RepNumber",
        "Deductible",
        "DriverRating",
        "Year",
    }
)
VEHICLE_CLAIMS_DROPPED = ("PolicyNumber",)


def read_vehicle_claims(path: str | os.PathLike[str]) -> ParsedTable:
    """Parse ``fraud_oracle.csv`` (plain or ``.gz``; LF or CRLF line endings).

    The header must hold exactly the 33 expected columns (in any order). The integer columns
    (WeekOfMonth, WeekOfMonthClaimed, Age, PolicyNumber, RepNumber, Deductible, DriverRating,
    Year) become int64, the other features ``category``. The original's quirks are kept as
    they are (PolicyNumber 1517 has ``DayOfWeekClaimed = MonthClaimed = "0"``; 320 rows have
    ``Age = 0``). ``PolicyNumber`` is dropped from ``X``: it runs 1..n in file order, so it
    would hand a model the stream position. The label ``FraudFound_P`` (0/1) is ``y``.

    Parameters
    ----------
    path : str or path-like
        The csv file.

    Returns
    -------
    ParsedTable
        ``X`` with 31 features, ``y`` = 1 for a claim found to be fraud.

    Raises
    ------
    DataError
        Missing or extra columns (named), a line with a wrong number of fields, an empty
        field, a non-integer in an integer column, or a label other than 0/1.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> header = ",".join(VEHICLE_CLAIMS_COLUMNS)
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "claims.csv"
    >>> _ = path.write_text(header.replace(",BasePolicy", "") + "\\n")
    >>> read_vehicle_claims(path)
    Traceback (most recent call last):
    ...
    banditops.errors.DataError: ...: header: missing columns ['BasePolicy']...
    """
    file = Path(path)
    text = _read_text(file)
    header, _, body = text.partition("\n")
    names = [name.strip() for name in header.rstrip("\r").lstrip("\ufeff").split(",")]
    missing = [name for name in VEHICLE_CLAIMS_COLUMNS if name not in names]
    extra = [name for name in names if name not in VEHICLE_CLAIMS_COLUMNS]
    duplicated = sorted({name for name in names if names.count(name) > 1})
    if missing or extra or duplicated:
        raise DataError(
            f"{file}: header: missing columns {missing}, unexpected columns {extra}, "
            f"duplicated columns {duplicated}; expected exactly {list(VEHICLE_CLAIMS_COLUMNS)}"
        )
    parts = [_split_rows(file, body, n_fields=len(names), first_line=2)]
    columns: dict[str, pd.Series] = {}
    for name in VEHICLE_CLAIMS_COLUMNS:
        if name == "FraudFound_P" or name in VEHICLE_CLAIMS_DROPPED:
            continue
        values = _column(parts, names.index(name))
        if name in VEHICLE_CLAIMS_INTEGER_COLUMNS:
            columns[name] = _int_column(values, name, parts)
        else:
            columns[name] = _category_column(values, name, parts)
    label = _column(parts, names.index("FraudFound_P"))
    y = _label_column(label, "FraudFound_P", parts, {"0": 0, "1": 1})
    return ParsedTable(pd.DataFrame(columns), y)


def _parse_vehicle_claims(files: Mapping[str, Path]) -> ParsedTable:
    return read_vehicle_claims(files["fraud_oracle.csv"])


# --------------------------------------------------------------------------------------------
# Credit card (ULB)
# --------------------------------------------------------------------------------------------

CREDITCARD_COLUMNS = ("Time", *(f"V{i}" for i in range(1, 29)), "Amount", "Class")


def read_creditcard(path: str | os.PathLike[str]) -> ParsedTable:
    """Parse the ULB ``creditcard.csv`` (plain or ``.gz``).

    Columns ``Time, V1..V28, Amount, Class`` exactly, header and values optionally quoted as in
    the original (``"Class"``, ``"0"``). ``Time`` (seconds since the first transaction; the file
    is in Time order) is the stream clock: it is kept out of ``X`` and returned as ``time``.
    ``X`` holds ``V1..V28`` and ``Amount`` as float64; ``y`` is ``Class`` (1 = fraud).

    Parameters
    ----------
    path : str or path-like
        The csv file.

    Returns
    -------
    ParsedTable
        ``X`` (29 float columns), ``y``, ``time``.

    Raises
    ------
    DataError
        Not a readable file (missing, a directory, not UTF-8, a broken gzip), wrong columns,
        no data rows, a malformed line (wrong field count, empty or non-numeric value; named
        by line where it can be located), or a label other than 0/1.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "creditcard.csv"
    >>> header = ",".join(f'"{name}"' for name in CREDITCARD_COLUMNS)
    >>> row = ",".join(["0"] + ["0.5"] * 28 + ["149.62", '"1"'])
    >>> _ = path.write_text(header + "\\n" + row + "\\n")
    >>> table = read_creditcard(path)
    >>> table.X.shape, table.y.tolist(), table.time.tolist(), "Time" in table.X
    ((1, 29), [1], [0.0], False)
    """
    file = _check_file(Path(path))
    dtypes: dict[str, str | type] = {name: "float64" for name in CREDITCARD_COLUMNS}
    dtypes["Class"] = str
    try:
        with _reading(file):
            header = pd.read_csv(file, nrows=0).columns.tolist()
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise DataError(f"{file}: cannot read the header: {exc}") from exc
    missing = [name for name in CREDITCARD_COLUMNS if name not in header]
    extra = [name for name in header if name not in CREDITCARD_COLUMNS]
    if missing or extra or len(header) != len(CREDITCARD_COLUMNS):
        raise DataError(
            f"{file}: header: missing columns {missing}, unexpected columns {extra}; "
            f"expected exactly {list(CREDITCARD_COLUMNS)}"
        )
    try:
        with _reading(file):
            frame = pd.read_csv(file, dtype=dtypes, skip_blank_lines=False)
    except pd.errors.ParserError as exc:
        raise DataError(f"{file}: {exc}") from exc
    except DataError:
        raise
    except ValueError as exc:
        raise DataError(f"{file}: {exc}; {_locate_bad_number(file)}") from exc
    # trailing empty lines read as all-NaN rows; allow them, nothing else may be empty
    filled = frame.notna().any(axis=1).to_numpy()
    if not filled.any():
        raise DataError(f"{file}: no data rows")
    frame = frame.iloc[: int(np.flatnonzero(filled)[-1]) + 1]
    empty = frame.isna().any(axis=1).to_numpy()
    if empty.any():
        position = int(np.argmax(empty))
        raise DataError(f"{file}: line {position + 2}: empty or missing field")
    features = [name for name in CREDITCARD_COLUMNS if name not in ("Time", "Class")]
    for name in [*features, "Time"]:
        if not np.isfinite(frame[name].to_numpy()).all():
            position = int(np.argmax(~np.isfinite(frame[name].to_numpy())))
            raise DataError(f"{file}: line {position + 2}: column {name!r} is not finite")
    labels = frame["Class"].map({"0": 0, "1": 1})
    unknown = labels.isna().to_numpy()
    if unknown.any():
        position = int(np.argmax(unknown))
        raise DataError(
            f"{file}: line {position + 2}: unknown label {frame['Class'].iloc[position]!r} "
            f"in column 'Class' (expected '0' or '1')"
        )
    X = frame[features].reset_index(drop=True)
    return ParsedTable(X, labels.to_numpy(dtype=np.int8), frame["Time"].to_numpy())


def _locate_bad_number(file: Path) -> str:
    """Re-read as text to name the first non-numeric value (error path only)."""
    try:
        with _reading(file):
            frame = pd.read_csv(file, dtype=str, keep_default_na=False)
    except (DataError, ValueError) as exc:
        return f"could not locate the value ({exc})"
    for name in CREDITCARD_COLUMNS[:-1]:
        converted = pd.to_numeric(frame[name], errors="coerce")
        bad = converted.isna().to_numpy() & (frame[name] != "").to_numpy()
        if bad.any():
            position = int(np.argmax(bad))
            return f"first at line {position + 2}, column {name!r}: {frame[name].iloc[position]!r}"
    return "could not locate the value"  # pragma: no cover


def _parse_creditcard(files: Mapping[str, Path]) -> ParsedTable:
    return read_creditcard(files["creditcard.csv"])


# --------------------------------------------------------------------------------------------
# Elec2
# --------------------------------------------------------------------------------------------

ELEC2_COLUMNS = (
    "date",
    "day",
    "period",
    "nswprice",
    "nswdemand",
    "vicprice",
    "vicdemand",
    "transfer",
)
ELEC2_DAYS = ("1", "2", "3", "4", "5", "6", "7")


def _split_arff(file: Path, text: str) -> tuple[list[str], int]:
    """Return the attribute names and the index where the ``@data`` lines start."""
    lines = text.split("\n")
    attributes: list[str] = []
    for index, raw in enumerate(lines):
        line = raw.strip()
        lowered = line.lower()
        if not line or line.startswith("%") or lowered.startswith("@relation"):
            continue
        if lowered.startswith("@attribute"):
            parts = line.split(None, 2)
            if len(parts) < 3:
                raise DataError(f"{file}: line {index + 1}: malformed @attribute line")
            attributes.append(parts[1].strip("'\""))
        elif lowered == "@data":
            return attributes, index + 1
        else:
            raise DataError(f"{file}: line {index + 1}: unexpected ARFF header line {line!r}")
    raise DataError(f"{file}: no @data line in the ARFF header")


def read_elec2(path: str | os.PathLike[str]) -> ParsedTable:
    """Parse Elec2 ``elecNormNew.arff`` or its header-less CSV copy (plain or ``.gz``).

    The format is chosen by the file name (``.arff`` or ``.arff.gz`` is ARFF; anything else is
    the CSV without header). The ARFF's attributes must be ``date, day, period, nswprice,
    nswdemand, vicprice, vicdemand, transfer, class``. ``X`` keeps all eight features; ``day``
    (nominal 1..7 in the ARFF, 1 = Monday) is ``category`` with levels ``"1"``..``"7"``, the
    others float64. ``date`` stays a feature but is *not* the time: the row index is (``date``
    goes backwards 5 times). No missing values are allowed. ``y`` = 1 for ``class = UP``.

    Parameters
    ----------
    path : str or path-like
        The ARFF or CSV file.

    Returns
    -------
    ParsedTable
        ``X`` (8 columns) and ``y``.

    Raises
    ------
    DataError
        A wrong ARFF header, a line with other than 9 fields, a non-numeric or missing value,
        a day outside 1..7, or a class other than UP/DOWN.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "elecNormNew.csv"
    >>> _ = path.write_text("0,2,0,0.056443,0.439155,0.003467,0.422915,0.414912,UP\\n"
    ...                     "0,2,0.021277,0.051699,0.415055,0.003467,0.422915,0.414912,DOWN")
    >>> table = read_elec2(path)
    >>> table.X.shape, table.y.tolist(), str(table.X["day"].dtype)
    ((2, 8), [1, 0], 'category')
    """
    file = Path(path)  # _read_text checks it is a readable file
    text = _read_text(file)
    first_line = 1
    if file.name.removesuffix(".gz").lower().endswith(".arff"):
        attributes, start = _split_arff(file, text)
        expected = [*ELEC2_COLUMNS, "class"]
        if attributes != expected:
            raise DataError(f"{file}: ARFF attributes {attributes}, expected {expected}")
        text = "\n".join(text.split("\n")[start:])
        first_line = start + 1
    parts = [_split_rows(file, text, n_fields=len(ELEC2_COLUMNS) + 1, first_line=first_line)]
    columns: dict[str, pd.Series] = {}
    for index, name in enumerate(ELEC2_COLUMNS):
        values = _column(parts, index)
        if name == "day":
            columns[name] = _category_column(values, name, parts, categories=ELEC2_DAYS)
        else:
            columns[name] = _float_column(values, name, parts)
    y = _label_column(_column(parts, len(ELEC2_COLUMNS)), "class", parts, {"UP": 1, "DOWN": 0})
    return ParsedTable(pd.DataFrame(columns), y)


def _parse_elec2(files: Mapping[str, Path]) -> ParsedTable:
    return read_elec2(files["elecNormNew.arff"])


# --------------------------------------------------------------------------------------------
# The registry
# --------------------------------------------------------------------------------------------

_UCI_ADULT = "https://archive.ics.uci.edu/ml/machine-learning-databases/adult"

DATASETS: dict[str, DatasetSpec] = {
    "adult": DatasetSpec(
        name="adult",
        description=(
            "UCI Adult / Census Income: one row per person from the 1994 US Census, 14 "
            "demographic features; the label says whether income exceeds 50K USD a year. "
            "The train file (32,561 rows) then the test file (16,281 rows): 48,842 rows."
        ),
        source=(
            "Becker, B. & Kohavi, R. (1996). Adult. UCI Machine Learning Repository, dataset 2, "
            "https://doi.org/10.24432/C5XW20."
        ),
        licence="CC BY 4.0 (credit: Barry Becker & Ronny Kohavi, UCI Machine Learning Repository)",
        files=(
            DataFile(
                "adult.data",
                "5b00264637dbfec36bdeaab5676b0b309ff9eb788d63554ca0a249491c86603d",
                f"{_UCI_ADULT}/adult.data",
                3_974_305,
            ),
            DataFile(
                "adult.test",
                "a2a9044bc167a35b2361efbabec64e89d69ce82d9790d2980119aac5fd7e9c05",
                f"{_UCI_ADULT}/adult.test",
                2_003_153,
            ),
        ),
        label="income",
        positive_label="income >50K",
        default_reward="accuracy",
        default_chunk_size=1000,
        stream_order=SEEDED_PERMUTATION,
        parser=_parse_adult,
        folder="adult",
        obtain="Get adult.data and adult.test from the UCI Machine Learning Repository, dataset 2.",
        notes=(
            "Feature names as in adult.names (hyphenated: education-num, marital-status, ...). "
            "'?' is NaN (workclass, occupation, native-country). The file order is train then "
            "test with no time meaning, so the stream is a seeded permutation."
        ),
    ),
    "vehicle-claims": DatasetSpec(
        name="vehicle-claims",
        description=(
            "Vehicle insurance claim fraud (fraud_oracle.csv): 15,420 motor-insurance claims of "
            "a US insurer, January 1994 to December 1996, in claim order; 923 (5.99 %) were "
            "found to be fraud."
        ),
        source=(
            "Angoss KnowledgeSeeker / Oracle Data Mining sample data 'carclaims'; used in Phua, "
            "Alahakoon & Lee (2004), 'Minority report in fraud detection: classification of "
            "skewed data', SIGKDD Explorations 6(1). Kaggle: shivamb/vehicle-claim-fraud-detection."
        ),
        licence=(
            "Not established (Oracle/Angoss sample data, no explicit open licence): internal "
            "research and simulation only, do not redistribute."
        ),
        files=(
            DataFile(
                "fraud_oracle.csv",
                "c03b153fcb335bab985074cfec3b2b203dec6938f4832d87f709c40da2a25c12",
                None,
                3_618_563,
            ),
        ),
        label="FraudFound_P",
        positive_label="FraudFound_P = 1 (the claim was found to be fraud)",
        default_reward="cost",
        default_chunk_size=500,
        stream_order=FILE_ORDER,
        parser=_parse_vehicle_claims,
        folder="fraud",
        obtain=(
            "There is no canonical download; the project's verified copy is "
            "shared/data/fraud/fraud_oracle.csv.gz (Kaggle: shivamb/vehicle-claim-fraud-detection; "
            "comma-separated, CRLF, no BOM)."
        ),
        notes=(
            "PolicyNumber is dropped from X (it is the row order, 1..15420, and would leak the "
            "stream position). Integer columns int64, the rest category. Quirks kept: "
            "PolicyNumber 1517 has DayOfWeekClaimed = MonthClaimed = '0'; 320 rows have Age 0."
        ),
    ),
    "creditcard": DatasetSpec(
        name="creditcard",
        description=(
            "ULB / Worldline credit-card fraud detection: 284,807 card transactions of European "
            "cardholders over two days in September 2013, 492 (0.17 %) frauds; features are 28 "
            "PCA components V1..V28 and the Amount."
        ),
        source=(
            "Dal Pozzolo, A., Caelen, O., Johnson, R. A. & Bontempi, G. (2015). Calibrating "
            "probability with undersampling for unbalanced classification. IEEE SSCI. "
            "Machine Learning Group, Universite Libre de Bruxelles, and Worldline."
        ),
        licence=(
            "Reported as ODbL 1.0 (database) and DbCL 1.0 (contents) on Kaggle "
            "mlg-ulb/creditcardfraud; not verified here."
        ),
        files=(
            DataFile(
                "creditcard.csv",
                "76274b691b16a6c49d3f159c883398e03ccd6d1ee12d9d8ee38f4b4b98551a89",
                None,
                150_828_752,
            ),
        ),
        label="Class",
        positive_label="Class = 1 (fraudulent transaction)",
        default_reward="cost",
        default_chunk_size=5000,
        stream_order=FILE_ORDER,
        parser=_parse_creditcard,
        folder="creditcard",
        obtain=(
            "It is not distributed with banditops: download creditcard.csv (150,828,752 bytes) "
            "from Kaggle, https://www.kaggle.com/datasets/mlg-ulb/creditcardfraud "
            "(mlg-ulb/creditcardfraud; a login is needed), unzip it and place creditcard.csv "
            "(or a gzip of it) as described above."
        ),
        notes=(
            "Time (seconds since the first transaction) is kept out of X: it is the stream "
            "clock, available as Dataset.time. Stream order is file order, which is Time order."
        ),
    ),
    "elec2": DatasetSpec(
        name="elec2",
        description=(
            "Electricity / Elec2 (MOA elecNormNew): NSW electricity market, one row per "
            "half-hour over 944 consecutive days (45,312 rows, 42.45 % UP); the label says "
            "whether the price went up relative to its moving average over the last 24 hours."
        ),
        source=(
            "Harries, M. (1999). SPLICE-2 Comparative Evaluation: Electricity Pricing. UNSW "
            "technical report; MOA elecNormNew.arff; OpenML dataset 151 (file 2419)."
        ),
        licence=(
            "Not formally established: distributed freely for research by MOA and OpenML "
            "(OpenML's licence field reported as Public)."
        ),
        files=(
            DataFile(
                "elecNormNew.arff",
                "2d86fbc74c69a5c04bcde0119bce280dd6d8efa0115987edc75b77ccf024d7f2",
                "https://www.openml.org/data/download/2419/electricity-normalized.arff",
                3_092_013,
                alternatives=(
                    DataFile(
                        "elecNormNew.csv",
                        "fc404db78124abaef4f0c05352d190ec614a4801fe7a24736dba3b564da90126",
                        None,
                        3_091_620,
                    ),
                ),
            ),
        ),
        label="class",
        positive_label="class = UP",
        default_reward="accuracy",
        default_chunk_size=1000,
        stream_order=FILE_ORDER,
        parser=_parse_elec2,
        folder="elec2",
        obtain=(
            "Download electricity-normalized.arff from OpenML (dataset 151, file 2419) and save "
            "it as elecNormNew.arff, or use the MOA elecNormNew.arff."
        ),
        notes=(
            "All eight features kept, date included; date is not used as time (it goes "
            "backwards 5 times), the row index is. day is category '1'..'7' (1 = Monday). "
            "The header-less elecNormNew.csv is accepted in place of the ARFF."
        ),
    ),
}


def _spec(name: str) -> DatasetSpec:
    try:
        return DATASETS[name]
    except (KeyError, TypeError):
        raise ConfigError(
            f"unknown dataset {name!r}; known datasets: {', '.join(sorted(DATASETS))}"
        ) from None


def dataset_from_files(
    name: str, files: Mapping[str, str | os.PathLike[str]], *, verify: bool = True
) -> Dataset:
    """Parse a registered dataset from given file paths.

    Parameters
    ----------
    name : str
        Registry name.
    files : mapping of str to path
        ``{DataFile.name: path}`` for every file of the dataset.
    verify : bool, default True
        Check each file's sha256 against the registry. ``verify=False`` parses files that are
        not the original (e.g. a small synthetic file of the same schema, in tests);
        :func:`load_dataset` is always strict.

    Returns
    -------
    Dataset

    Raises
    ------
    ConfigError
        Unknown dataset name, or ``files`` lacks one of the dataset's files.
    ChecksumError
        ``verify`` is true and a file does not match.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "creditcard.csv"
    >>> row = ",".join(["0"] + ["0.1"] * 29 + ["0"])
    >>> _ = path.write_text(",".join(CREDITCARD_COLUMNS) + "\\n" + row + "\\n")
    >>> ds = dataset_from_files("creditcard", {"creditcard.csv": path}, verify=False)
    >>> ds.n_rows, ds.X.shape[1]
    (1, 29)
    """
    spec = _spec(name)
    paths: dict[str, Path] = {}
    for datafile in spec.files:
        if datafile.name not in files:
            raise ConfigError(
                f"dataset {name!r}: no path given for {datafile.name}; "
                f"needs {[f.name for f in spec.files]}"
            )
        path = Path(files[datafile.name])
        if verify:
            accepted = {f.name: f for f in (datafile, *datafile.alternatives)}
            wanted = accepted.get(path.name.removesuffix(".gz"), datafile)
            _verify(path, wanted)
        paths[datafile.name] = path
    table = spec.parser(paths)
    logger.info("%s: %d rows, %d features", name, len(table.X), table.X.shape[1])
    return Dataset(name=name, X=table.X, y=table.y, spec=spec, files=paths, time=table.time)


def load_dataset(
    name: str,
    *,
    data_dir: str | os.PathLike[str] | None = None,
    download: bool = True,
) -> Dataset:
    """Find, verify and parse a registered dataset.

    Parameters
    ----------
    name : str
        One of :data:`DATASETS` (``adult``, ``vehicle-claims``, ``creditcard``, ``elec2``).
    data_dir : str or path-like, optional
        Searched first (see the module docstring for the order and layout).
    download : bool, default True
        Download missing files that have a canonical URL.

    Returns
    -------
    Dataset
        Rows in file order.

    Raises
    ------
    ConfigError
        Unknown name (the message lists the known ones), or ``data_dir`` is not a directory.
    DatasetNotFoundError, ChecksumError, DataError
        See :func:`resolve_file` and the parsers.

    Examples
    --------
    >>> load_dataset("mnist")
    Traceback (most recent call last):
    ...
    banditops.errors.ConfigError: unknown dataset 'mnist'; known datasets: adult, creditcard, \
elec2, vehicle-claims
    """
    spec = _spec(name)
    files = {
        datafile.name: resolve_file(spec, datafile, data_dir=data_dir, download=download)
        for datafile in spec.files
    }
    return dataset_from_files(name, files, verify=False)  # resolve_file verified them
