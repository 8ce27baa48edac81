"""Model files the router serves: a fitted pipeline plus a JSON sidecar of metadata.

A version is written as two files: ``NAME.skops`` (the scikit-learn pipeline, persisted
with :mod:`skops.io`) and ``NAME.json`` (id, family, created_at, validation score,
decision threshold, feature columns and dtypes, dataset, reward, and the sha256 of the
model file). :func:`load_model` refuses

- a file outside the trusted directories (unless ``allow_untrusted``),
- a model file whose sha256 differs from its sidecar,
- a skops file holding a type that is neither trusted by skops nor in
  :data:`SAFE_TYPES` / the caller's ``trusted_types``,
- a pickle-based (joblib) file unless ``allow_pickle`` (unpickling runs arbitrary code).

Examples
--------
>>> import tempfile, pathlib, numpy as np, pandas as pd
>>> from types import SimpleNamespace
>>> from sklearn.linear_model import LogisticRegression
>>> X = pd.DataFrame({"x": np.linspace(-1, 1, 40)})
>>> y = (X["x"] > 0).astype(int).to_numpy()
>>> version = SimpleNamespace(id="lr@1", family="logreg", created_at=1, validation_score=0.9,
...     threshold=0.5, feature_columns=["x"], pipeline=LogisticRegression().fit(X, y))
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> path = export_model(version, folder / "lr.skops", feature_dtypes={"x": "float64"})
>>> model = load_model(path, trusted_dirs=[folder])
>>> model.id, model.threshold
('lr@1', 0.5)
>>> model.predict(pd.DataFrame({"x": [-0.9, 0.9]}))[0].tolist()
[0, 1]
>>> load_model(path, trusted_dirs=[folder / "elsewhere"])  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
banditops.serve.exceptions.ArtifactError: refusing to load ... outside the trusted directories ...
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from banditops.serve.exceptions import ArtifactError

__all__ = [
    "SAFE_TYPES",
    "LoadedModel",
    "export_model",
    "load_model",
    "prepare_output_dir",
    "sidecar_path",
    "validate_sidecar",
]

FORMAT_VERSION = 1

#: Types skops does not trust by default that the model pool's families need. Each was
#: reviewed: they are plain data holders restored from arrays, never callables.
SAFE_TYPES: frozenset[str] = frozenset(
    {
        "numpy.dtype",
        "sklearn.tree._tree.Tree",
        "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
        "sklearn._loss.link.Interval",
        "sklearn._loss.link.LogitLink",
        "sklearn._loss.link.IdentityLink",
        "sklearn._loss.loss.HalfBinomialLoss",
    }
)

_NUMERIC_KINDS = "biuf"


def sidecar_path(model_path: str | os.PathLike[str]) -> Path:
    """The metadata file that belongs to a model file (same name, ``.json``).

    Examples
    --------
    >>> sidecar_path("models/lr@3.skops").as_posix()
    'models/lr@3.json'
    """
    return Path(model_path).with_suffix(".json")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass(frozen=True)
class LoadedModel:
    """A served version: its pipeline and metadata.

    ``predict(frame)`` returns ``(labels, scores)``: the positive-class score of each row
    and the label ``score >= threshold`` (the version's decision threshold).
    """

    id: str
    family: str
    created_at: int
    validation_score: float | None
    threshold: float
    feature_columns: tuple[str, ...]
    feature_dtypes: Mapping[str, str]
    pipeline: Any = field(repr=False, compare=False)
    path: Path | None = None
    sha256: str | None = None
    dataset: str | None = None
    reward: str | None = None

    def metadata(self) -> dict[str, Any]:
        """The JSON sidecar content (without the sha256 of the model file)."""
        return {
            "format_version": FORMAT_VERSION,
            "id": self.id,
            "family": self.family,
            "created_at": self.created_at,
            "validation_score": self.validation_score,
            "threshold": self.threshold,
            "feature_columns": list(self.feature_columns),
            "feature_dtypes": dict(self.feature_dtypes),
            "dataset": self.dataset,
            "reward": self.reward,
        }

    def is_numeric(self, column: str) -> bool:
        """Whether a feature column holds numbers (else categories/strings)."""
        dtype = self.feature_dtypes.get(column, "object")
        try:
            return np.dtype(dtype).kind in _NUMERIC_KINDS
        except TypeError:
            return False

    def predict(self, frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """Labels (int8) and positive-class scores of the rows of ``frame``."""
        columns = list(self.feature_columns)
        features = frame[columns]
        if hasattr(self.pipeline, "predict_proba"):
            scores = np.asarray(self.pipeline.predict_proba(features), dtype=float)[:, 1]
        else:
            scores = np.asarray(self.pipeline.predict(features), dtype=float)
        labels = (scores >= self.threshold).astype(np.int8)
        return labels, scores


def _dtypes_of(version: Any, columns: Sequence[str], given: Mapping[str, str] | None) -> dict:
    if given is not None:
        dtypes = {str(k): str(v) for k, v in given.items()}
    elif getattr(version, "feature_dtypes", None) is not None:
        dtypes = {str(k): str(v) for k, v in version.feature_dtypes.items()}
    else:
        dtypes = {}
    missing = [c for c in columns if c not in dtypes]
    if missing:
        raise ArtifactError(
            f"no dtype for feature columns {missing}: pass feature_dtypes (e.g. from X.dtypes)"
        )
    return {c: dtypes[c] for c in columns}


def _shorten(value: Any, limit: int = 200) -> str:
    text = str(value).replace("\x00", "\\x00")
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return _shorten(exc, 120)


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _check_pipeline(pipeline: Any, columns: Sequence[str], path: Path) -> None:
    """The pipeline can score rows and expects exactly the sidecar's feature columns."""
    if not callable(getattr(pipeline, "predict_proba", None)) and not callable(
        getattr(pipeline, "predict", None)
    ):
        raise ArtifactError(f"model file {path} holds {type(pipeline).__name__}, not a model")
    fitted = getattr(pipeline, "feature_names_in_", None)
    if fitted is not None and [str(c) for c in fitted] != list(columns):
        raise ArtifactError(
            f"model file {path} was fitted on columns {_shorten(list(fitted))}, its sidecar "
            f"lists {_shorten(list(columns))}"
        )


def prepare_output_dir(folder: str | os.PathLike[str]) -> Path:
    """Create ``folder`` (and parents) for model files and check it is writable, before
    any training; :class:`ArtifactError` naming the reason otherwise."""
    folder = Path(folder)
    try:
        if folder.exists() and not folder.is_dir():
            raise ArtifactError(f"{_shorten(folder)} exists and is not a directory")
        folder.mkdir(parents=True, exist_ok=True)
        if not os.access(folder, os.W_OK | os.X_OK):
            raise ArtifactError(f"cannot write into {_shorten(folder)}: permission denied")
    except (OSError, ValueError) as exc:
        if isinstance(exc, ArtifactError):
            raise
        raise ArtifactError(f"cannot create directory {_shorten(folder)}: {_reason(exc)}") from None
    return folder


def export_model(
    version: Any,
    path: str | os.PathLike[str],
    *,
    feature_dtypes: Mapping[str, Any] | None = None,
    dataset: str | None = None,
    reward: str | None = None,
) -> Path:
    """Write a version (from the replay's model pool, or any object alike) for the router.

    Parameters
    ----------
    version : object
        With ``.pipeline`` (a fitted scikit-learn estimator with ``predict_proba``),
        ``.id``, ``.family``, ``.created_at``, ``.validation_score``, ``.threshold`` and
        ``.feature_columns``; ``.feature_dtypes``, ``.dataset`` and ``.reward`` are used
        when present.
    path : path-like
        The model file, ending in ``.skops``; the sidecar goes next to it (``.json``).
    feature_dtypes : mapping, optional
        Column -> dtype name (``X.dtypes`` works); needed unless the version has them.
    dataset, reward : str, optional
        Informational metadata (the data the version was trained on, the reward name).

    Returns
    -------
    Path
        The model file written.
    """
    import skops.io as sio

    path = Path(path)
    if path.suffix != ".skops":
        raise ArtifactError(f"export_model writes skops files; name it *.skops, got {path.name}")
    columns = [str(c) for c in version.feature_columns]
    threshold = float(version.threshold)
    if not (0.0 <= threshold <= 1.0):
        raise ArtifactError(f"threshold must lie in [0, 1], got {threshold}")
    score = version.validation_score
    score = None if score is None or not math.isfinite(float(score)) else float(score)
    model = LoadedModel(
        id=str(version.id),
        family=str(version.family),
        created_at=int(version.created_at),
        validation_score=score,
        threshold=threshold,
        feature_columns=tuple(columns),
        feature_dtypes=_dtypes_of(
            version, columns, None if feature_dtypes is None else dict(feature_dtypes)
        ),
        pipeline=version.pipeline,
        dataset=dataset if dataset is not None else getattr(version, "dataset", None),
        reward=reward if reward is not None else getattr(version, "reward", None),
    )
    # what load_model will demand, checked before anything is written
    validate_sidecar(model.metadata() | {"sha256": "0" * 64}, f"model {model.id!r}")
    side = sidecar_path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        sio.dump(version.pipeline, tmp)
        os.replace(tmp, path)
        meta = model.metadata() | {"model_file": path.name, "sha256": _sha256(path)}
        tmp_side = side.with_name(side.name + ".tmp")
        tmp_side.write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        os.replace(tmp_side, side)
    except (OSError, ValueError) as exc:
        raise ArtifactError(f"cannot write model file {_shorten(path)}: {_reason(exc)}") from None
    return path


#: Sidecar keys: required ones, then optional ones. Any other key is an error.
SIDECAR_REQUIRED = ("id", "family", "created_at", "threshold", "feature_columns",
                    "feature_dtypes", "sha256")  # fmt: skip
SIDECAR_OPTIONAL = ("format_version", "validation_score", "dataset", "reward", "model_file")
#: An id is used in URLs (``/arms/{id}/rollback``), metric labels and the ledger.
ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@:+-]{0,199}")
MAX_SIDECAR_BYTES = 1 << 20
_INT64_MAX = 2**63 - 1


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def validate_sidecar(meta: Any, where: str = "sidecar") -> dict[str, Any]:
    """Check a model sidecar strictly; the normalised metadata or :class:`ArtifactError`.

    ``id`` matches :data:`ID_PATTERN` (1-200 characters, no spaces or slashes);
    ``family`` a non-empty string of at most 100 characters; ``created_at`` an integer
    in [0, 2**63); ``threshold`` a finite number in [0, 1]; ``validation_score`` null
    or a finite number; ``feature_columns`` a non-empty list of unique non-empty
    strings; ``feature_dtypes`` an object giving exactly those columns a dtype name
    pandas knows; ``sha256`` 64 hex digits; ``format_version`` (if given) 1;
    ``dataset``, ``reward``, ``model_file`` null or strings. Unknown keys are errors.

    Examples
    --------
    >>> meta = {"id": "lr@1", "family": "logreg", "created_at": 1, "threshold": 0.5,
    ...         "feature_columns": ["x"], "feature_dtypes": {"x": "float64"},
    ...         "sha256": "0" * 64}
    >>> validate_sidecar(meta)["threshold"]
    0.5
    >>> validate_sidecar(meta | {"feature_columns": "x"})
    Traceback (most recent call last):
    ...
    banditops.serve.exceptions.ArtifactError: sidecar: feature_columns must be a non-empty list ...
    """

    def fail(message: str) -> ArtifactError:
        return ArtifactError(f"{where}: {message}")

    def shown(value: Any) -> str:
        text = repr(value)
        return text if len(text) <= 80 else text[:77] + "..."

    if not isinstance(meta, dict):
        raise fail(f"must be a JSON object, got {type(meta).__name__}")
    missing = [k for k in SIDECAR_REQUIRED if k not in meta]
    if missing:
        raise fail(f"lacks {missing}")
    unknown = sorted(str(k) for k in set(meta) - set(SIDECAR_REQUIRED) - set(SIDECAR_OPTIONAL))
    if unknown:
        raise fail(f"unknown keys {shown(unknown)}")
    if meta.get("format_version", FORMAT_VERSION) != FORMAT_VERSION or isinstance(
        meta.get("format_version"), bool
    ):
        raise fail(f"format_version must be {FORMAT_VERSION}, got {shown(meta['format_version'])}")
    arm_id = meta["id"]
    if not isinstance(arm_id, str) or not ID_PATTERN.fullmatch(arm_id):
        raise fail(
            "id must be 1-200 characters of letters, digits and . _ @ : + - (starting "
            f"with a letter or digit), got {shown(arm_id)}"
        )
    family = meta["family"]
    if not isinstance(family, str) or not family.strip() or len(family) > 100:
        raise fail(
            f"family must be a non-empty string of at most 100 characters, got {shown(family)}"
        )
    created = meta["created_at"]
    if not isinstance(created, int) or isinstance(created, bool) or not 0 <= created <= _INT64_MAX:
        raise fail(f"created_at must be an integer in [0, 2**63), got {shown(created)}")
    threshold = meta["threshold"]
    if not (_number(threshold) and math.isfinite(threshold) and 0.0 <= threshold <= 1.0):
        raise fail(f"threshold must be a finite number in [0, 1], got {shown(threshold)}")
    score = meta.get("validation_score")
    if score is not None and not (_number(score) and math.isfinite(score)):
        raise fail(f"validation_score must be null or a finite number, got {shown(score)}")
    columns = meta["feature_columns"]
    if (
        not isinstance(columns, list)
        or not columns
        or not all(isinstance(c, str) and c for c in columns)
        or len(set(columns)) != len(columns)
    ):
        raise fail(
            f"feature_columns must be a non-empty list of unique non-empty strings, got "
            f"{shown(columns)}"
        )
    dtypes = meta["feature_dtypes"]
    if not isinstance(dtypes, dict) or set(dtypes) != set(columns):
        raise fail(
            "feature_dtypes must be an object giving each feature column a dtype name, "
            f"got {shown(dtypes)}"
        )
    for column, dtype in dtypes.items():
        try:
            if not isinstance(dtype, str):
                raise TypeError(dtype)
            pd.api.types.pandas_dtype(dtype)
        except (TypeError, ValueError):
            raise fail(f"feature_dtypes[{column!r}] is not a dtype name: {shown(dtype)}") from None
    digest = meta["sha256"]
    if not isinstance(digest, str) or not re.fullmatch(r"[0-9a-f]{64}", digest):
        raise fail(f"sha256 must be 64 lowercase hex digits, got {shown(digest)}")
    for key in ("dataset", "reward", "model_file"):
        if meta.get(key) is not None and not isinstance(meta[key], str):
            raise fail(f"{key} must be null or a string, got {shown(meta[key])}")
    return {
        **meta,
        "threshold": float(threshold),
        "validation_score": None if score is None else float(score),
    }


