"""Where an experiment's work runs: in-process, local processes, or Ray.

Every backend does the same two things, and the same inputs give the same numbers on all
of them (the work is deterministic given its inputs; results come back keyed, not by
completion order):

* ``build_caches(jobs)``: build each missing prediction cache (the expensive part:
  training and predicting every model version), yielding ``(job, cache)`` as they finish;
* ``run_replays(jobs, cache_paths)``: replay each (strategy, seeds) batch over its stored
  cache, yielding ``(job, per_seed_summaries)``.

Backends
--------
``local`` (:class:`LocalBackend`)
    A ``concurrent.futures.ProcessPoolExecutor`` (``spawn`` start method) with one
    worker per CPU by default; ``workers=1`` runs everything in this process. Replay
    workers read caches from the store and keep the last few in memory.
``ray`` (:class:`RayBackend`)
    Ray tasks, one CPU each. ``address=None`` starts a local Ray with the machine's CPUs
    (or joins the session already running in this process); an address joins an existing
    cluster. Caches travel through Ray's object store (``ray.put`` once per cache), so the
    workers need no shared filesystem, but they need banditops installed and the dataset
    files (``data_dir`` or ``BANDITOPS_DATA_DIR``) on the nodes that build caches. Ray is
    an optional extra (``pip install banditops[ray]``).

Examples
--------
>>> backend = make_backend("local", workers=1)
>>> type(backend).__name__, backend.workers
('LocalBackend', 1)
>>> backend.close()
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from banditops.errors import ConfigError
from banditops.simulation.cache import PredictionCache
from banditops.simulation.simulate import SimulationConfig, StrategySpec, prepare_cache

__all__ = [
    "BACKENDS",
    "CacheJob",
    "LocalBackend",
    "RayBackend",
    "ReplayJob",
    "build_cache",
    "make_backend",
    "replay_job",
]

BACKENDS = ("local", "ray")


@dataclass(frozen=True)
class CacheJob:
    """Build the prediction cache ``key`` from ``config``."""

    key: str
    config: SimulationConfig


@dataclass(frozen=True)
class ReplayJob:
    """Replay ``spec`` for each of ``seeds`` over the cache ``cache_key``, with the replay
    ``settings`` (keywords of :func:`~banditops.simulation.simulate.run_replays`)."""

    cache_key: str
    spec: StrategySpec
    seeds: tuple[int, ...]
    settings: Mapping[str, Any] = field(default_factory=dict)
    group: str = ""


def build_cache(config: SimulationConfig) -> PredictionCache:
    """Build the prediction cache of a group's settings (worker entry point).

    BLAS and OpenMP run single-threaded here: their results change in the last bits with
    the thread count (Ray, for one, gives each one-CPU task one thread), and a cache must
    not depend on where it was built. Parallelism comes from building caches side by side.
    """
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        cache, _ = prepare_cache(config)
    return cache


def replay_job(cache: PredictionCache, job: ReplayJob) -> list[dict[str, Any]]:
    """Per-seed summaries of one replay job over ``cache`` (worker entry point).

    Examples
    --------
    >>> from banditops.simulation.replay import toy_cache
    >>> job = ReplayJob("toy", StrategySpec("ucb", "ucb"), (0, 1))
    >>> [round(s["mean_reward"], 3) for s in replay_job(toy_cache(), job)]
    [0.562, 0.562]
    """
    from banditops.simulation.simulate import run_replays

    out = run_replays(cache, [job.spec], list(job.seeds), **dict(job.settings))
    per_seed: list[dict[str, Any]] = out[job.spec.label]["per_seed"]
    return per_seed


_WORKER_CACHES: dict[str, PredictionCache] = {}


def _replay_from_path(path: str, job: ReplayJob) -> tuple[ReplayJob, list[dict[str, Any]]]:
    cache = _WORKER_CACHES.get(path)
    if cache is None:
        if len(_WORKER_CACHES) >= 4:
            _WORKER_CACHES.pop(next(iter(_WORKER_CACHES)))
        cache = _WORKER_CACHES[path] = PredictionCache.load(path)
    return job, replay_job(cache, job)


def _build_job(job: CacheJob) -> tuple[CacheJob, PredictionCache]:
    return job, build_cache(job.config)


class LocalBackend:
    """Local worker processes (``workers=1``: in this process).

    Parameters
    ----------
    workers : int, optional
        Worker processes (default: ``os.cpu_count()``).
    """

    name = "local"

    def __init__(self, workers: int | None = None) -> None:
        workers = workers if workers is not None else (os.cpu_count() or 1)
        if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
            raise ConfigError(f"workers must be a positive integer, got {workers!r}")
        self.workers = workers
        self._pool: ProcessPoolExecutor | None = None

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            context = multiprocessing.get_context("spawn")
            self._pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=context)
        return self._pool

    def build_caches(self, jobs: Sequence[CacheJob]) -> Iterator[tuple[CacheJob, PredictionCache]]:
        """Build each cache; yields as they finish."""
        if self.workers == 1:
            for job in jobs:
                yield _build_job(job)
            return
        futures = [self._executor().submit(_build_job, job) for job in jobs]
        yield from _as_completed(futures)

    def run_replays(
        self, jobs: Sequence[ReplayJob], cache_paths: Mapping[str, Path]
    ) -> Iterator[tuple[ReplayJob, list[dict[str, Any]]]]:
        """Run each replay job; yields as they finish."""
        if self.workers == 1 or len(jobs) <= 1:
            for job in jobs:
                yield _replay_from_path(str(cache_paths[job.cache_key]), job)
            return
        # jobs of one cache together, so a worker loads each cache as rarely as possible
        ordered = sorted(jobs, key=lambda j: j.cache_key)
        futures = [
            self._executor().submit(_replay_from_path, str(cache_paths[job.cache_key]), job)
            for job in ordered
        ]
        yield from _as_completed(futures)

    def close(self) -> None:
        """Stop the worker processes."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        _WORKER_CACHES.clear()


