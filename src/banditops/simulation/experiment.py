"""Experiments: a TOML spec -> a grid of cells -> stored runs -> one results directory.

An *experiment spec* names datasets x drift scenarios x strategies (with hyperparameter
grids) x seeds, plus the stream, pool and reward settings (globally, overridden per
dataset). :func:`load_spec` reads and validates it, :meth:`ExperimentSpec.cells` expands
the grid, and :func:`run_experiment` runs it on a backend (:mod:`banditops.simulation.backends`)
and writes::

    OUT/
      experiment.json                    the index: spec, groups, strategies, seeds
      spec.toml                          the spec as given (when read from a file)
      results/DATASET--SCENARIO/         one results.json + summary.csv per group, the same
                                         schema as ``banditops simulate`` writes
      run.json                           counters and wall times of the last run
      store/caches/KEY.npz               prediction caches, by content hash
      store/cells/KEY.json               one (strategy, seed) replay, by content hash

A *group* is a (dataset, scenario) pair: one prediction cache. A *cell* is a group x
strategy variant x seed: one replay. The store makes a run resumable: the cache key hashes
the dataset (name and the sha256 its files are verified against), the stream, pool, reward
and drift settings, the cache format and the source of the code that builds a cache; the
cell key hashes the cache key, the strategy (label, policy, parameters, guardrail), the
seed, the label delay and the source of the replay code. A rerun recomputes only what is
missing, and a change to a policy's code invalidates exactly the cells it computed.

Examples
--------
>>> spec = parse_spec('''
... seeds = 2
... datasets = ["vehicle-claims"]
... [strategies.naive]
... [strategies.epsilon-greedy]
... epsilon = [0.05, 0.2]
... ''')
>>> [s.label for s in spec.strategies]
['naive', 'epsilon-greedy(epsilon=0.05)', 'epsilon-greedy(epsilon=0.2)']
>>> len(spec.cells()), spec.groups()[0].name
(6, 'vehicle-claims--none')
>>> parse_spec('seeds = 2\\ndatasets = ["adult"]\\n[strategies.ucb]\\nc = 0.5\\nk = 1')
Traceback (most recent call last):
...
banditops.errors.ConfigError: <spec>: [strategies.ucb]: unknown parameter 'k' of policy 'ucb'; \
accepted: c
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib.util
import itertools
import json
import logging
import re
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from banditops import __version__
from banditops.errors import ConfigError, ResultsError
from banditops.models.pool import PoolConfig
from banditops.policies import POLICIES, accepted_params
from banditops.simulation.cache import CACHE_FORMAT, PredictionCache
from banditops.simulation.simulate import (
    RESULTS_FORMAT,
    SimulationConfig,
    StrategySpec,
    _atomic_write,
    assemble_results,
    strategy_entry,
    write_results,
)

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

__all__ = [
    "EXPERIMENT_FORMAT",
    "Cell",
    "ExperimentResults",
    "ExperimentRun",
    "ExperimentSpec",
    "Group",
    "RunStats",
    "Store",
    "code_digest",
    "iter_cells",
    "load_results",
    "load_spec",
    "parse_spec",
    "run_experiment",
    "scenario_of",
]

logger = logging.getLogger(__name__)

#: Version of the results-directory layout (``experiment.json``) and of the store keys.
EXPERIMENT_FORMAT = 1

NO_DRIFT = "none"

# SimulationConfig fields a spec sets globally or per dataset (any field this banditops has,
# so settings added to SimulationConfig are accepted here as they land)
_NOT_SETTINGS = (
    "dataset",
    "strategies",
    "strategy_params",
    "seeds",
    "seed",
    "data_dir",
    "reward_params",
    "drift",
)
_STREAM_KEYS = tuple(
    f.name for f in dataclasses.fields(SimulationConfig) if f.name not in _NOT_SETTINGS
)
_TOP_KEYS = (
    "name",
    "description",
    "seeds",
    "seed",
    "data_dir",
    *_STREAM_KEYS,
    "datasets",
    "scenarios",
    "strategies",
)
_SCENARIO_KEYS = ("drift", "datasets", "order_by", "description")
# StrategySpec wrappers (guardrail, and any added later, e.g. shaping) are strategy keys
_STRATEGY_KEYS = (
    "policy",
    *(
        f.name
        for f in dataclasses.fields(StrategySpec)
        if f.name not in ("label", "policy", "params")
    ),
)


def replay_settings(config: SimulationConfig) -> dict[str, Any]:
    """The settings of ``config`` that :func:`~banditops.simulation.simulate.run_replays`
    takes as keywords (``label_delay``, and any replay setting added later).

    Examples
    --------
    >>> replay_settings(SimulationConfig(dataset="adult", label_delay=2))["label_delay"]
    2
    """
    import inspect

    from banditops.simulation.simulate import run_replays

    names = [
        p.name
        for p in inspect.signature(run_replays).parameters.values()
        if p.kind is inspect.Parameter.KEYWORD_ONLY and p.name != "progress"
    ]
    return {name: getattr(config, name) for name in names if hasattr(config, name)}


_POOL_KEYS = tuple(f.name for f in dataclasses.fields(PoolConfig))


# --------------------------------------------------------------------------------------------
# The spec
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Group:
    """One (dataset, scenario) pair: everything that defines its prediction cache.

    ``config`` is a :class:`SimulationConfig` holding the resolved stream, pool, reward and
    drift settings (its strategies are only the policies the spec uses).
    """

    dataset: str
    scenario: str
    drift: tuple[str, ...]
    config: SimulationConfig

    @property
    def name(self) -> str:
        """``DATASET--SCENARIO``, also the group's directory under ``results/``."""
        return f"{self.dataset}--{self.scenario}"

    def settings(self) -> dict[str, Any]:
        """The resolved, JSON-able settings that define the cache (no paths)."""
        from banditops.data.datasets import DATASETS
        from banditops.rewards import make_reward

        cfg = self.config
        reward = make_reward(
            cfg.reward or DATASETS[self.dataset].default_reward, **dict(cfg.reward_params)
        )
        pool = dataclasses.asdict(cfg.pool)
        pool["families"] = list(cfg.pool.families)
        out: dict[str, Any] = {"dataset": self.dataset, "scenario": self.scenario}
        out["drift"] = list(self.drift)
        for key in _STREAM_KEYS:
            value = getattr(cfg, key)
            out[key] = list(value) if isinstance(value, tuple) else value
        out["chunk_size"] = cfg.chunk_size or DATASETS[self.dataset].default_chunk_size
        out["reward"] = {"name": reward.name, **reward.params()}
        out["pool"] = pool
        return out

    def cache_key(self) -> str:
        """Content hash of everything the prediction cache depends on."""
        from banditops.data.datasets import DATASETS
        from banditops.rewards import make_reward

        settings = self.settings()
        settings.pop("scenario")  # a name only: two scenarios with equal drift share a cache
        for key in replay_settings(self.config):  # replay-only settings are in the cell key
            if key != "label_delay":  # the delay also decides what releases train on
                settings.pop(key, None)
        reward = settings["reward"]
        table = make_reward(
            reward["name"], **{k: v for k, v in reward.items() if k != "name"}
        ).table
        payload = {
            "kind": "prediction-cache",
            "experiment_format": EXPERIMENT_FORMAT,
            "cache_format": CACHE_FORMAT,
            "files": {f.name: f.sha256 for f in DATASETS[self.dataset].files},
            "settings": settings,
            "reward_table": table,
            "code": code_digest("cache"),
        }
        return _digest(payload)