def _check_location(path: Path, trusted_dirs: Iterable[Path], allow_untrusted: bool) -> None:
    if allow_untrusted:
        return
    trusted = [Path(d).resolve() for d in trusted_dirs]
    if not any(path.is_relative_to(d) for d in trusted):
        raise ArtifactError(
            f"refusing to load {path}: it is outside the trusted directories "
            f"{[str(d) for d in trusted]} (set allow_untrusted = true to override)"
        )


def load_model(
    path: str | os.PathLike[str],
    *,
    trusted_dirs: Iterable[str | os.PathLike[str]],
    allow_untrusted: bool = False,
    allow_pickle: bool = False,
    trusted_types: Iterable[str] = (),
) -> LoadedModel:
    """Load a model file and its sidecar, refusing anything not explicitly trusted.

    Parameters
    ----------
    path : path-like
        ``.skops`` (or ``.joblib`` with ``allow_pickle``) model file.
    trusted_dirs : iterable of path-like
        Directories model files may come from (symlinks are resolved first).
    allow_untrusted : bool
        Load from anywhere (an explicit opt-in).
    allow_pickle : bool
        Allow pickle-based joblib files (they can run arbitrary code when loaded).
    trusted_types : iterable of str
        Extra type names skops may instantiate, beyond :data:`SAFE_TYPES`.

    Raises
    ------
    ArtifactError
        Naming the file and the reason.
    """
    try:
        path = Path(path).resolve()
        _check_location(path, [Path(d) for d in trusted_dirs], allow_untrusted)
        side = sidecar_path(path)
        if not path.is_file():
            raise ArtifactError(f"model file {_shorten(path)} does not exist")
        if not side.is_file():
            raise ArtifactError(f"model file {path} has no metadata sidecar {side.name}")
        if side.stat().st_size > MAX_SIDECAR_BYTES:
            raise ArtifactError(f"sidecar {side} is larger than {MAX_SIDECAR_BYTES} bytes")
        text = side.read_text(encoding="utf-8")
        digest = _sha256(path)
    except (OSError, ValueError) as exc:  # NUL bytes, names too long, permissions, ...
        if isinstance(exc, ArtifactError):
            raise
        raise ArtifactError(f"cannot read model file {_shorten(path)}: {_reason(exc)}") from None
    try:
        raw = json.loads(text, parse_constant=_refuse_constant)
    except (json.JSONDecodeError, UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise ArtifactError(f"sidecar {side} is not valid JSON metadata: {exc}") from None
    meta = validate_sidecar(raw, f"sidecar {side}")
    if digest != meta["sha256"]:
        raise ArtifactError(
            f"model file {path} has sha256 {digest}, its sidecar says {meta['sha256']}"
        )
    if path.suffix == ".skops":
        import skops.io as sio

        allowed = SAFE_TYPES | frozenset(trusted_types)
        try:
            untrusted = sio.get_untrusted_types(file=path)
        except Exception as exc:
            raise ArtifactError(f"model file {path} is not a readable skops file: {exc}") from None
        refused = sorted(set(untrusted) - allowed)
        if refused:
            raise ArtifactError(
                f"model file {path} holds untrusted types {refused}; review them and add "
                "them to [security] trusted_types if they are safe"
            )
        try:
            pipeline = sio.load(path, trusted=sorted(set(untrusted)))
        except Exception as exc:
            raise ArtifactError(f"model file {path} cannot be loaded: {_reason(exc)}") from None
    elif path.suffix in (".joblib", ".pkl"):
        if not allow_pickle:
            raise ArtifactError(
                f"refusing to unpickle {path}: pickle files can run code; use skops or set "
                "[security] allow_pickle = true"
            )
        import joblib

        try:
            pipeline = joblib.load(path)
        except Exception as exc:
            raise ArtifactError(f"model file {path} cannot be loaded: {_reason(exc)}") from None
    else:
        raise ArtifactError(f"unknown model file type {path.suffix!r} (use .skops)")
    _check_pipeline(pipeline, meta["feature_columns"], path)
    return LoadedModel(
        id=meta["id"],
        family=meta["family"],
        created_at=meta["created_at"],
        validation_score=meta["validation_score"],
        threshold=meta["threshold"],
        feature_columns=tuple(meta["feature_columns"]),
        feature_dtypes=dict(meta["feature_dtypes"]),
        pipeline=pipeline,
        path=path,
        sha256=digest,
        dataset=meta.get("dataset"),
        reward=meta.get("reward"),
    )
