"""Reproducible drift scenarios: rewrite a stream, or what a version receives when it serves.

A scenario is written ``NAME[:key=value,...]`` (the CLI's ``--drift``, repeatable) and
parsed by :func:`parse_scenario`. There are four, with exactly these names:

``covariate``
    The inputs change, the label relation does not (categorical) or moves with them
    (numeric). On a **numeric** column the values are *replaced*:
    ``x' = mean + scale * (x - mean) + shift * std`` (``mean``/``std`` of the column before
    the start chunk), so every model, also one retrained afterwards, sees the moved values
    with the labels they had (a recalibrated sensor, a changed upstream unit for everyone).
    On a **categorical** column the rows of each affected chunk are *resampled* (whole rows,
    features and label together, with replacement, chunk size kept) with a row holding
    ``level`` ``weight`` times as likely as any other, so ``P(x)`` changes and
    ``P(y | x)`` does not. Keys: ``column`` (default: the first numeric column), ``shift``
    (in standard deviations, default 1.0), ``scale`` (default 1.0), ``level`` (default:
    the most frequent level before the start), ``weight`` (default 5.0).
``prior``
    The positive rate changes: the rows of each affected chunk are resampled by class
    (positives and negatives drawn from that chunk's own rows, without replacement while
    there are enough, else with replacement; then shuffled) so that the chunk holds
    ``round(rate_t * n)`` positives, with ``n`` the chunk size (kept) and
    ``rate_t = p_t + intensity_t * (rate - p_t)`` (``p_t`` the chunk's own rate). Key:
    ``rate`` in [0, 1] (default 0.5).
``concept``
    The label relation changes for a subgroup: rows whose ``column`` equals ``level``
    (categorical) or lies in ``[low, high)`` (numeric) get their label flipped
    (``mode=flip``, default) or set to 1 (``mode=positive``) or 0 (``mode=negative``).
    ``X`` is unchanged. Keys: ``column`` (default: the first categorical column),
    ``level`` (default: its most frequent level before the start), ``low``, ``high``.
``skew``
    Training-serving skew: the versions released at or after the start chunk (or only
    those of release ``release``, and only of family ``family`` if given) receive
    corrupted inputs when they serve, through the prediction cache's serving hook; their
    training and validation data stay clean, so their validation score looks as good as
    ever. Faults (``fault``): ``units`` (a numeric column multiplied by ``factor``, default
    1000), ``nan`` (the column arrives empty; the pipelines impute it: median for
    numerics, a missing level for categoricals), ``unseen`` (a categorical column arrives
    as a level never seen in training, ``"__unseen__"``). Keys: ``column`` (default: the
    first numeric column, or the first categorical for ``unseen``), ``fault`` (default
    ``units``), ``factor``, ``release``, ``family``.

Keys every scenario takes: ``start`` (the first affected chunk, an absolute chunk index
of the stream counting the warm-up chunks, as a version's ``created_at``; default: the
middle chunk, ``n_chunks // 2``), ``shape`` (``sudden``, default; ``gradual``: the
intensity ramps linearly to 1 over ``width`` chunks, default 5; ``recurring``: on for
``period`` chunks, off for ``period`` chunks, and so on, default 5) and ``seed``
(default 0).

The *intensity* of chunk ``t`` (0 before ``start``) is the probability that a row is
affected (covariate, concept, skew: a seeded per-row draw), or the weight of the target
rate (prior). Rows of chunks before ``start`` are never touched. Randomness comes from
``numpy.random.default_rng([seed, position of the scenario, chunk])``, so a chunk's
changes depend on nothing but its own scenario, seed and position in the list.

Scenarios compose: they apply in the order given, each to the output of the previous
one (the skew hooks chain). Unknown names, keys or values raise
:class:`~banditops.errors.ConfigError` naming them.

Drift points (recorded in results, used for recovery time and post-drift regret): the
start chunk (sudden and gradual), every switch on or off (recurring), and for skew the
chunk of each broken release.

Examples
--------
>>> import numpy as np, pandas as pd
>>> from banditops.data.stream import Stream
>>> X = pd.DataFrame({"x": np.arange(8.0), "c": pd.Categorical(list("abababab"))})
>>> stream = Stream("toy", X, np.array([0, 1] * 4, dtype=np.int8), np.arange(8),
...                 np.array([0, 2, 4, 6, 8]))
>>> plan = plan_drift([parse_scenario("concept:column=c,level=a,start=2")], stream)
>>> plan.stream.y.tolist()  # rows with c == "a" flipped from chunk 2 (row 4) on
[0, 1, 0, 1, 1, 1, 1, 1]
>>> plan.points
[2]
"""