@dataclass(frozen=True)
class Cell:
    """One replay: a group, a strategy variant and a seed."""

    group: Group
    strategy: StrategySpec
    seed: int

    def key(self, cache_key: str | None = None) -> str:
        """Content hash of the cell's inputs (``cache_key`` saves recomputing it)."""
        payload = {
            "kind": "cell",
            "experiment_format": EXPERIMENT_FORMAT,
            "cache": cache_key or self.group.cache_key(),
            "strategy": _strategy_dict(self.strategy),
            "seed": self.seed,
            "replay": replay_settings(self.group.config),
            "code": code_digest("replay"),
        }
        return _digest(payload)


@dataclass(frozen=True)
class ExperimentSpec:
    """A validated experiment: datasets x scenarios x strategies x seeds.

    Build it with :func:`load_spec` (a TOML file) or :func:`parse_spec` (TOML text).
    """

    name: str
    description: str
    datasets: tuple[str, ...]
    scenarios: Mapping[str, tuple[str, ...]]
    strategies: tuple[StrategySpec, ...]
    seeds: tuple[int, ...]
    group_list: tuple[Group, ...]
    source: str = "<spec>"
    text: str = ""

    def groups(self) -> list[Group]:
        """Every (dataset, scenario) pair, datasets outer, in spec order."""
        return list(self.group_list)

    def cells(self) -> list[Cell]:
        """The whole grid: groups x strategies x seeds, in that order."""
        return [
            Cell(group, strategy, seed)
            for group in self.group_list
            for strategy in self.strategies
            for seed in self.seeds
        ]

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form (what ``experiment.json`` records)."""
        return {
            "name": self.name,
            "description": self.description,
            "datasets": list(self.datasets),
            "scenarios": {k: list(v) for k, v in self.scenarios.items()},
            "strategies": [_strategy_dict(s) for s in self.strategies],
            "seeds": list(self.seeds),
            "groups": [g.settings() for g in self.group_list],
        }


def _cell_id(cell: Cell) -> tuple[str, str, int]:
    return (cell.group.name, cell.strategy.label, cell.seed)


def _strategy_dict(spec: StrategySpec) -> dict[str, Any]:
    return dataclasses.asdict(spec)


def _digest(payload: Any) -> str:
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(text.encode()).hexdigest()


_CODE_MODULES = {
    "cache": (
        "banditops.data.datasets",
        "banditops.data.stream",
        "banditops.data.drift",
        "banditops.models.pool",
        "banditops.rewards",
        "banditops.simulation.cache",
        "banditops.simulation.simulate",
    ),
    "replay": (
        "banditops.policies",
        "banditops.metrics",
        "banditops.simulation.replay",
        "banditops.simulation.simulate",
    ),
}
_CODE_DIGESTS: dict[str, str] = {}


def code_digest(kind: str) -> str:
    """sha256 of the source of the modules that compute a cache (``"cache"``) or a replay
    (``"replay"``); a package counts with all its ``.py`` files. Part of the store keys, so
    editing that code invalidates what it computed.

    Examples
    --------
    >>> len(code_digest("replay"))
    64
    """
    if kind not in _CODE_DIGESTS:
        h = hashlib.sha256()
        for module in _CODE_MODULES[kind]:
            found = importlib.util.find_spec(module)
            if found is None or found.origin is None:
                h.update(f"{module}:absent".encode())
                continue
            origin = Path(found.origin)
            files = sorted(origin.parent.glob("*.py")) if origin.name == "__init__.py" else [origin]
            for path in files:
                h.update(f"{module}/{path.name}:".encode())
                h.update(path.read_bytes())
        _CODE_DIGESTS[kind] = h.hexdigest()
    return _CODE_DIGESTS[kind]


class _Where:
    """Names the place in the spec of an error: ``file: [table]: message``."""

    def __init__(self, source: str) -> None:
        self.source = source

    def error(self, table: str | None, message: str) -> ConfigError:
        where = f"[{table}]: " if table else ""
        return ConfigError(f"{self.source}: {where}{message}")

    def check_keys(self, table: str | None, data: Mapping[str, Any], allowed: Sequence[str]):
        for key in data:
            if key not in allowed:
                place = f"in [{table}]" if table else "at the top level"
                raise ConfigError(
                    f"{self.source}: unknown key {key!r} {place}; allowed: {', '.join(allowed)}"
                )

    def table(self, table: str, value: Any) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.error(table, f"must be a table, got {type(value).__name__} {value!r}")
        return value


def load_spec(path: str | Path) -> ExperimentSpec:
    """Read and validate an experiment spec from a TOML file.

    Raises
    ------
    ConfigError
        The file cannot be read or parsed, or anything in it is invalid (the message names
        the file, the table and the key).
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read experiment spec {path}: {exc.strerror or exc}") from None
    return parse_spec(text, source=str(path), default_name=path.stem)


