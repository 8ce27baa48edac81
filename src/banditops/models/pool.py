"""Candidate model families, the retraining schedule, and the versions they create.

Every model version is an *arm*. Versions are created by *releases*: the first one at the
end of the warm-up, then one every ``retrain_every`` chunks. A release trains one version
of each family on a window of the most recent labelled chunks; each version keeps its
family, the chunk it was created at, its training window, its decision threshold and its
validation score on a held-out slice of that window. At most ``max_arms`` versions are
live; the oldest are retired first.

Families (scikit-learn pipelines; categorical levels unseen at training are encoded as all
zeros by ``OneHotEncoder(handle_unknown="ignore")``, missing values are a level of their
own for categoricals and the median for numerics):

``logreg``          standardised logistic regression
``random-forest``   a random forest (100 trees, ``min_samples_leaf=2``)
``hist-gb``         histogram gradient boosting
``naive-bayes``     Bernoulli naive Bayes on one-hot categoricals and numerics binned at
                    deciles (a simple, fast, usually weaker family)

Validation: the most recent ``validation_fraction`` of the window is held out (a temporal
holdout: the version is scored on the traffic closest to what it will serve, as a team
would before shipping it). The validation score is the mean reward on that slice.

Decision thresholds: for a symmetric reward (accuracy) a version predicts the positive
class when its probability is at least 0.5. For a reward that weighs errors unequally
(cost), the threshold maximises the mean reward of out-of-fold predictions (3-fold
stratified cross-validation) on the training part, so the version's decisions weigh
errors as the reward does, and the validation slice stays untouched by the tuning (its
score is not inflated by it). Without tuning, models trained on the imbalanced fraud
stream at 0.5 almost never flag a claim and all earn the reward of "never flag".

Examples
--------
>>> import numpy as np, pandas as pd
>>> rng = np.random.default_rng(0)
>>> X = pd.DataFrame({"x": rng.normal(size=400), "c": rng.choice(["a", "b"], 400)})
>>> y = (X["x"] + (X["c"] == "a") > 0.5).astype(np.int8).to_numpy()
>>> from banditops.rewards import make_reward
>>> version = train_version("logreg", X, y, reward=make_reward("accuracy"),
...                         created_at=3, train_window=(0, 3), seed=0)
>>> version.id, version.threshold, version.validation_score > 0.9
('logreg@3', 0.5, True)
"""

from __future__ import annotations

import contextlib
import logging
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.naive_bayes import BernoulliNB
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import KBinsDiscretizer, OneHotEncoder, StandardScaler

from banditops.errors import ConfigError, DataError
from banditops.policies.base import Arm, check_int, check_range
from banditops.rewards import Reward

__all__ = [
    "FAMILIES",
    "ModelVersion",
    "PoolConfig",
    "Release",
    "build_pipeline",
    "release_chunks",
    "train_version",
    "tune_threshold",
]

logger = logging.getLogger(__name__)

THRESHOLD_FOLDS = 3


@contextlib.contextmanager
def _expected_warnings() -> Iterator[None]:
    """Silence the two warnings that are expected here, by message: quantile binning of a
    zero-inflated numeric (e.g. capital-gain) merges empty bins, and a numeric that is
    constant over a training window (e.g. Year) gets a single bin; both are what naive
    Bayes wants."""
    with warnings.catch_warnings():
        for message in ("Bins whose width are too small", "Feature .* is constant"):
            warnings.filterwarnings("ignore", message=message, category=UserWarning)
        yield


def _fit(pipeline: Pipeline, X: pd.DataFrame, y: np.ndarray) -> Pipeline:
    """Fit, then predict on one thread: a forest fitted on two threads is deterministic,
    but summing its trees' probabilities on two threads adds them in a varying order, so
    the last digits (and a tuned threshold) would change from run to run."""
    with _expected_warnings():
        pipeline.fit(X, y)
    for _, step in pipeline.steps:
        if "n_jobs" in step.get_params(deep=False):
            step.set_params(n_jobs=1)
    return pipeline


def _split_columns(X: pd.DataFrame) -> tuple[list[str], list[str]]:
    numeric = [c for c in X.columns if pd.api.types.is_numeric_dtype(X[c])]
    categorical = [c for c in X.columns if c not in numeric]
    return numeric, categorical


