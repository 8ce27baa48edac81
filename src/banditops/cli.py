"""Command-line interface: parse -> config -> library call -> render.

Examples
--------
>>> parser = build_parser()
>>> args = parser.parse_args(["simulate", "--dataset", "adult", "--seeds", "3"])
>>> args.dataset, args.seeds
('adult', 3)
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from banditops import __version__
from banditops.errors import BanditOpsError, ConfigError

__all__ = ["build_parser", "main", "parse_param"]


def parse_param(text: str) -> tuple[str, str, Any]:
    """Parse ``STRATEGY.KEY=VALUE`` (VALUE as JSON when it parses, else a string).

    Examples
    --------
    >>> parse_param("ucb.c=0.5")
    ('ucb', 'c', 0.5)
    >>> parse_param("ab-test.min_samples=200")
    ('ab-test', 'min_samples', 200)
    """
    if "=" not in text or "." not in text.split("=", 1)[0]:
        raise ConfigError(f"--param takes STRATEGY.KEY=VALUE, got {text!r}")
    target, raw = text.split("=", 1)
    strategy, key = target.rsplit(".", 1)
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        value = raw
    return strategy, key, value


class _Progress:
    """Progress on stderr: a tqdm bar per phase when stderr is a terminal, else a few lines."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.bars: dict[str, Any] = {}
        self.tty = sys.stderr.isatty()
        self.last: dict[str, float] = {}

    def __call__(self, phase: str, done: int, total: int) -> None:
        if not self.enabled:
            return
        if self.tty:
            from tqdm import tqdm

            bar = self.bars.get(phase)
            if bar is None:
                bar = self.bars[phase] = tqdm(total=total, desc=phase, file=sys.stderr, leave=False)
            bar.update(done - bar.n)
            if done >= total:
                bar.close()
            return
        now = time.monotonic()
        if done >= total or now - self.last.get(phase, 0.0) > 5.0:
            self.last[phase] = now
            print(f"[banditops] {phase}: {done}/{total}", file=sys.stderr, flush=True)


def _fmt(value: Any, digits: int = 4) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "nan"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def render_table(results: dict[str, Any]) -> str:
    """A readable text table of a results dict."""
    from banditops.simulation.simulate import summary_rows

    cols = [
        ("strategy", "strategy"),
        ("mean_reward", "reward"),
        ("ci95", "95% CI"),
        ("regret", "regret"),
        ("switches", "switches"),
        ("rollbacks", "rollbacks"),
        ("accuracy", "acc"),
        ("precision", "prec"),
        ("recall", "recall"),
        ("f1", "f1"),
        ("balanced_accuracy", "bal.acc"),
    ]
    body = []
    for row in summary_rows(results):
        ci = (
            ""
            if math.isnan(row["ci95_low"])
            else f"[{row['ci95_low']:.4f}, {row['ci95_high']:.4f}]"
        )
        cells = {**row, "ci95": ci}
        line = []
        for key, _ in cols:
            v = cells[key]
            if key == "strategy" or key == "ci95":
                line.append(str(v))
            elif key in ("switches", "rollbacks"):
                line.append("" if math.isnan(v) else f"{v:.1f}")
            elif key == "regret":
                line.append(f"{v:.1f}")
            else:
                line.append("" if (isinstance(v, float) and math.isnan(v)) else _fmt(v))
        body.append(line)
    header = [h for _, h in cols]
    widths = [max(len(header[i]), *(len(r[i]) for r in body)) for i in range(len(cols))]
    lines = [
        "  ".join(
            h.ljust(w) if i == 0 else h.rjust(w)
            for i, (h, w) in enumerate(zip(header, widths, strict=True))
        )
    ]
    lines.append("  ".join("-" * w for w in widths))
    for r in body:
        lines.append(
            "  ".join(
                c.ljust(w) if i == 0 else c.rjust(w)
                for i, (c, w) in enumerate(zip(r, widths, strict=True))
            )
        )
    data = results["data"]
    reward = data["reward"]
    reward_txt = reward["name"] + (
        f" (cost_ratio={reward['cost_ratio']})" if "cost_ratio" in reward else ""
    )
    head = (
        f"{results['dataset']}: {results['rows']} rows, {results['chunks']} chunks of "
        f"{data['chunk_size']} ({results['scored_chunks']} scored), {len(results['versions'])} "
        f"model versions, reward {reward_txt}, {len(results['seeds'])} seed"
        f"{'s' if len(results['seeds']) != 1 else ''}"
    )
    base = results.get("baselines") or {}
    tail = ""
    if base:
        tail = (
            f"\nbaselines (a constant decision on every scored row): never flag "
            f"{base['never_flag']:.4f}, always flag {base['always_flag']:.4f}"
        )
    return head + "\n" + "\n".join(lines) + tail