def parse_spec(
    text: str, *, source: str = "<spec>", default_name: str = "experiment"
) -> ExperimentSpec:
    """Parse and validate an experiment spec from TOML text.

    The format (every key optional unless marked; see ``docs/experiments.md``)::

        name = "paper"               # default: the file's stem
        seeds = 20                   # required: a count (from `seed`, default 0) or a list
        chunk_size = 1000            # stream settings, overridable per dataset:
        stream_seed = 0              #   chunk_size, stream_seed, order_by, label_delay,
        label_delay = 0              #   reward, pool
        reward = "cost"              # or {name = "cost", cost_ratio = 10}
        [pool]                       # PoolConfig fields
        families = ["logreg", "hist-gb"]
        [datasets.adult]             # required: a table per dataset (or a list of names)
        chunk_size = 1000
        [scenarios.skew]             # default: one scenario "none" without drift
        drift = ["skew:start=10"]    # drift scenario specs (banditops.data.drift)
        datasets = ["adult"]         # optional: restrict the scenario to these datasets
        [strategies.epsilon-greedy]  # required: a table per strategy (or a list of names)
        epsilon = [0.05, 0.1]        # a list is a grid axis: one variant per value
        policy = "epsilon-greedy"    # default: the table's name
        guardrail = {min_samples = 100}  # or true; default none

    Examples
    --------
    >>> spec = parse_spec('seeds = [3, 7]\\ndatasets = ["adult"]\\nstrategies = ["ucb"]')
    >>> spec.seeds, [c.seed for c in spec.cells()]
    ((3, 7), [3, 7])
    >>> parse_spec('seeds = 2\\nseedz = 1')
    Traceback (most recent call last):
    ...
    banditops.errors.ConfigError: <spec>: unknown key 'seedz' at the top level; allowed: ...
    """
    where = _Where(source)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: not valid TOML: {exc}") from None
    where.check_keys(None, data, _TOP_KEYS)

    name = data.get("name", default_name)
    if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9._-]+", name):
        raise where.error(None, f"name must be letters, digits, '.', '_' or '-', got {name!r}")
    description = data.get("description", "")
    if not isinstance(description, str):
        raise where.error(None, "description must be a string")
    seeds = _parse_seeds(where, data)

    base = {key: data[key] for key in _STREAM_KEYS if key in data}
    datasets = _parse_datasets(where, data.get("datasets"))
    scenarios = _parse_scenarios(where, data.get("scenarios"), list(datasets))
    strategies = _parse_strategies(where, data.get("strategies"))
    policies = tuple(dict.fromkeys(s.policy for s in strategies))

    groups = []
    for dataset, overrides in datasets.items():
        for scenario, (drift, only, order_by) in scenarios.items():
            if only is not None and dataset not in only:
                continue
            table = f"datasets.{dataset}" if overrides else None
            config = _group_config(
                where, table, dataset, base, overrides, drift, order_by, policies, data
            )
            groups.append(Group(dataset, scenario, drift, config))
    if not groups:
        raise where.error(
            "scenarios", "empty grid: no scenario applies to any dataset (check `datasets`)"
        )
    return ExperimentSpec(
        name=name,
        description=description,
        datasets=tuple(datasets),
        scenarios={k: v[0] for k, v in scenarios.items()},
        strategies=tuple(strategies),
        seeds=seeds,
        group_list=tuple(groups),
        source=source,
        text=text,
    )


