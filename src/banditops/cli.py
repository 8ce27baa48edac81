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
        f"model versions, reward {reward_txt}, {len(results['seeds'])} seeds"
    )
    return head + "\n" + "\n".join(lines)


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


def _cmd_simulate(args: argparse.Namespace) -> int:
    from banditops.models.pool import PoolConfig
    from banditops.simulation.simulate import (
        DEFAULT_STRATEGIES,
        SimulationConfig,
        simulate,
        summary_json,
        write_results,
    )

    strategies = (
        [s.strip() for s in args.strategies.split(",") if s.strip()]
        if args.strategies
        else list(DEFAULT_STRATEGIES)
    )
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
    pool_args = {
        "warmup_chunks": args.warmup_chunks,
        "retrain_every": args.retrain_every,
        "train_window": args.train_window,
        "max_arms": args.max_arms,
        "seed": args.model_seed,
    }
    pool_kwargs: dict[str, Any] = {k: v for k, v in pool_args.items() if v is not None}
    if args.families:
        pool_kwargs["families"] = tuple(f.strip() for f in args.families.split(","))
    reward_params = {"cost_ratio": args.cost_ratio} if args.cost_ratio is not None else {}
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
        reward_params=reward_params,
        pool=PoolConfig(**pool_kwargs),
        data_dir=args.data_dir,
        drift=tuple(args.drift or ()),
        guardrail_params=wrapper_params["guardrail"],
        shaping_params=wrapper_params["shaping"],
        recovery_margin=args.recovery_margin,
        post_drift_window=args.post_drift_window,
    )
    started = time.perf_counter()
    results = simulate(config, progress=_Progress(not args.quiet))
    wall = time.perf_counter() - started
    out = Path(args.out) if args.out else Path("results") / args.dataset
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
    return parser


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