def render_drift_table(results: dict[str, Any]) -> str:
    """Per strategy: regret after each drift point, chunks to recover, broken-version share.

    Empty when the run had no drift point.
    """
    drift = results.get("drift") or {}
    points = drift.get("points") or []
    if not points:
        return ""
    window = drift.get("post_drift_window")
    margin = drift.get("recovery_margin")
    header = ["strategy", f"post-drift regret ({window} chunks)", "recovery chunks"]
    broken = bool(drift.get("broken_versions"))
    if broken:
        header += ["broken share", "exit chunks"]
    rows = []
    for name, s in results["strategies"].items():
        total = s.get("post_drift_regret_total", math.nan)
        lo, hi = s.get("post_drift_regret_total_ci95", [math.nan, math.nan])
        ci = "" if lo is None or math.isnan(lo) else f" [{lo:.1f}, {hi:.1f}]"
        recovery = " ".join(
            "-"
            if r["mean"] is None or math.isnan(r["mean"])
            else f"{r['mean']:.1f}"
            + (f"({r['not_recovered']}x never)" if r["not_recovered"] else "")
            for r in s.get("recovery_chunks", [])
        )
        row = [name, f"{total:.1f}{ci}", recovery]
        if broken:
            exits = " ".join(
                "-" if e["mean"] is None or math.isnan(e["mean"]) else f"{e['mean']:.1f}"
                for e in s.get("exit_chunks", [])
            )
            row += [f"{s.get('broken_share', math.nan):.3f}", exits]
        rows.append(row)
    widths = [max(len(header[i]), *(len(r[i]) for r in rows)) for i in range(len(header))]
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    head = (
        f"drift points (chunks) {points}; recovered = served reward within {margin} of the "
        "oracle" + (f"; broken versions {drift['broken_versions']}" if broken else "")
    )
    return head + "\n" + "\n".join(lines)


def _pool_config(args: argparse.Namespace) -> Any:
    """The model pool from the pool flags a command has; unset flags keep the defaults."""
    from banditops.models.pool import PoolConfig

    flags = {
        "warmup_chunks": "warmup_chunks",
        "retrain_every": "retrain_every",
        "train_window": "train_window",
        "max_arms": "max_arms",
        "seed": "model_seed",
    }
    kwargs: dict[str, Any] = {
        key: getattr(args, flag)
        for key, flag in flags.items()
        if getattr(args, flag, None) is not None
    }
    families = getattr(args, "families", None)
    if families is not None:
        kwargs["families"] = tuple(f.strip() for f in families.split(",") if f.strip())
        if not kwargs["families"]:
            raise ConfigError("--families names no model family; give a comma-separated list")
    return PoolConfig(**kwargs)


def _reward_params(args: argparse.Namespace) -> dict[str, Any]:
    """The reward's parameters from ``--cost-ratio`` (none when it is not given)."""
    return {"cost_ratio": args.cost_ratio} if args.cost_ratio is not None else {}