from __future__ import annotations

import dataclasses
import math
import zlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from banditops.errors import ConfigError, DataError

__all__ = [
    "SCENARIOS",
    "SHAPES",
    "DriftPlan",
    "DriftScenario",
    "intensity",
    "parse_scenario",
    "parse_scenarios",
    "plan_drift",
]

SCENARIOS = ("covariate", "prior", "concept", "skew")
SHAPES = ("sudden", "gradual", "recurring")
FAULTS = ("units", "nan", "unseen")
MODES = ("flip", "positive", "negative")
UNSEEN_LEVEL = "__unseen__"

_COMMON = {"start": "int", "shape": "str", "width": "int", "period": "int", "seed": "int"}
_KEYS: dict[str, dict[str, str]] = {
    "covariate": {"column": "str", "shift": "float", "scale": "float", "level": "str",
                  "weight": "float"},
    "prior": {"rate": "float"},
    "concept": {"column": "str", "level": "str", "low": "float", "high": "float",
                "mode": "str"},
    "skew": {"column": "str", "fault": "str", "factor": "float", "release": "int",
             "family": "str"},
}  # fmt: skip
_DEFAULTS: dict[str, dict[str, Any]] = {
    "covariate": {"shift": 1.0, "scale": 1.0, "weight": 5.0},
    "prior": {"rate": 0.5},
    "concept": {"mode": "flip"},
    "skew": {"fault": "units", "factor": 1000.0},
}

#: ``hook(version, X_rows, chunk_of_row) -> X_rows`` (see :mod:`banditops.simulation.cache`).
Hook = Callable[[Any, pd.DataFrame, np.ndarray], pd.DataFrame]


@dataclasses.dataclass(frozen=True)
class DriftScenario:
    """One parsed scenario: its name and the keys given (typed), defaults not yet filled.

    Examples
    --------
    >>> parse_scenario("prior:rate=0.4,start=10").params
    {'rate': 0.4, 'start': 10}
    """

    name: str
    params: Mapping[str, Any]

    @property
    def spec(self) -> str:
        """The scenario as ``NAME:key=value,...`` (keys in the order given)."""
        if not self.params:
            return self.name
        return self.name + ":" + ",".join(f"{k}={v}" for k, v in self.params.items())


def _convert(name: str, key: str, kind: str, raw: str) -> Any:
    try:
        if kind == "int":
            return int(raw)
        if kind == "float":
            value = float(raw)
            if not math.isfinite(value):
                raise ValueError
            return value
    except ValueError:
        what = "an integer" if kind == "int" else "a finite number"
        raise ConfigError(f"drift scenario {name!r}: {key}={raw!r} is not {what}") from None
    if raw == "":
        raise ConfigError(f"drift scenario {name!r}: {key} is empty")
    return raw


def parse_scenario(text: str) -> DriftScenario:
    """Parse ``NAME[:key=value,...]`` into a :class:`DriftScenario`.

    Raises
    ------
    ConfigError
        An unknown scenario name, an unknown key, a malformed pair or a bad value.

    Examples
    --------
    >>> parse_scenario("skew:release=18,fault=nan").spec
    'skew:release=18,fault=nan'
    >>> parse_scenario("seasonal")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    banditops.errors.ConfigError: unknown drift scenario 'seasonal'; known: covariate, prior, ...
    >>> parse_scenario("prior:ratio=0.3")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    banditops.errors.ConfigError: drift scenario 'prior' has no key 'ratio'; accepted: rate, ...
    """
    if not isinstance(text, str):
        raise ConfigError(f"a drift scenario is a string NAME[:key=value,...], got {text!r}")
    name, _, rest = text.strip().partition(":")
    if name not in SCENARIOS:
        raise ConfigError(f"unknown drift scenario {name!r}; known: {', '.join(SCENARIOS)}")
    accepted = {**_KEYS[name], **_COMMON}
    params: dict[str, Any] = {}
    for pair in filter(None, (p.strip() for p in rest.split(","))):
        key, eq, raw = pair.partition("=")
        key = key.strip()
        if not eq:
            raise ConfigError(f"drift scenario {name!r}: expected key=value, got {pair!r}")
        if key not in accepted:
            raise ConfigError(
                f"drift scenario {name!r} has no key {key!r}; accepted: {', '.join(accepted)}"
            )
        if key in params:
            raise ConfigError(f"drift scenario {name!r}: key {key!r} given twice")
        params[key] = _convert(name, key, accepted[key], raw.strip())
    _check_values(name, params)
    return DriftScenario(name, params)


