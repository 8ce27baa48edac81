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
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from banditops.serve.exceptions import ArtifactError

__all__ = ["SAFE_TYPES", "LoadedModel", "export_model", "load_model", "sidecar_path"]

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
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    sio.dump(version.pipeline, tmp)
    os.replace(tmp, path)
    meta = model.metadata() | {"model_file": path.name, "sha256": _sha256(path)}
    side = sidecar_path(path)
    tmp_side = side.with_name(side.name + ".tmp")
    tmp_side.write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(tmp_side, side)
    return path


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
    path = Path(path).resolve()
    _check_location(path, [Path(d) for d in trusted_dirs], allow_untrusted)
    side = sidecar_path(path)
    if not path.is_file():
        raise ArtifactError(f"model file {path} does not exist")
    if not side.is_file():
        raise ArtifactError(f"model file {path} has no metadata sidecar {side.name}")
    try:
        meta = json.loads(side.read_text(encoding="utf-8"))
        required = ["id", "family", "created_at", "threshold", "feature_columns", "sha256"]
        missing = [k for k in required if k not in meta]
        if missing:
            raise ArtifactError(f"sidecar {side} lacks {missing}")
    except (json.JSONDecodeError, UnicodeDecodeError, TypeError) as exc:
        raise ArtifactError(f"sidecar {side} is not valid JSON metadata: {exc}") from None
    digest = _sha256(path)
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
        pipeline = sio.load(path, trusted=sorted(set(untrusted)))
    elif path.suffix in (".joblib", ".pkl"):
        if not allow_pickle:
            raise ArtifactError(
                f"refusing to unpickle {path}: pickle files can run code; use skops or set "
                "[security] allow_pickle = true"
            )
        import joblib

        pipeline = joblib.load(path)
    else:
        raise ArtifactError(f"unknown model file type {path.suffix!r} (use .skops)")
    threshold = float(meta["threshold"])
    score = meta.get("validation_score")
    return LoadedModel(
        id=str(meta["id"]),
        family=str(meta["family"]),
        created_at=int(meta["created_at"]),
        validation_score=None if score is None else float(score),
        threshold=threshold,
        feature_columns=tuple(str(c) for c in meta["feature_columns"]),
        feature_dtypes={str(k): str(v) for k, v in meta.get("feature_dtypes", {}).items()},
        pipeline=pipeline,
        path=path,
        sha256=digest,
        dataset=meta.get("dataset"),
        reward=meta.get("reward"),
    )