def _writable_dir(path: Path) -> Path:
    """Create ``path`` if needed and check it can be written, before any long work."""
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / ".banditops-write-check"
        probe.write_text("")
        probe.unlink()
    except OSError as exc:
        raise ConfigError(f"cannot write to the output directory {path}: {exc.strerror}") from None
    return path


def _cmd_simulate(args: argparse.Namespace) -> int:
    from banditops.simulation.simulate import (
        DEFAULT_STRATEGIES,
        SimulationConfig,
        simulate,
        summary_json,
        write_results,
    )

    if args.strategies is None:
        strategies = list(DEFAULT_STRATEGIES)
    else:
        strategies = [s.strip() for s in args.strategies.split(",") if s.strip()]
        if not strategies:
            raise ConfigError("--strategies names no strategy; give a comma-separated list")
    if args.guardrail:
        strategies += [f"{s}+guardrail" for s in strategies if "+guardrail" not in s]
    if args.shaping:
        strategies += [
            f"{s.replace('+guardrail', '')}+shaped" + ("+guardrail" if "+guardrail" in s else "")
            for s in strategies
            if "+shaped" not in s
        ]
    params: dict[str, dict[str, Any]] = {}
    wrapper_params: dict[str, dict[str, Any]] = {"guardrail": {}, "shaping": {}}
    for text in args.param or []:
        strategy, key, value = parse_param(text)
        if strategy in wrapper_params:
            wrapper_params[strategy][key] = value
        else:
            params.setdefault(strategy, {})[key] = value
    config = SimulationConfig(
        dataset=args.dataset,
        strategies=strategies,
        strategy_params=params,
        seeds=args.seeds,
        seed=args.seed,
        chunk_size=args.chunk_size,
        stream_seed=args.stream_seed,
        order_by=args.order_by,
        label_delay=args.label_delay,
        reward=args.reward,
        reward_params=_reward_params(args),
        pool=_pool_config(args),
        data_dir=args.data_dir,
        drift=tuple(args.drift or ()),
        guardrail_params=wrapper_params["guardrail"],
        shaping_params=wrapper_params["shaping"],
        recovery_margin=args.recovery_margin,
        post_drift_window=args.post_drift_window,
    )
    out = _writable_dir(Path(args.out) if args.out else Path("results") / args.dataset)
    started = time.perf_counter()
    results = simulate(config, progress=_Progress(not args.quiet))
    wall = time.perf_counter() - started
    paths = write_results(results, out)
    if args.json:
        print(json.dumps(summary_json(results), indent=1, sort_keys=True, allow_nan=False))
    else:
        print(render_table(results))
        drift_table = render_drift_table(results)
        if drift_table:
            print("\n" + drift_table)
        print(f"\nwall time {wall:.1f} s; wrote {paths['results']} and {paths['summary']}")
    return 0


def _cmd_serve(args: argparse.Namespace) -> int:
    # every failure (options, config, store, models, a port in use) is a ConfigError or
    # another BanditOpsError: one line from main(), exit status 2
    from banditops.serve import run

    run(args.config, host=args.host, port=args.port, workers=args.workers, log_level=args.log_level)
    return 0


def _cmd_export_model(args: argparse.Namespace) -> int:
    from banditops.serve.artifacts import prepare_output_dir

    if args.example:
        from banditops.serve.example import build_example_models

        for path in build_example_models(args.example, data_dir=args.data_dir, rows=args.rows):
            print(path)
        return 0
    if not (args.dataset and args.version and args.out):
        raise ConfigError("export-model needs --dataset, --version and --out (or --example DIR)")
    if Path(args.out).suffix != ".skops":
        raise ConfigError(f"--out must name a .skops file, got {args.out!r}")
    prepare_output_dir(Path(args.out).parent)  # before the training, not after
    from banditops.serve.artifacts import export_model
    from banditops.simulation.simulate import SimulationConfig, train_replay_version

    config = SimulationConfig(
        dataset=args.dataset,
        strategies=["naive"],
        chunk_size=args.chunk_size,
        stream_seed=args.stream_seed,
        label_delay=args.label_delay,
        reward=args.reward,
        reward_params=_reward_params(args),
        pool=_pool_config(args),
        data_dir=args.data_dir,
    )
    version, dtypes = train_replay_version(config, args.version)
    reward = config.reward or ("cost" if args.cost_ratio is not None else None)
    from banditops.data.datasets import DATASETS

    path = export_model(
        version,
        args.out,
        feature_dtypes={str(k): v for k, v in dtypes.astype(str).items()},
        dataset=args.dataset,
        reward=reward or DATASETS[args.dataset].default_reward,
    )
    print(path)
    return 0