def _parse_seeds(where: _Where, data: Mapping[str, Any]) -> tuple[int, ...]:
    if "seeds" not in data:
        raise where.error(None, "missing key 'seeds' (a count, e.g. seeds = 20, or a list)")
    raw = data["seeds"]
    first = data.get("seed", 0)
    if isinstance(first, bool) or not isinstance(first, int) or first < 0:
        raise where.error(None, f"seed must be a non-negative integer, got {first!r}")
    if isinstance(raw, list):
        if "seed" in data:
            raise where.error(None, "give either a list of seeds or `seed` with a count, not both")
        if not raw:
            raise where.error(None, "empty grid: seeds = []")
        if any(isinstance(s, bool) or not isinstance(s, int) or s < 0 for s in raw):
            raise where.error(None, f"seeds must be non-negative integers, got {raw!r}")
        if len(set(raw)) != len(raw):
            raise where.error(None, f"seeds must be unique, got {raw!r}")
        return tuple(raw)
    if isinstance(raw, bool) or not isinstance(raw, int):
        raise where.error(None, f"seeds must be a count or a list of integers, got {raw!r}")
    if raw < 1:
        raise where.error(None, f"empty grid: seeds = {raw} (needs at least 1)")
    return tuple(range(first, first + raw))


def _parse_datasets(where: _Where, raw: Any) -> dict[str, dict[str, Any]]:
    from banditops.data.datasets import DATASETS

    if raw is None:
        raise where.error(None, "missing key 'datasets' (e.g. datasets = [\"adult\"])")
    if isinstance(raw, list):
        if any(not isinstance(d, str) for d in raw):
            raise where.error(None, f"datasets must be names, got {raw!r}")
        if len(set(raw)) != len(raw):
            raise where.error(None, f"datasets must be unique, got {raw!r}")
        raw = {d: {} for d in raw}
    table = where.table("datasets", raw)
    if not table:
        raise where.error("datasets", "empty grid: no datasets")
    out = {}
    for dataset, overrides in table.items():
        if dataset not in DATASETS:
            raise where.error(
                f"datasets.{dataset}",
                f"unknown dataset {dataset!r}; known datasets: {', '.join(sorted(DATASETS))}",
            )
        overrides = where.table(f"datasets.{dataset}", overrides)
        where.check_keys(f"datasets.{dataset}", overrides, _STREAM_KEYS)
        out[dataset] = overrides
    return out


def _parse_scenarios(
    where: _Where, raw: Any, datasets: Sequence[str]
) -> dict[str, tuple[tuple[str, ...], tuple[str, ...] | None, Any]]:
    if raw is None:
        return {NO_DRIFT: ((), None, None)}
    table = where.table("scenarios", raw)
    if not table:
        raise where.error("scenarios", "empty grid: no scenarios (omit the table for no drift)")
    out = {}
    for scenario, body in table.items():
        place = f"scenarios.{scenario}"
        if not re.fullmatch(r"[A-Za-z0-9._-]+", scenario):
            raise where.error(place, "a scenario name must be letters, digits, '.', '_' or '-'")
        body = where.table(place, body)
        where.check_keys(place, body, _SCENARIO_KEYS)
        drift = body.get("drift", [])
        if isinstance(drift, str):
            drift = [drift]
        if not isinstance(drift, list) or any(not isinstance(d, str) for d in drift):
            raise where.error(place, f"drift must be a list of scenario strings, got {drift!r}")
        only = body.get("datasets")
        if only is not None:
            if not isinstance(only, list) or not only:
                raise where.error(place, f"datasets must be a non-empty list, got {only!r}")
            unknown = [d for d in only if d not in datasets]
            if unknown:
                raise where.error(
                    place, f"dataset {unknown[0]!r} is not in the spec's datasets {list(datasets)}"
                )
            only = tuple(only)
        out[scenario] = (tuple(drift), only, body.get("order_by"))
    return out