def _preprocessor(X: pd.DataFrame, *, scale: bool) -> ColumnTransformer:
    numeric, categorical = _split_columns(X)
    num_steps: list[Any] = [SimpleImputer(strategy="median")]
    if scale:
        num_steps.append(StandardScaler())
    return ColumnTransformer(
        [
            ("num", make_pipeline(*num_steps), numeric),
            (
                "cat",
                OneHotEncoder(handle_unknown="ignore", sparse_output=False, dtype=np.float32),
                categorical,
            ),
        ],
        sparse_threshold=0.0,
    )


def _logreg(X: pd.DataFrame, seed: int) -> Pipeline:
    return make_pipeline(
        _preprocessor(X, scale=True), LogisticRegression(max_iter=1000, C=1.0, random_state=seed)
    )


def _random_forest(X: pd.DataFrame, seed: int) -> Pipeline:
    return make_pipeline(
        _preprocessor(X, scale=False),
        RandomForestClassifier(n_estimators=100, min_samples_leaf=2, n_jobs=2, random_state=seed),
    )


def _hist_gb(X: pd.DataFrame, seed: int) -> Pipeline:
    return make_pipeline(
        _preprocessor(X, scale=False),
        HistGradientBoostingClassifier(max_iter=100, random_state=seed),
    )


def _naive_bayes(X: pd.DataFrame, seed: int) -> Pipeline:
    numeric, categorical = _split_columns(X)
    binned = make_pipeline(
        SimpleImputer(strategy="median"),
        KBinsDiscretizer(
            n_bins=10,
            encode="onehot-dense",
            strategy="quantile",
            quantile_method="averaged_inverted_cdf",
            subsample=None,
            random_state=seed,
        ),
    )
    features = ColumnTransformer(
        [
            ("num", binned, numeric),
            (
                "cat",
                OneHotEncoder(handle_unknown="ignore", sparse_output=False, dtype=np.float32),
                categorical,
            ),
        ],
        sparse_threshold=0.0,
    )
    return make_pipeline(features, BernoulliNB(alpha=1.0))


FAMILIES: dict[str, Callable[[pd.DataFrame, int], Pipeline]] = {
    "logreg": _logreg,
    "random-forest": _random_forest,
    "hist-gb": _hist_gb,
    "naive-bayes": _naive_bayes,
}


def build_pipeline(family: str, X: pd.DataFrame, *, seed: int = 0) -> Pipeline:
    """An unfitted pipeline of ``family`` for the columns of ``X``.

    Examples
    --------
    >>> import pandas as pd
    >>> build_pipeline("naive-bayes", pd.DataFrame({"a": [1.0]})).steps[-1][0]
    'bernoullinb'
    """
    if family not in FAMILIES:
        raise ConfigError(f"unknown model family {family!r}; known families: {list(FAMILIES)}")
    return FAMILIES[family](X, seed)


def tune_threshold(proba: np.ndarray, y_true: np.ndarray, reward: Reward) -> tuple[float, float]:
    """Threshold maximising the mean reward of ``proba >= threshold`` decisions.

    Exact: every distinct probability is a candidate, and so is "never flag" (a threshold
    above the largest probability); ties go to the candidate closest to 0.5. Returns the
    threshold and the mean reward it earns. O(n log n).

    Examples
    --------
    >>> import numpy as np
    >>> from banditops.rewards import make_reward
    >>> proba = np.array([0.05, 0.1, 0.2, 0.3, 0.9])
    >>> y = np.array([0, 0, 1, 1, 1])
    >>> tune_threshold(proba, y, make_reward("cost", cost_ratio=10))
    (0.2, 1.0)
    """
    proba = np.asarray(proba, dtype=float)
    y_true = np.asarray(y_true).astype(np.int64)
    order = np.argsort(-proba, kind="stable")
    p_sorted, y_sorted = proba[order], y_true[order]
    # the last row of each group of equal probabilities: flag everything up to it
    last = np.flatnonzero(np.append(p_sorted[1:] != p_sorted[:-1], True))
    tp = np.concatenate([[0], np.cumsum(y_sorted)[last]])
    fp = np.concatenate([[0], np.cumsum(1 - y_sorted)[last]])
    positives, n = int(y_true.sum()), y_true.size
    fn, tn = positives - tp, (n - positives) - fp
    t = reward.table
    means = (tn * t["tn"] + fp * t["fp"] + fn * t["fn"] + tp * t["tp"]) / n
    candidates = np.concatenate([[np.nextafter(p_sorted[0], np.inf)], p_sorted[last]])
    best = means.max()
    tied = np.flatnonzero(means >= best - 1e-12)
    pick = tied[np.argmin(np.abs(candidates[tied] - 0.5))]
    return float(candidates[pick]), float(means[pick])