def _cmd_replay_live(args: argparse.Namespace) -> int:
    import os

    from banditops.serve.replay_live import replay_live_check

    token = os.environ.get(args.token_env) if args.token_env else None
    if args.token_env and not token:
        raise ConfigError(f"--token-env names {args.token_env!r}, which is not set")
    result = replay_live_check(
        args.config,
        args.url,
        dataset=args.dataset,
        data_dir=args.data_dir,
        stream_seed=args.stream_seed,
        chunk_size=args.chunk_size,
        label_delay=args.label_delay,
        n_chunks=args.chunks,
        token=token,
    )
    if args.json:
        print(json.dumps(result, indent=1, sort_keys=True))
    else:
        verdict = "identical" if result["identical"] else "DIFFERENT"
        print(
            f"live vs offline ({result['policy']}, seed {result['seed']}, {result['dataset']}, "
            f"{result['chunks']} chunks of {result['chunk_size']}, label delay "
            f"{result['label_delay']}): {verdict}; {result['mismatched_rows']} of "
            f"{result['rows']} rows differ"
        )
        print(f"traffic live:    {result['traffic_live']}")
        print(f"traffic offline: {result['traffic_offline']}")
    return 0 if result["identical"] else 1


def _cmd_strategies(args: argparse.Namespace) -> int:
    import inspect

    from banditops.policies import POLICIES, accepted_params

    for name, cls in POLICIES.items():
        params = accepted_params(name)
        listed = ", ".join(f"{k}={v!r}" for k, v in params.items()) or "no parameters"
        summary = (inspect.getdoc(cls) or "").split("\n", 1)[0]
        print(f"{name:16s} {summary}\n{'':16s} {listed}")
    return 0


def _cmd_datasets(args: argparse.Namespace) -> int:
    from banditops.data.datasets import DATASETS, search_dirs

    for name, spec in DATASETS.items():
        files = ", ".join(f.name for f in spec.files)
        print(f"{name:15s} {spec.description}")
        print(
            f"{'':15s} files: {files} (folder {spec.folder}/); default reward "
            f"{spec.default_reward}, chunk size {spec.default_chunk_size}; licence: "
            f"{spec.licence}"
        )
    print("searched, in order: " + ", ".join(str(d) for d in search_dirs(args.data_dir)))
    return 0