def _format_value(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _parse_strategies(where: _Where, raw: Any) -> list[StrategySpec]:
    if raw is None:
        raise where.error(None, "missing key 'strategies' (e.g. strategies = [\"ucb\"])")
    if isinstance(raw, list):
        if any(not isinstance(s, str) for s in raw):
            raise where.error(None, f"strategies must be names, got {raw!r}")
        if len(set(raw)) != len(raw):
            raise where.error(None, f"strategies must be unique, got {raw!r}")
        raw = {s: {} for s in raw}
    table = where.table("strategies", raw)
    if not table:
        raise where.error("strategies", "empty grid: no strategies")
    specs: list[StrategySpec] = []
    for name, body in table.items():
        place = f"strategies.{name}"
        body = where.table(place, body)
        policy = body.get("policy", name)
        if policy not in POLICIES:
            raise where.error(
                place, f"unknown strategy {policy!r}; known strategies: {', '.join(POLICIES)}"
            )
        accepted = accepted_params(policy)
        for key in body:
            if key not in _STRATEGY_KEYS and key not in accepted:
                raise where.error(
                    place,
                    f"unknown parameter {key!r} of policy {policy!r}; accepted: "
                    + (", ".join(accepted) or "none"),
                )
        wrappers: dict[str, Any] = {}
        for key in _STRATEGY_KEYS[1:]:
            value = body.get(key)
            if value is True:
                value = {}
            elif value is False:
                value = None
            elif value is not None and not isinstance(value, dict):
                raise where.error(place, f"{key} must be true or a table, got {value!r}")
            wrappers[key] = value
        fixed = {k: v for k, v in body.items() if k in accepted and not isinstance(v, list)}
        axes = {k: v for k, v in body.items() if k in accepted and isinstance(v, list)}
        for key, values in axes.items():
            if not values:
                raise where.error(place, f"empty grid: {key} = []")
        combos = itertools.product(*axes.values()) if axes else [()]
        for combo in combos:
            grid = dict(zip(axes, combo, strict=True))
            label = name
            if grid:
                label += "(" + ",".join(f"{k}={_format_value(v)}" for k, v in grid.items()) + ")"
            params = {k: body[k] for k in body if k in fixed or k in grid}
            params.update(grid)
            spec = StrategySpec(label, policy, params, **wrappers)
            try:
                spec.build(0)
            except ConfigError as exc:
                raise where.error(place, f"{label}: {exc}") from None
            except TypeError as exc:
                raise where.error(place, f"{label}: invalid wrapper parameters: {exc}") from None
            specs.append(spec)
    labels = [s.label for s in specs]
    duplicated = sorted({x for x in labels if labels.count(x) > 1})
    if duplicated:
        raise where.error("strategies", f"strategy labels must be unique, got {duplicated}")
    return specs


def _group_config(
    where: _Where,
    table: str | None,
    dataset: str,
    base: Mapping[str, Any],
    overrides: Mapping[str, Any],
    drift: tuple[str, ...],
    order_by: Any,
    policies: tuple[str, ...],
    data: Mapping[str, Any],
) -> SimulationConfig:
    settings = dict(base)
    settings.update({k: v for k, v in overrides.items() if k != "pool"})
    pool = dict(where.table("pool", base.get("pool", {})))
    pool.update(where.table(f"{table}.pool", overrides.get("pool", {})) if table else {})
    for key in pool:
        if key not in _POOL_KEYS:
            raise where.error(
                f"{table}.pool" if table and key in overrides.get("pool", {}) else "pool",
                f"unknown key {key!r}; allowed: {', '.join(_POOL_KEYS)}",
            )
    if order_by is not None:
        settings["order_by"] = order_by
    reward = settings.get("reward")
    reward_params: dict[str, Any] = {}
    if isinstance(reward, dict):
        reward_params = {k: v for k, v in reward.items() if k != "name"}
        reward = reward.get("name")
        if reward is None:
            raise where.error(table or "reward", "reward table needs a `name`")
    place = table or None
    kwargs: dict[str, Any] = {
        key: settings[key] for key in _STREAM_KEYS if key in settings and key != "pool"
    }
    kwargs.update(
        dataset=dataset,
        strategies=policies,
        seeds=1,
        reward=reward,
        reward_params=reward_params,
        data_dir=data.get("data_dir"),
    )
    if drift:
        if "drift" not in {f.name for f in dataclasses.fields(SimulationConfig)}:
            raise where.error(
                "scenarios",
                f"drift scenarios {list(drift)} need banditops.data.drift, which this "
                f"banditops {__version__} does not have",
            )
        kwargs["drift"] = tuple(drift)
    try:
        if "families" in pool and isinstance(pool["families"], list):
            pool["families"] = tuple(pool["families"])
        kwargs["pool"] = PoolConfig(**pool)
        if reward is not None:
            from banditops.rewards import make_reward

            make_reward(reward, **reward_params)
        config = SimulationConfig(**kwargs)
    except ConfigError as exc:
        raise where.error(place, f"dataset {dataset!r}: {exc}") from None
    except TypeError as exc:
        raise where.error(place, f"dataset {dataset!r}: {exc}") from None
    return config


# --------------------------------------------------------------------------------------------
# The store
# --------------------------------------------------------------------------------------------


class Store:
    """Content-addressed storage of prediction caches and cell results.

    Examples
    --------
    >>> import tempfile
    >>> store = Store(tempfile.mkdtemp())
    >>> store.put_cell("ab" * 32, {"seed": 0, "mean_reward": float("nan")})
    >>> store.get_cell("ab" * 32)
    {'mean_reward': nan, 'seed': 0}
    >>> store.get_cell("cd" * 32) is None
    True
    """

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.caches = self.root / "caches"
        self.cells = self.root / "cells"

    def cache_path(self, key: str) -> Path:
        """Where the cache of ``key`` lives (it may not exist yet)."""
        return self.caches / f"{key}.npz"

    def has_cache(self, key: str) -> bool:
        """Whether the cache of ``key`` is stored."""
        return self.cache_path(key).is_file()

    def put_cache(self, key: str, cache: PredictionCache) -> Path:
        """Store a cache (atomically)."""
        self.caches.mkdir(parents=True, exist_ok=True)
        return cache.save(self.cache_path(key))

    def get_cache(self, key: str) -> PredictionCache:
        """Load the cache of ``key``."""
        return PredictionCache.load(self.cache_path(key))

    def get_cell(self, key: str) -> dict[str, Any] | None:
        """The stored per-seed summary of a cell, or None."""
        path = self.cells / key[:2] / f"{key}.json"
        if not path.is_file():
            return None
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            logger.warning("unreadable cell %s: recomputing it", path)
            return None
        if not isinstance(record, dict) or record.get("format") != EXPERIMENT_FORMAT:
            return None
        summary: dict[str, Any] = record["summary"]
        return summary

    def put_cell(self, key: str, summary: Mapping[str, Any]) -> None:
        """Store a cell's per-seed summary (atomically; NaN kept as NaN)."""
        folder = self.cells / key[:2]
        folder.mkdir(parents=True, exist_ok=True)
        record = {"format": EXPERIMENT_FORMAT, "key": key, "summary": summary}
        _atomic_write(folder / f"{key}.json", json.dumps(record, sort_keys=True) + "\n")


# --------------------------------------------------------------------------------------------
# Running
# --------------------------------------------------------------------------------------------


@dataclass
class RunStats:
    """What a run computed and what it found in the store."""

    caches_computed: int = 0
    caches_reused: int = 0
    cells_computed: int = 0
    cells_reused: int = 0
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """Plain dict."""
        return dataclasses.asdict(self)


@dataclass
class ExperimentRun:
    """The outcome of :func:`run_experiment`."""

    out_dir: Path
    spec: ExperimentSpec
    stats: RunStats
    results: dict[str, dict[str, Any]] = field(repr=False)
    paths: dict[str, Path] = field(default_factory=dict, repr=False)


Progress = Callable[[str, int, int], None]


def run_experiment(
    spec: ExperimentSpec,
    out_dir: str | Path,
    *,
    backend: Any = "local",
    store: str | Path | None = None,
    progress: Progress | None = None,
    workers: int | None = None,
    address: str | None = None,
) -> ExperimentRun:
    """Run every cell of ``spec`` not already in the store and write the results directory.

    Parameters
    ----------
    spec : ExperimentSpec
    out_dir : path
        The results directory (created; an existing one is updated).
    backend : {"local", "ray"} or Backend
        Where the work runs (see :mod:`banditops.simulation.backends`).
    store : path, optional
        The content-addressed store (default ``OUT/store``); share one between results
        directories to reuse caches and cells across them.
    progress : callable, optional
        ``progress(phase, done, total)``, phases ``"caches"`` and ``"cells"``.
    workers : int, optional
        Local backend: worker processes (default: the CPU count; 1 runs in-process).
    address : str, optional
        Ray backend: the address of an existing cluster (default: a local Ray).

    Returns
    -------
    ExperimentRun
        With counters (``stats``): caches and cells computed versus reused.
    """
    from banditops.simulation.backends import make_backend

    started = time.perf_counter()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    store_ = Store(store if store is not None else out / "store")
    stats = RunStats()
    groups = spec.groups()
    cache_keys = {g.name: g.cache_key() for g in groups}

    # which caches and cells are missing
    missing_groups = []
    for group in groups:
        if store_.has_cache(cache_keys[group.name]):
            stats.caches_reused += 1
        else:
            missing_groups.append(group)
    cells = spec.cells()
    cell_keys = {_cell_id(c): c.key(cache_keys[c.group.name]) for c in cells}
    summaries: dict[str, dict[str, Any]] = {}
    todo: dict[tuple[str, str], list[int]] = {}  # (group, label) -> seeds
    for cell in cells:
        found = store_.get_cell(cell_keys[_cell_id(cell)])
        if found is not None:
            summaries[cell_keys[_cell_id(cell)]] = found
            stats.cells_reused += 1
        else:
            todo.setdefault((cell.group.name, cell.strategy.label), []).append(cell.seed)

    if missing_groups or todo:
        engine = make_backend(backend, workers=workers, address=address)
        try:
            _compute(
                engine,
                spec,
                store_,
                cache_keys,
                missing_groups,
                todo,
                cell_keys,
                summaries,
                stats,
                progress,
            )
        finally:
            if engine is not backend:  # a backend passed in stays open for its owner
                engine.close()

    results, paths = _write_directory(spec, out, store_, cache_keys, cell_keys, summaries)
    stats.seconds = time.perf_counter() - started
    _atomic_write(
        out / "run.json",
        json.dumps({"stats": stats.to_dict(), "backend": str(backend)}, indent=1) + "\n",
    )
    return ExperimentRun(out, spec, stats, results, paths)


def _compute(
    engine: Any,
    spec: ExperimentSpec,
    store: Store,
    cache_keys: Mapping[str, str],
    missing_groups: Sequence[Group],
    todo: Mapping[tuple[str, str], list[int]],
    cell_keys: Mapping[tuple[str, str, int], str],
    summaries: dict[str, dict[str, Any]],
    stats: RunStats,
    progress: Progress | None,
) -> None:
    from banditops.simulation.backends import CacheJob, ReplayJob

    jobs = [CacheJob(cache_keys[g.name], g.config) for g in missing_groups]
    # two groups with equal settings share one cache: build it once
    unique = list({job.key: job for job in jobs}.values())
    for done, (job, cache) in enumerate(engine.build_caches(unique), start=1):
        store.put_cache(job.key, cache)
        if progress:
            progress("caches", done, len(unique))
    stats.caches_computed += len(jobs)

    by_group = {g.name: g for g in spec.groups()}
    by_label = {s.label: s for s in spec.strategies}
    replay_jobs = [
        ReplayJob(
            cache_keys[group_name],
            by_label[label],
            tuple(seeds),
            replay_settings(by_group[group_name].config),
            group_name,
        )
        for (group_name, label), seeds in todo.items()
    ]
    total = sum(len(job.seeds) for job in replay_jobs)
    done = 0
    paths = {job.cache_key: store.cache_path(job.cache_key) for job in replay_jobs}
    for job, per_seed in engine.run_replays(replay_jobs, paths):
        for summary in per_seed:
            # through JSON, so a fresh cell and a stored one are the same values
            summary = json.loads(json.dumps(summary))
            key = cell_keys[(job.group, job.spec.label, summary["seed"])]
            store.put_cell(key, summary)
            summaries[key] = summary
            stats.cells_computed += 1
            done += 1
        if progress:
            progress("cells", done, total)


def _write_directory(
    spec: ExperimentSpec,
    out: Path,
    store: Store,
    cache_keys: Mapping[str, str],
    cell_keys: Mapping[tuple[str, str, int], str],
    summaries: Mapping[str, dict[str, Any]],
) -> tuple[dict[str, dict[str, Any]], dict[str, Path]]:
    results: dict[str, dict[str, Any]] = {}
    entries = []
    for group in spec.groups():
        cache = store.get_cache(cache_keys[group.name])
        strategies: dict[str, dict[str, Any]] = {}
        for strategy in spec.strategies:
            per_seed = [
                summaries[cell_keys[(group.name, strategy.label, seed)]] for seed in spec.seeds
            ]
            strategies[strategy.label] = strategy_entry(cache, strategy, per_seed)
        config = {**group.settings(), "strategies": [_strategy_dict(s) for s in spec.strategies]}
        result = assemble_results(config, cache, strategies, spec.seeds)
        result["experiment"] = {
            "name": spec.name,
            "scenario": group.scenario,
            "drift": list(group.drift),
            "cache_key": cache_keys[group.name],
        }
        folder = out / "results" / group.name
        write_results(result, folder)
        (folder / "timing.json").unlink(missing_ok=True)  # per-run wall times live in run.json
        results[group.name] = result
        entries.append(
            {
                "name": group.name,
                "dataset": group.dataset,
                "scenario": group.scenario,
                "drift": list(group.drift),
                "path": f"results/{group.name}/results.json",
                "cache_key": cache_keys[group.name],
            }
        )
    index = {
        "format": EXPERIMENT_FORMAT,
        "results_format": RESULTS_FORMAT,
        "banditops_version": __version__,
        "spec": spec.to_dict(),
        "groups": entries,
    }
    paths = {"index": out / "experiment.json"}
    _atomic_write(paths["index"], json.dumps(index, indent=1, sort_keys=True) + "\n")
    if spec.text:
        paths["spec"] = out / "spec.toml"
        _atomic_write(paths["spec"], spec.text)
    return results, paths


# --------------------------------------------------------------------------------------------
# Reading a results directory
# --------------------------------------------------------------------------------------------


@dataclass
class ExperimentResults:
    """A results directory read back: its name and its groups' results dicts, in order.

    ``groups`` maps ``DATASET--SCENARIO`` to a results dict (the ``results.json`` schema);
    a directory written by ``banditops simulate`` reads as one group, scenario ``none``.
    """

    path: Path
    name: str
    groups: dict[str, dict[str, Any]]
    index: dict[str, Any] = field(default_factory=dict)

    def datasets(self) -> list[str]:
        """Datasets in order of first appearance."""
        return list(dict.fromkeys(r["dataset"] for r in self.groups.values()))

    def scenarios(self) -> list[str]:
        """Scenarios in order of first appearance."""
        return list(dict.fromkeys(scenario_of(r) for r in self.groups.values()))

    def strategies(self) -> list[str]:
        """Strategy labels in order of first appearance."""
        return list(dict.fromkeys(s for r in self.groups.values() for s in r["strategies"]))


def scenario_of(results: Mapping[str, Any]) -> str:
    """The scenario name of a results dict (``none`` for a plain simulation)."""
    return str(results.get("experiment", {}).get("scenario", NO_DRIFT))


def _read_results_json(path: Path) -> dict[str, Any]:
    try:
        results = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ResultsError(f"{path}: cannot read it ({exc.strerror or exc})") from None
    except ValueError as exc:
        raise ResultsError(f"{path}: not valid JSON ({exc})") from None
    if not isinstance(results, dict) or "format" not in results:
        raise ResultsError(f"{path}: not a banditops results file (no 'format' key)")
    if results["format"] != RESULTS_FORMAT:
        raise ResultsError(
            f"{path}: results format {results['format']!r} (banditops "
            f"{results.get('banditops_version', '?')}); this banditops {__version__} reads "
            f"format {RESULTS_FORMAT}: rerun the experiment with this version"
        )
    for key in ("dataset", "strategies", "oracle", "versions", "seeds"):
        if key not in results:
            raise ResultsError(f"{path}: results file lacks the key {key!r}")
    # results.json has sorted keys: restore the run's strategy order from its config
    order = [
        s["label"] if isinstance(s, dict) else s
        for s in results.get("config", {}).get("strategies", [])
    ]
    strategies = results["strategies"]
    if sorted(order) == sorted(strategies):
        results["strategies"] = {label: strategies[label] for label in order}
    return results


def load_results(path: str | Path) -> ExperimentResults:
    """Read a results directory (``banditops run`` or ``banditops simulate`` output).

    Raises
    ------
    ResultsError
        The directory is missing, holds no results, or was written by an incompatible
        version (the message names the file).
    """
    path = Path(path)
    if path.is_file() and path.name == "results.json":
        results = _read_results_json(path)
        return ExperimentResults(path.parent, results["dataset"], {_name(results): results})
    if not path.is_dir():
        raise ResultsError(f"{path}: no such results directory")
    index_path = path / "experiment.json"
    if index_path.is_file():
        try:
            index = json.loads(index_path.read_text(encoding="utf-8"))
        except ValueError as exc:
            raise ResultsError(f"{index_path}: not valid JSON ({exc})") from None
        if not isinstance(index, dict) or index.get("format") != EXPERIMENT_FORMAT:
            found = index.get("format") if isinstance(index, dict) else None
            raise ResultsError(
                f"{index_path}: experiment format {found!r}; this banditops {__version__} "
                f"reads format {EXPERIMENT_FORMAT}: rerun the experiment with this version"
            )
        groups = {}
        for entry in index.get("groups", []):
            groups[entry["name"]] = _read_results_json(path / entry["path"])
        if not groups:
            raise ResultsError(f"{index_path}: the index lists no results")
        return ExperimentResults(path, index["spec"]["name"], groups, index)
    if (path / "results.json").is_file():
        results = _read_results_json(path / "results.json")
        return ExperimentResults(path, results["dataset"], {_name(results): results})
    raise ResultsError(
        f"{path}: not a results directory (no experiment.json or results.json in it)"
    )


def _name(results: Mapping[str, Any]) -> str:
    return f"{results['dataset']}--{scenario_of(results)}"


def iter_cells(results: ExperimentResults) -> Iterable[tuple[str, str, dict[str, Any]]]:
    """``(group name, strategy label, strategy entry)`` for every cell of a directory."""
    for name, result in results.groups.items():
        for label, entry in result["strategies"].items():
            yield name, label, entry