@dataclass
class ModelVersion:
    """One trained model version (an arm) and its metadata.

    ``pipeline`` predicts probabilities; ``predict`` applies the version's threshold.
    """

    family: str
    created_at: int
    train_window: tuple[int, int]
    threshold: float
    validation_score: float
    n_train: int
    n_validation: int
    feature_columns: list[str]
    pipeline: Pipeline | None = field(default=None, repr=False)

    @property
    def id(self) -> str:
        """``family@chunk``, unique within a replay."""
        return f"{self.family}@{self.created_at}"

    def arm(self) -> Arm:
        """The policy's view of this version."""
        return Arm(
            self.id,
            created_at=self.created_at,
            validation_score=self.validation_score,
            family=self.family,
        )

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        """Probability of the positive class for each row."""
        if self.pipeline is None:
            raise ConfigError(f"version {self.id} has no fitted pipeline attached")
        return np.asarray(self.pipeline.predict_proba(X[self.feature_columns])[:, 1])

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """0/1 decisions at the version's threshold."""
        return (self.predict_proba(X) >= self.threshold).astype(np.int8)

    def metadata(self) -> dict[str, Any]:
        """JSON-able metadata (everything but the pipeline)."""
        return {
            "id": self.id,
            "family": self.family,
            "created_at": self.created_at,
            "train_window": list(self.train_window),
            "threshold": self.threshold,
            "validation_score": self.validation_score,
            "n_train": self.n_train,
            "n_validation": self.n_validation,
        }


def train_version(
    family: str,
    X: pd.DataFrame,
    y: np.ndarray,
    *,
    reward: Reward,
    created_at: int,
    train_window: tuple[int, int],
    validation_fraction: float = 0.25,
    seed: int = 0,
) -> ModelVersion:
    """Train one version of ``family`` on a window, scoring it on a held-out slice.

    The window's rows are in stream order; its last ``validation_fraction`` is the
    validation slice (a single-class slice is fine: rewards are defined per row).

    Raises
    ------
    DataError
        If the training part lacks a class (at least 2 rows of each, 3 when the
        threshold is tuned by 3-fold cross-validation), or the validation slice is empty.
    """
    y = np.asarray(y)
    cut = round(len(y) * (1.0 - validation_fraction))
    X_fit, X_val, y_fit, y_val = X.iloc[:cut], X.iloc[cut:], y[:cut], y[cut:]
    need = 2 if reward.symmetric else THRESHOLD_FOLDS
    counts = np.bincount(y_fit.astype(np.intp), minlength=2)
    if len(y_val) == 0 or counts.min() < need:
        raise DataError(
            f"training window {train_window}: the training part has {counts[0]} negatives and "
            f"{counts[1]} positives (at least {need} of each are needed) and the validation "
            f"slice {len(y_val)} rows"
        )
    pipeline = build_pipeline(family, X_fit, seed=seed)
    if reward.symmetric:
        threshold = 0.5
    else:
        folds = StratifiedKFold(n_splits=THRESHOLD_FOLDS, shuffle=True, random_state=seed)
        oof = np.empty(len(y_fit))
        for fold_train, fold_test in folds.split(X_fit, y_fit):
            model = _fit(clone(pipeline), X_fit.iloc[fold_train], y_fit[fold_train])
            oof[fold_test] = model.predict_proba(X_fit.iloc[fold_test])[:, 1]
        threshold, _ = tune_threshold(oof, np.asarray(y_fit), reward)
    _fit(pipeline, X_fit, y_fit)
    proba = pipeline.predict_proba(X_val)[:, 1]
    score = float(reward(y_val, (proba >= threshold).astype(np.int8)).mean())
    return ModelVersion(
        family=family,
        created_at=created_at,
        train_window=train_window,
        threshold=threshold,
        validation_score=score,
        n_train=len(y_fit),
        n_validation=len(y_val),
        feature_columns=list(X.columns),
        pipeline=pipeline,
    )