def _add_serve_parsers(sub: Any) -> None:
    serve = sub.add_parser(
        "serve",
        help="run the live router (FastAPI on uvicorn)",
        description="Serve bandit-routed predictions with delayed feedback "
        "and durable state; see docs/serving.md.",
    )
    serve.add_argument("--config", required=True, help="deployment TOML file")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    serve.add_argument("--workers", type=int, default=1, help="uvicorn workers (default 1)")
    serve.add_argument(
        "--log-level",
        default="info",
        help="uvicorn log level: critical, error, warning, info (default), debug, trace",
    )
    serve.set_defaults(func=_cmd_serve)

    export = sub.add_parser(
        "export-model",
        help="write a replay-trained model version to a file the router loads",
        description="Train the version FAMILY@CHUNK exactly as the replay of --dataset creates "
        "it, and write PATH.skops with its JSON sidecar; or, with --example DIR, the example "
        "deployment's three adult versions.",
    )
    export.add_argument("--example", metavar="DIR", help="write the example models into DIR")
    export.add_argument(
        "--rows", type=int, default=8000, help="--example: training rows (>= 1, default 8000)"
    )
    export.add_argument("--dataset", help="dataset of the replay")
    export.add_argument("--version", help="FAMILY@CHUNK, e.g. logreg@8")
    export.add_argument("--out", help="output model file (PATH.skops)")
    export.add_argument("--data-dir", help="directory holding the dataset files")
    export.add_argument("--chunk-size", type=int, help="rows per chunk (default: per dataset)")
    export.add_argument("--stream-seed", type=int, default=0, help="seed of the stream order")
    export.add_argument("--warmup-chunks", type=int, help="chunks of the first release")
    export.add_argument("--retrain-every", type=int, help="chunks between releases")
    export.add_argument("--train-window", type=int, help="labelled chunks a release trains on")
    export.add_argument("--model-seed", type=int, help="seed of models and splits")
    export.add_argument("--label-delay", type=int, default=0, help="chunks before labels land")
    export.add_argument("--reward", choices=["accuracy", "cost"], help="reward of the replay")
    export.add_argument("--cost-ratio", type=float, help="cost reward: miss / false alarm")
    export.set_defaults(func=_cmd_export_model)

    live = sub.add_parser(
        "replay-live",
        help="stream a real dataset through a running router and compare with the replay",
        description="Predict, then send feedback after the label delay, against a router that "
        "started on a fresh ledger with --config; compare its decisions with the offline "
        "replay of the same policy and seed. Exit 0 when identical.",
    )
    live.add_argument("--config", required=True, help="the deployment TOML the router runs")
    live.add_argument("--url", required=True, help="router base URL, e.g. http://127.0.0.1:8000")
    live.add_argument("--dataset", default="adult", help="dataset to stream (default adult)")
    live.add_argument("--data-dir", help="directory holding the dataset files")
    live.add_argument("--stream-seed", type=int, default=0, help="seed of the stream order")
    live.add_argument("--chunk-size", type=int, default=100, help="rows per chunk (default 100)")
    live.add_argument("--label-delay", type=int, default=1, help="chunks before feedback")
    live.add_argument("--chunks", type=int, default=20, help="chunks to stream (default 20)")
    live.add_argument("--token-env", help="environment variable holding the bearer token")
    live.add_argument("--json", action="store_true", help="print the comparison as JSON")
    live.set_defaults(func=_cmd_replay_live)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``banditops`` command."""
    from banditops.models.pool import PoolConfig

    parser = argparse.ArgumentParser(
        prog="banditops",
        description="Multi-armed bandits that decide which model version serves traffic.",
    )
    parser.add_argument("--version", action="version", version=f"banditops {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log details to stderr")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    sim = sub.add_parser(
        "simulate",
        help="replay a real dataset through deployment strategies",
        description="Replay a real dataset, chunk by chunk, through a pool of retrained model "
        "versions and compare deployment strategies over seeds.",
    )
    sim.add_argument("--dataset", required=True, help="adult | vehicle-claims | creditcard | elec2")
    sim.add_argument(
        "--strategies",
        help="comma-separated policy names, each optionally +shaped and/or +guardrail "
        "(default: the six)",
    )
    sim.add_argument(
        "--param",
        action="append",
        metavar="STRATEGY.KEY=VALUE",
        help="a policy hyperparameter, e.g. epsilon-greedy.epsilon=0.05 (repeatable)",
    )
    sim.add_argument("--seeds", type=int, default=5, help="number of replay seeds (default 5)")
    sim.add_argument("--seed", type=int, default=0, help="first replay seed (default 0)")
    sim.add_argument("--chunk-size", type=int, help="rows per chunk (default: per dataset)")
    pool = PoolConfig()
    sim.add_argument(
        "--warmup-chunks",
        type=int,
        help=f"chunks that train the first release, not scored (default {pool.warmup_chunks})",
    )
    sim.add_argument(
        "--retrain-every", type=int, help=f"chunks between releases (default {pool.retrain_every})"
    )
    sim.add_argument(
        "--train-window",
        type=int,
        help=f"labelled chunks each release trains on (default {pool.train_window})",
    )
    sim.add_argument(
        "--max-arms",
        type=int,
        help=f"most versions live at once; oldest retire (default {pool.max_arms})",
    )
    sim.add_argument("--families", help="comma-separated model families (default: all four)")
    sim.add_argument("--model-seed", type=int, help="seed of models and splits (default 0)")
    sim.add_argument(
        "--label-delay", type=int, default=0, help="chunks before feedback lands (default 0)"
    )
    sim.add_argument(
        "--reward", choices=["accuracy", "cost"], help="reward (default: the dataset's)"
    )
    sim.add_argument(
        "--cost-ratio", type=float, help="cost reward: missed positive / false alarm (default 10)"
    )
    sim.add_argument(
        "--stream-seed",
        type=int,
        default=0,
        help="seed of the stream order (adult is a seeded permutation)",
    )
    sim.add_argument(
        "--order-by",
        help="order the stream by this column instead (e.g. adult by age: a drift of its own)",
    )
    sim.add_argument(
        "--drift",
        action="append",
        metavar="NAME[:key=value,...]",
        help="a drift scenario: covariate, prior, concept or skew, e.g. "
        "skew:release=28,column=age (repeatable; see docs/drift.md)",
    )
    sim.add_argument(
        "--guardrail",
        action="store_true",
        help="also run every strategy wrapped in the guardrail, as NAME+guardrail "
        "(or name them so in --strategies); parameters via --param guardrail.KEY=VALUE",
    )
    sim.add_argument(
        "--shaping",
        action="store_true",
        help="also run every strategy learning from drop-penalty shaped rewards, as "
        "NAME+shaped; parameters via --param shaping.KEY=VALUE",
    )
    sim.add_argument(
        "--recovery-margin",
        type=float,
        default=0.01,
        help="recovered = served reward per row within this of the oracle (default 0.01)",
    )
    sim.add_argument(
        "--post-drift-window",
        type=int,
        default=10,
        help="chunks after a drift point over which regret is summed (default 10)",
    )
    sim.add_argument("--data-dir", help="directory holding the dataset files")
    sim.add_argument("--out", help="output directory (default results/DATASET)")
    sim.add_argument("--json", action="store_true", help="print the summary as JSON")
    sim.add_argument("-q", "--quiet", action="store_true", help="no progress output")
    sim.set_defaults(func=_cmd_simulate)
    strategies = sub.add_parser("strategies", help="list the policies and their parameters")
    strategies.set_defaults(func=_cmd_strategies)
    datasets = sub.add_parser("datasets", help="list the datasets and where they are looked for")
    datasets.add_argument("--data-dir", help="a directory to search first")
    datasets.set_defaults(func=_cmd_datasets)
    _add_serve_parsers(sub)
    _add_experiment_commands(sub)
    return parser


# -- experiments: run, report, compare ------------------------------------------------------


def _add_experiment_commands(sub: Any) -> None:
    run = sub.add_parser(
        "run",
        help="run an experiment spec (datasets x scenarios x strategies x seeds)",
        description="Run every cell of an experiment spec (TOML) not already in the store, "
        "and write one results directory. Rerunning recomputes nothing finished.",
    )
    run.add_argument("spec", help="the experiment spec, a TOML file (see examples/)")
    run.add_argument("--out", help="results directory (default results/NAME)")
    run.add_argument(
        "--backend", choices=["local", "ray"], default="local", help="where to run (local)"
    )
    run.add_argument("--address", help="ray backend: address of an existing cluster")
    run.add_argument(
        "--workers", type=int, help="local: worker processes (default: CPUs); ray: local CPUs"
    )
    run.add_argument("--store", help="content-addressed store (default OUT/store)")
    run.add_argument("--report", action="store_true", help="also write the report")
    run.add_argument("--json", action="store_true", help="print counters and paths as JSON")
    run.add_argument("-q", "--quiet", action="store_true", help="no progress output")
    run.set_defaults(func=_cmd_run)

    report = sub.add_parser(
        "report",
        help="write the HTML and Markdown report of a results directory",
        description="Write report.html (self-contained) and report.md (with img/*.png) "
        "for a `banditops run` or `banditops simulate` results directory.",
    )
    report.add_argument("results", help="results directory")
    report.add_argument("--out", help="report directory (default RESULTS/report)")
    report.add_argument(
        "--seed-index", type=int, default=0, help="which seed the version timeline shows (0)"
    )
    report.set_defaults(func=_cmd_report)

    compare = sub.add_parser(
        "compare",
        help="differences per cell between two results directories, with intervals",
        description="For every (dataset, scenario, strategy) in both directories: B - A of "
        "mean reward and regret with a 95%% Welch interval over seeds.",
    )
    compare.add_argument("a", metavar="DIR_A", help="baseline results directory")
    compare.add_argument("b", metavar="DIR_B", help="results directory to judge")
    compare.add_argument("--out", help="where to write compare.md and compare.json (DIR_B)")
    compare.add_argument("--json", action="store_true", help="print the comparison as JSON")
    compare.set_defaults(func=_cmd_compare)


def _cmd_run(args: argparse.Namespace) -> int:
    from banditops.simulation.experiment import load_spec, run_experiment

    spec = load_spec(args.spec)
    out = Path(args.out) if args.out else Path("results") / spec.name
    n_cells = len(spec.cells())
    if not args.quiet:
        print(
            f"[banditops] {spec.name}: {len(spec.groups())} groups (dataset x scenario) x "
            f"{len(spec.strategies)} strategies x {len(spec.seeds)} seeds = {n_cells} cells",
            file=sys.stderr,
        )
    started = time.perf_counter()
    run = run_experiment(
        spec,
        out,
        backend=args.backend,
        store=args.store,
        progress=_Progress(not args.quiet),
        workers=args.workers,
        address=args.address,
    )
    wall = time.perf_counter() - started
    report_path = None
    if args.report:
        from banditops.report.render import write_report

        report_path = write_report(out).html
    stats = run.stats
    if args.json:
        body: dict[str, Any] = {"out": str(out), "stats": stats.to_dict(), "cells": n_cells}
        if report_path:
            body["report"] = str(report_path)
        print(json.dumps(body, indent=1, sort_keys=True))
        return 0
    for results in run.results.values():
        scenario = results["experiment"]["scenario"]
        print(f"== scenario {scenario} ==" if scenario != "none" else "")
        print(render_table(results))
    print(
        f"\ncaches: {stats.caches_computed} computed, {stats.caches_reused} reused; cells: "
        f"{stats.cells_computed} computed, {stats.cells_reused} reused; wall time {wall:.1f} s"
    )
    print(f"wrote {out / 'experiment.json'}" + (f" and {report_path}" if report_path else ""))
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    from banditops.report.render import write_report

    paths = write_report(args.results, args.out, seed_index=args.seed_index)
    print(f"wrote {paths.html} and {paths.markdown} ({len(paths.images)} images)")
    return 0


def _cmd_compare(args: argparse.Namespace) -> int:
    from banditops.report.compare import compare_dirs, write_comparison

    comparison = compare_dirs(args.a, args.b)
    paths = write_comparison(comparison, args.out if args.out else args.b)
    if args.json:
        print(json.dumps(comparison.to_dict(), indent=1, sort_keys=True, allow_nan=False))
    else:
        print(comparison.text())
        print(f"\nwrote {paths['markdown']} and {paths['json']}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``banditops`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        return int(args.func(args))
    except BanditOpsError as exc:
        print(f"banditops: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("banditops: interrupted", file=sys.stderr)
        return 130