def parse_scenarios(texts: Sequence[str] | None) -> list[DriftScenario]:
    """Parse several scenario specs (``None`` or empty: no drift)."""
    if texts is None:
        return []
    if isinstance(texts, str):
        raise ConfigError("drift must be a list of scenario specs, not one string")
    return [parse_scenario(t) for t in texts]


def _check_values(name: str, p: Mapping[str, Any]) -> None:
    def bad(key: str, allowed: str) -> ConfigError:
        return ConfigError(f"drift scenario {name!r}: {key}={p[key]!r}, expected {allowed}")

    if "shape" in p and p["shape"] not in SHAPES:
        raise bad("shape", f"one of {', '.join(SHAPES)}")
    for key in ("width", "period"):
        if key in p and p[key] < 1:
            raise bad(key, "an integer >= 1")
    for key in ("start", "seed", "release"):
        if key in p and p[key] < 0:
            raise bad(key, "an integer >= 0")
    if "rate" in p and not 0.0 <= p["rate"] <= 1.0:
        raise bad("rate", "a number in [0, 1]")
    if "weight" in p and p["weight"] <= 0:
        raise bad("weight", "a number > 0")
    if "fault" in p and p["fault"] not in FAULTS:
        raise bad("fault", f"one of {', '.join(FAULTS)}")
    if "mode" in p and p["mode"] not in MODES:
        raise bad("mode", f"one of {', '.join(MODES)}")
    if "level" in p and ("low" in p or "high" in p):
        raise ConfigError(f"drift scenario {name!r}: give level or low/high, not both")
    if "low" in p and "high" in p and p["low"] >= p["high"]:
        raise bad("low", f"a number below high={p['high']}")
    if name == "covariate" and "level" in p and ("shift" in p or "scale" in p):
        raise ConfigError(
            "drift scenario 'covariate': level/weight re-weight a categorical column, "
            "shift/scale move a numeric one; give one kind"
        )