def _as_completed(futures: Sequence[Future[Any]]) -> Iterator[Any]:
    try:
        for future in as_completed(futures):
            yield future.result()
    finally:
        for future in futures:
            future.cancel()


def _import_ray() -> Any:
    try:
        import ray
    except ImportError:
        raise ConfigError(
            "the ray backend needs Ray, an optional extra: pip install 'banditops[ray]'"
        ) from None
    return ray


class RayBackend:
    """Ray tasks on a local Ray or an existing cluster.

    Parameters
    ----------
    address : str, optional
        An existing cluster (``ray://host:10001`` or ``host:6379``; ``"auto"`` for the
        cluster this machine belongs to). Default: join the Ray session already running in
        this process, else start a local one.
    num_cpus : int, optional
        CPUs of a local Ray started here (default: the machine's).
    """

    name = "ray"

    def __init__(self, address: str | None = None, num_cpus: int | None = None) -> None:
        ray = _import_ray()
        self._ray = ray
        self._owned = False
        if not ray.is_initialized():
            kwargs: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False}
            if address is not None:
                kwargs["address"] = address
            else:
                kwargs["num_cpus"] = num_cpus or os.cpu_count() or 1
            ray.init(**kwargs)
            self._owned = True
        self._build = ray.remote(num_cpus=1)(_build_job)
        self._replay = ray.remote(num_cpus=1)(_ray_replay)

    def build_caches(self, jobs: Sequence[CacheJob]) -> Iterator[tuple[CacheJob, PredictionCache]]:
        """Build each cache as a Ray task; yields as they finish."""
        yield from self._wait([self._build.remote(job) for job in jobs])

    def run_replays(
        self, jobs: Sequence[ReplayJob], cache_paths: Mapping[str, Path]
    ) -> Iterator[tuple[ReplayJob, list[dict[str, Any]]]]:
        """Run each replay job as a Ray task over its cache in the object store."""
        refs = {
            key: self._ray.put(PredictionCache.load(cache_paths[key]))
            for key in dict.fromkeys(job.cache_key for job in jobs)
        }
        yield from self._wait([self._replay.remote(refs[job.cache_key], job) for job in jobs])

    def _wait(self, pending: list[Any]) -> Iterator[Any]:
        try:
            while pending:
                done, pending = self._ray.wait(pending, num_returns=1)
                yield self._ray.get(done[0])
        finally:
            for ref in pending:
                self._ray.cancel(ref)

    def close(self) -> None:
        """Shut Ray down if this backend started it."""
        if self._owned:
            self._ray.shutdown()
            self._owned = False


def _ray_replay(cache: PredictionCache, job: ReplayJob) -> tuple[ReplayJob, list[dict[str, Any]]]:
    return job, replay_job(cache, job)


def make_backend(
    backend: Any = "local", *, workers: int | None = None, address: str | None = None
) -> Any:
    """A backend by name (``local`` or ``ray``), or ``backend`` itself if it is one."""
    if not isinstance(backend, str):
        return backend
    if backend == "local":
        if address is not None:
            raise ConfigError("--address is for the ray backend only")
        return LocalBackend(workers)
    if backend == "ray":
        return RayBackend(address, num_cpus=workers)
    raise ConfigError(f"unknown backend {backend!r}; known backends: {', '.join(BACKENDS)}")