@dataclass(frozen=True)
class PoolConfig:
    """The model pool and its retraining schedule.

    Parameters
    ----------
    families : sequence of str
        Model families trained at each release.
    warmup_chunks : int, default 3
        Chunks that train the first release and are not scored.
    retrain_every : int, default 5
        Chunks between releases.
    train_window : int, default 20
        Number of most recent labelled chunks a release trains on (a sliding window;
        on streams shorter than that it is all the labelled history).
    max_arms : int, default 8
        Most versions live at once; the oldest (then the lowest validation score) retire.
    validation_fraction : float, default 0.25
        Held-out share of each training window.
    seed : int, default 0
        Seed of the validation splits and the models.

    Examples
    --------
    >>> PoolConfig(retrain_every=0)
    Traceback (most recent call last):
    ...
    banditops.errors.ConfigError: retrain_every must lie in [1, inf], got 0
    """

    families: tuple[str, ...] = tuple(FAMILIES)
    warmup_chunks: int = 3
    retrain_every: int = 5
    train_window: int = 20
    max_arms: int = 8
    validation_fraction: float = 0.25
    seed: int = 0

    def __post_init__(self) -> None:
        if isinstance(self.families, str) or not self.families:
            raise ConfigError(f"families must be a non-empty list of names, got {self.families!r}")
        for fam in self.families:
            if fam not in FAMILIES:
                raise ConfigError(f"unknown model family {fam!r}; known families: {list(FAMILIES)}")
        if len(set(self.families)) != len(self.families):
            raise ConfigError(f"families must be unique, got {list(self.families)}")
        object.__setattr__(self, "families", tuple(self.families))
        check_int("warmup_chunks", self.warmup_chunks, 1)
        check_int("retrain_every", self.retrain_every, 1)
        check_int("train_window", self.train_window, 1)
        check_int("max_arms", self.max_arms, 1)
        check_range(
            "validation_fraction", self.validation_fraction, 0, 1, low_open=True, high_open=True
        )
        check_int("seed", self.seed, 0)


@dataclass(frozen=True)
class Release:
    """A release: the chunk it serves from and the labelled chunks it trains on."""

    chunk: int
    window: tuple[int, int]


def release_chunks(config: PoolConfig, n_chunks: int, label_delay: int) -> list[Release]:
    """The releases of a stream of ``n_chunks`` chunks.

    The first release serves from chunk ``warmup_chunks`` and trains on the warm-up
    chunks (historical data, labelled). Later releases at chunk ``t`` train on the last
    ``train_window`` chunks whose labels have arrived: feedback of chunk ``s`` lands
    before chunk ``s + 1 + label_delay``, so those are the chunks before
    ``t - label_delay``.

    Examples
    --------
    >>> [(r.chunk, r.window) for r in release_chunks(PoolConfig(train_window=5), 14, label_delay=1)]
    [(3, (0, 3)), (8, (2, 7)), (13, (7, 12))]
    """
    first = config.warmup_chunks
    if n_chunks <= first:
        raise ConfigError(
            f"the stream has {n_chunks} chunks, but warmup_chunks={first} leaves none to score;"
            " use a smaller chunk size or fewer warm-up chunks"
        )
    releases = [Release(first, (max(0, first - config.train_window), first))]
    for t in range(first + config.retrain_every, n_chunks, config.retrain_every):
        end = t - label_delay
        start = max(0, end - config.train_window)
        if end > start:
            releases.append(Release(t, (start, end)))
    return releases


def retire_over_cap(live: Sequence[ModelVersion], max_arms: int) -> list[ModelVersion]:
    """Versions to keep: the newest ``max_arms`` (ties: the higher validation score).

    Examples
    --------
    >>> specs = [("a", 0, 0.9), ("a", 5, 0.7), ("b", 5, 0.8)]
    >>> vs = [ModelVersion(fam, t, (0, 1), 0.5, s, 1, 1, []) for fam, t, s in specs]
    >>> [v.id for v in retire_over_cap(vs, 2)]
    ['a@5', 'b@5']
    """
    order = sorted(live, key=lambda v: (v.created_at, v.validation_score), reverse=True)
    keep = set(map(id, order[:max_arms]))
    return [v for v in live if id(v) in keep]