def intensity(
    shape: str, start: int, n_chunks: int, *, width: int = 5, period: int = 5
) -> np.ndarray:
    """Per-chunk intensity in [0, 1] of a scenario (0 before ``start``).

    Examples
    --------
    >>> intensity("sudden", 2, 5).tolist()
    [0.0, 0.0, 1.0, 1.0, 1.0]
    >>> intensity("gradual", 1, 6, width=4).tolist()
    [0.0, 0.25, 0.5, 0.75, 1.0, 1.0]
    >>> intensity("recurring", 1, 7, period=2).tolist()
    [0.0, 1.0, 1.0, 0.0, 0.0, 1.0, 1.0]
    """
    t = np.arange(n_chunks)
    after = t >= start
    since = np.maximum(t - start, 0)
    if shape == "sudden":
        level = np.ones(n_chunks)
    elif shape == "gradual":
        level = np.minimum(1.0, (since + 1) / width)
    elif shape == "recurring":
        level = ((since // period) % 2 == 0).astype(float)
    else:
        raise ConfigError(f"shape must be one of {', '.join(SHAPES)}, got {shape!r}")
    return np.where(after, level, 0.0)


@dataclasses.dataclass
class DriftPlan:
    """Scenarios resolved against one stream.

    Attributes
    ----------
    stream : Stream
        The rewritten stream (covariate, prior and concept applied).
    serving_hook : callable or None
        The chained skew hooks, for :func:`~banditops.simulation.cache.build_prediction_cache`.
    scenarios : list of dict
        Per scenario: its spec, name, resolved parameters (defaults filled), drift points
        and, for skew, the broken release chunks.
    """

    stream: Any
    serving_hook: Hook | None
    scenarios: list[dict[str, Any]]

    @property
    def points(self) -> list[int]:
        """Every drift point (chunk index), sorted, without duplicates."""
        return sorted({p for s in self.scenarios for p in s["points"]})

    def describe(self) -> list[dict[str, Any]]:
        """JSON-able description (for ``results.json``)."""
        return [dict(s) for s in self.scenarios]

    def broken(self, version: Any) -> bool:
        """Whether a skew scenario corrupts what ``version`` receives when it serves."""
        return any(_is_broken(s, version) for s in self.scenarios if s["name"] == "skew")


def _is_broken(resolved: Mapping[str, Any], version: Any) -> bool:
    p = resolved["params"]
    if version.created_at not in resolved["broken_releases"]:
        return False
    return p.get("family") is None or version.family == p["family"]


def _rng(seed: int, position: int, chunk: int) -> np.random.Generator:
    return np.random.default_rng([seed, position, chunk])


def _numeric(X: pd.DataFrame) -> list[str]:
    return [c for c in X.columns if pd.api.types.is_numeric_dtype(X[c])]


def _column(name: str, X: pd.DataFrame, p: dict[str, Any], kind: str | None) -> str:
    numeric = _numeric(X)
    if "column" in p:
        col = p["column"]
        if col not in X.columns:
            raise ConfigError(
                f"drift scenario {name!r}: column={col!r} is not a column; columns: "
                + ", ".join(map(str, X.columns))
            )
    else:
        wanted = kind or "numeric"
        pool = numeric if wanted == "numeric" else [c for c in X.columns if c not in numeric]
        if not pool:
            raise ConfigError(f"drift scenario {name!r}: the data have no {wanted} column")
        col = pool[0]
    if kind is not None and (col in numeric) != (kind == "numeric"):
        raise ConfigError(f"drift scenario {name!r}: column={col!r} is not {kind}")
    return str(col)


def _top_level(values: pd.Series) -> str:
    counts = values.astype("string").value_counts(dropna=True)
    if counts.empty:
        raise ConfigError(f"column {values.name!r} has no value to pick a level from")
    # most frequent, ties by name, so the default never depends on the stream seed's luck
    best = counts.max()
    return min(str(level) for level, n in counts.items() if n == best)


def _check_level(name: str, values: pd.Series, level: str) -> None:
    known = set(values.astype("string").dropna().unique())
    if level not in known:
        listed = ", ".join(sorted(known)[:12])
        raise ConfigError(
            f"drift scenario {name!r}: level={level!r} does not occur in column "
            f"{values.name!r}; levels: {listed}"
        )


def plan_drift(
    scenarios: Sequence[DriftScenario],
    stream: Any,
    *,
    release_chunks: Sequence[int] | None = None,
) -> DriftPlan:
    """Resolve ``scenarios`` against ``stream`` and apply them.

    Parameters
    ----------
    scenarios : sequence of DriftScenario
        From :func:`parse_scenario`, applied in order.
    stream : Stream
        The stream to rewrite (left unchanged; the plan holds a new one).
    release_chunks : sequence of int, optional
        The chunks at which releases happen (needed by ``skew`` to know which release is
        the first at or after its start); ``None``: every chunk counts as one.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from banditops.data.stream import Stream
    >>> X = pd.DataFrame({"x": np.ones(6)})
    >>> s = Stream("toy", X, np.zeros(6, np.int8), np.arange(6), np.array([0, 2, 4, 6]))
    >>> plan = plan_drift([parse_scenario("skew:start=1")], s, release_chunks=[0, 2])
    >>> plan.scenarios[0]["broken_releases"], plan.points
    ([2], [2])
    """
    from banditops.data.stream import Stream

    X = stream.X.copy()
    y = np.array(stream.y, copy=True)
    bounds = np.asarray(stream.bounds)
    n_chunks = len(bounds) - 1
    releases = sorted(release_chunks) if release_chunks is not None else list(range(n_chunks))
    hooks: list[Hook] = []
    described: list[dict[str, Any]] = []
    for position, scenario in enumerate(scenarios):
        name = scenario.name
        p: dict[str, Any] = {**_DEFAULTS[name], **scenario.params}
        if name == "skew" and "release" in p:
            p.setdefault("start", p["release"])
        p.setdefault("start", n_chunks // 2)
        p.setdefault("shape", "sudden")
        p.setdefault("seed", 0)
        if p["shape"] == "gradual":
            p.setdefault("width", 5)
        if p["shape"] == "recurring":
            p.setdefault("period", 5)
        start = p["start"]
        if start >= n_chunks:
            raise ConfigError(
                f"drift scenario {name!r}: start={start} but the stream has only {n_chunks} chunks"
            )
        level_t = intensity(
            p["shape"], start, n_chunks, width=p.get("width", 5), period=p.get("period", 5)
        )
        before = slice(0, int(bounds[start])) if start > 0 else slice(0, len(y))
        if p["shape"] == "recurring":
            points = [int(t) for t in range(start, n_chunks) if level_t[t] != level_t[t - 1]]
        else:
            points = [start]
        entry: dict[str, Any] = {"spec": scenario.spec, "name": name, "params": p}
        if name == "covariate":
            X, y = _covariate(X, y, bounds, p, scenario.params, level_t, position, before)
        elif name == "prior":
            X, y = _prior(X, y, bounds, p, level_t, position)
        elif name == "concept":
            y = _concept(X, y, bounds, p, level_t, position, before)
        else:
            hook, broken = _skew(X, bounds, p, level_t, position, releases)
            hooks.append(hook)
            entry["broken_releases"] = broken
            points = [max(r, start) for r in broken]
        entry["points"] = points
        described.append(entry)
    new_stream = Stream(
        name=stream.name,
        X=X,
        y=y,
        order=stream.order,
        bounds=bounds,
        seed=stream.seed,
        order_by=stream.order_by,
    )
    return DriftPlan(new_stream, _chain(hooks) if hooks else None, described)


def _affected(
    bounds: np.ndarray, level_t: np.ndarray, seed: int, position: int, n_rows: int
) -> np.ndarray:
    """Per-row mask: a seeded draw per row of each chunk, true with the chunk's intensity."""
    mask = np.zeros(n_rows, dtype=bool)
    for t in np.flatnonzero(level_t > 0):
        lo, hi = int(bounds[t]), int(bounds[t + 1])
        if level_t[t] >= 1.0:
            mask[lo:hi] = True
        else:
            mask[lo:hi] = _rng(seed, position, int(t)).random(hi - lo) < level_t[t]
    return mask


def _covariate(
    X: pd.DataFrame,
    y: np.ndarray,
    bounds: np.ndarray,
    p: dict[str, Any],
    given: Mapping[str, Any],
    level_t: np.ndarray,
    position: int,
    before: slice,
) -> tuple[pd.DataFrame, np.ndarray]:
    kind = None
    if "level" in given or "weight" in given:
        kind = "categorical"
    elif "shift" in given or "scale" in given:
        kind = "numeric"
    col = _column("covariate", X, p, kind)
    p["column"] = col
    if col in _numeric(X):
        p.pop("weight", None)
        ref = X[col].iloc[before].astype(float)
        mean, std = float(ref.mean()), float(ref.std(ddof=0))
        p["reference"] = {"mean": mean, "std": std}
        mask = _affected(bounds, level_t, p["seed"], position, len(y))
        values = X[col].astype(float).to_numpy(copy=True)
        values[mask] = mean + p["scale"] * (values[mask] - mean) + p["shift"] * std
        X[col] = values
        p["method"] = "replace values"
        return X, y
    p.pop("shift", None)
    p.pop("scale", None)
    level = p.get("level") or _top_level(X[col].iloc[before])
    _check_level("covariate", X[col], level)
    p["level"] = level
    p["method"] = "resample rows within the chunk"
    has_level = (X[col].astype("string") == level).fillna(False).to_numpy(dtype=bool)
    index = np.arange(len(y))
    for t in np.flatnonzero(level_t > 0):
        lo, hi = int(bounds[t]), int(bounds[t + 1])
        rng = _rng(p["seed"], position, int(t))
        weights = np.where(has_level[lo:hi], p["weight"], 1.0)
        draws = rng.choice(hi - lo, size=hi - lo, p=weights / weights.sum()) + lo
        swap = rng.random(hi - lo) < level_t[t]
        index[lo:hi] = np.where(swap, draws, index[lo:hi])
    X = X.iloc[index].reset_index(drop=True)
    return X, y[index]


def _prior(
    X: pd.DataFrame,
    y: np.ndarray,
    bounds: np.ndarray,
    p: dict[str, Any],
    level_t: np.ndarray,
    position: int,
) -> tuple[pd.DataFrame, np.ndarray]:
    index = np.arange(len(y))
    for t in np.flatnonzero(level_t > 0):
        lo, hi = int(bounds[t]), int(bounds[t + 1])
        n = hi - lo
        labels = y[lo:hi]
        own = float(labels.mean())
        target = own + level_t[t] * (p["rate"] - own)
        n_pos = round(target * n)
        pos, neg = np.flatnonzero(labels == 1) + lo, np.flatnonzero(labels == 0) + lo
        if (n_pos > 0 and pos.size == 0) or (n - n_pos > 0 and neg.size == 0):
            raise DataError(
                f"drift scenario 'prior': chunk {t} holds no "
                f"{'positive' if pos.size == 0 else 'negative'} row to resample a positive "
                f"rate of {target:.4f} from"
            )
        rng = _rng(p["seed"], position, int(t))
        take_pos = rng.choice(pos, size=n_pos, replace=n_pos > pos.size) if n_pos else pos[:0]
        n_neg = n - n_pos
        take_neg = rng.choice(neg, size=n_neg, replace=n_neg > neg.size) if n_neg else neg[:0]
        index[lo:hi] = rng.permutation(np.concatenate([take_pos, take_neg]))
    X = X.iloc[index].reset_index(drop=True)
    return X, y[index]


def _concept(
    X: pd.DataFrame,
    y: np.ndarray,
    bounds: np.ndarray,
    p: dict[str, Any],
    level_t: np.ndarray,
    position: int,
    before: slice,
) -> np.ndarray:
    numeric_range = "low" in p or "high" in p
    col = _column("concept", X, p, "numeric" if numeric_range else "categorical")
    p["column"] = col
    if numeric_range:
        values = X[col].astype(float).to_numpy()
        low, high = p.get("low", -math.inf), p.get("high", math.inf)
        group = (values >= low) & (values < high)
    else:
        level = p.get("level") or _top_level(X[col].iloc[before])
        _check_level("concept", X[col], level)
        p["level"] = level
        group = (X[col].astype("string") == level).fillna(False).to_numpy(dtype=bool)
    change = group & _affected(bounds, level_t, p["seed"], position, len(y))
    y = y.copy()
    if p["mode"] == "flip":
        y[change] = 1 - y[change]
    else:
        y[change] = 1 if p["mode"] == "positive" else 0
    return y


def _skew(
    X: pd.DataFrame,
    bounds: np.ndarray,
    p: dict[str, Any],
    level_t: np.ndarray,
    position: int,
    releases: list[int],
) -> tuple[Hook, list[int]]:
    fault = p["fault"]
    kind = {"units": "numeric", "unseen": "categorical"}.get(fault)
    col = _column("skew", X, p, kind)
    p["column"] = col
    if fault != "units":
        p.pop("factor", None)
    if "release" in p:
        if p["release"] not in releases:
            raise ConfigError(
                f"drift scenario 'skew': release={p['release']} is not a release chunk; "
                f"releases: {releases}"
            )
        broken = [p["release"]]
    else:
        broken = [r for r in releases if r >= p["start"]]
        if not broken:
            raise ConfigError(
                f"drift scenario 'skew': no release at or after start={p['start']}; "
                f"releases: {releases}"
            )
    corrupt_row = _affected(bounds, level_t, p["seed"], position, int(bounds[-1]))
    family = p.get("family")
    factor = p.get("factor", 1.0)

    def hook(version: Any, X_rows: pd.DataFrame, chunk_of_row: np.ndarray) -> pd.DataFrame:
        del chunk_of_row  # the rows' stream positions are their index
        if version.created_at not in broken or (family is not None and version.family != family):
            return X_rows
        rows = corrupt_row[X_rows.index.to_numpy()]
        if not rows.any():
            return X_rows
        out = X_rows.copy()
        values = out[col]
        if fault == "units":
            arr = values.astype(float).to_numpy(copy=True)
            arr[rows] *= factor
            out[col] = arr
        elif fault == "nan" and pd.api.types.is_numeric_dtype(values):
            arr = values.astype(float).to_numpy(copy=True)
            arr[rows] = np.nan
            out[col] = arr
        elif fault == "nan":
            out[col] = values.mask(pd.Series(rows, index=values.index))
        else:
            cat = values.astype("category")
            if UNSEEN_LEVEL not in cat.cat.categories:
                cat = cat.cat.add_categories([UNSEEN_LEVEL])
            cat[rows] = UNSEEN_LEVEL  # type: ignore[call-overload]
            out[col] = cat
        return out

    return hook, broken


def _chain(hooks: list[Hook]) -> Hook:
    def chained(version: Any, X_rows: pd.DataFrame, chunk_of_row: np.ndarray) -> pd.DataFrame:
        for hook in hooks:
            X_rows = hook(version, X_rows, chunk_of_row)
        return X_rows

    return chained


def scenario_digest(scenarios: Sequence[DriftScenario]) -> int:
    """A short checksum of the scenario specs (for cache file names)."""
    return zlib.crc32("|".join(s.spec for s in scenarios).encode())
