"""Compare two results directories cell by cell, with intervals.

For every (dataset, scenario, strategy) present in both directories,
:func:`compare_dirs` gives B - A of the mean reward and of the regret, with a 95 % Welch
interval over seeds (unequal variances; the per-seed values of each side are independent
samples), and says whether the interval excludes 0. When both sides replayed the same
prediction cache (equal ``cache_digest``) the difference is the policy's alone; otherwise
the arms themselves differ (another pool, stream or drift), and the comparison says so.

Examples
--------
>>> welch([0.80, 0.82, 0.81], [0.85, 0.86, 0.84])
(0.04, 0.0173..., 0.0626...)
>>> welch([1.0, 1.0], [1.5, 1.5])
(0.5, 0.5, 0.5)
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scipy import stats

from banditops.errors import ResultsError
from banditops.report.tables import Table, fmt_ci
from banditops.simulation.experiment import ExperimentResults, load_results, scenario_of
from banditops.simulation.simulate import _atomic_write, _clean

__all__ = ["CellDiff", "Comparison", "compare_dirs", "compare_results", "welch"]

METRICS = (("mean_reward", "mean reward", True, 4), ("regret", "regret", False, 1))


def welch(
    a: Sequence[float], b: Sequence[float], level: float = 0.95
) -> tuple[float, float, float]:
    """Mean of ``b`` minus mean of ``a`` and its Welch interval.

    With no spread on either side the interval is the difference itself; with fewer than
    two values on a side, it is undefined (NaN).
    """
    xa = [float(v) for v in a if v is not None and not math.isnan(float(v))]
    xb = [float(v) for v in b if v is not None and not math.isnan(float(v))]
    if not xa or not xb:
        return math.nan, math.nan, math.nan
    ma, mb = sum(xa) / len(xa), sum(xb) / len(xb)
    diff = mb - ma

    def var(x: list[float], m: float) -> float:
        return sum((v - m) ** 2 for v in x) / (len(x) - 1) if len(x) > 1 else math.nan

    va, vb = var(xa, ma), var(xb, mb)
    if math.isnan(va) or math.isnan(vb):
        return diff, math.nan, math.nan
    sa, sb = va / len(xa), vb / len(xb)
    se = math.sqrt(sa + sb)
    if se == 0:
        return diff, diff, diff
    dof = (sa + sb) ** 2 / (sa**2 / (len(xa) - 1) + sb**2 / (len(xb) - 1))
    half = float(stats.t.ppf(0.5 + level / 2, dof)) * se
    return diff, diff - half, diff + half


@dataclass
class CellDiff:
    """One (group, strategy) cell's A, B and B - A per metric."""

    group: str
    dataset: str
    scenario: str
    strategy: str
    same_cache: bool
    seeds_a: int
    seeds_b: int
    metrics: dict[str, dict[str, Any]]

    def verdict(self, metric: str) -> str:
        """``better`` / ``worse`` when the interval excludes 0, else ``no clear change``."""
        m = self.metrics[metric]
        lo, hi = m["diff_ci95"]
        higher_is_better = m["higher_is_better"]
        if lo is None or hi is None or math.isnan(lo) or math.isnan(hi):
            return "undefined"
        if lo > 0 or hi < 0:
            up = lo > 0
            if m["diff"] == 0:
                return "no change"
            return "better" if up == higher_is_better else "worse"
        return "no clear change"


@dataclass
class Comparison:
    """Every cell in both directories, plus what is in only one of them."""

    a: str
    b: str
    cells: list[CellDiff]
    only_a: list[str] = field(default_factory=list)
    only_b: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able (NaN as null)."""
        body = {
            "a": self.a,
            "b": self.b,
            "cells": [
                {
                    "group": c.group,
                    "dataset": c.dataset,
                    "scenario": c.scenario,
                    "strategy": c.strategy,
                    "same_cache": c.same_cache,
                    "seeds": [c.seeds_a, c.seeds_b],
                    "metrics": c.metrics,
                    "verdict": {m: c.verdict(m) for m in c.metrics},
                }
                for c in self.cells
            ],
            "only_in_a": self.only_a,
            "only_in_b": self.only_b,
        }
        cleaned: dict[str, Any] = _clean(body)
        return cleaned

    def table(self, metric: str) -> Table:
        """One metric's table: A, B, B - A with its interval, verdict."""
        name, digits = next((n, d) for k, n, _, d in METRICS if k == metric)
        rows = []
        for c in self.cells:
            m = c.metrics[metric]
            rows.append(
                [
                    c.strategy,
                    c.dataset,
                    c.scenario,
                    fmt_ci(m["a"], m["a_ci95"], digits),
                    fmt_ci(m["b"], m["b_ci95"], digits),
                    fmt_ci(m["diff"], m["diff_ci95"], digits),
                    c.verdict(metric) + ("" if c.same_cache else " (arms differ)"),
                ]
            )
        return Table(
            f"{name}: B - A (95 % Welch interval over seeds)",
            ["strategy", "dataset", "scenario", "A", "B", "B - A", "verdict"],
            rows,
            note=f"A = {self.a}, B = {self.b}. 'arms differ': the two runs replayed different "
            "prediction caches, so the difference is not the policy's alone.",
        )

    def text(self) -> str:
        """Plain-text tables for the terminal."""
        out = []
        for metric, *_ in METRICS:
            table = self.table(metric)
            rows = [table.header, *table.rows]
            widths = [max(len(r[i]) for r in rows) for i in range(len(table.header))]
            out.append(table.title)
            for j, row in enumerate(rows):
                out.append(
                    "  ".join(
                        cell.ljust(w) if i in (0, 1, 2, 6) else cell.rjust(w)
                        for i, (cell, w) in enumerate(zip(row, widths, strict=True))
                    ).rstrip()
                )
                if j == 0:
                    out.append("  ".join("-" * w for w in widths))
            out.append("")
        if self.only_a:
            out.append("only in A: " + ", ".join(self.only_a))
        if self.only_b:
            out.append("only in B: " + ", ".join(self.only_b))
        return "\n".join(out).rstrip()

    def markdown(self) -> str:
        """Markdown tables."""
        out = ["# banditops compare", "", f"- A: {self.a}", f"- B: {self.b}", ""]
        for metric, *_ in METRICS:
            table = self.table(metric)
            out += [f"## {table.title}", "", table.markdown(), "", f"*{table.note}*", ""]
        if self.only_a:
            out += ["Only in A: " + ", ".join(self.only_a), ""]
        if self.only_b:
            out += ["Only in B: " + ", ".join(self.only_b), ""]
        return "\n".join(out).rstrip() + "\n"


def compare_results(a: ExperimentResults, b: ExperimentResults) -> Comparison:
    """Compare two loaded results directories (see the module docstring)."""
    cells: list[CellDiff] = []
    only_a: list[str] = []
    only_b: list[str] = []
    for name, ra in a.groups.items():
        rb = b.groups.get(name)
        if rb is None:
            only_a += [f"{name} {s}" for s in ra["strategies"]]
            continue
        for label, ea in ra["strategies"].items():
            eb = rb["strategies"].get(label)
            if eb is None:
                only_a.append(f"{name} {label}")
                continue
            metrics = {}
            for key, _, higher, _ in METRICS:
                va = [s[key] for s in ea["per_seed"]]
                vb = [s[key] for s in eb["per_seed"]]
                diff, lo, hi = welch(va, vb)
                ci_key = "ci95" if key == "mean_reward" else "regret_ci95"
                metrics[key] = {
                    "a": ea[key],
                    "a_ci95": ea.get(ci_key),
                    "b": eb[key],
                    "b_ci95": eb.get(ci_key),
                    "diff": diff,
                    "diff_ci95": [lo, hi],
                    "higher_is_better": higher,
                }
            cells.append(
                CellDiff(
                    name,
                    ra["dataset"],
                    scenario_of(ra),
                    label,
                    ra.get("cache_digest") == rb.get("cache_digest"),
                    len(ea["per_seed"]),
                    len(eb["per_seed"]),
                    metrics,
                )
            )
        only_b += [f"{name} {s}" for s in rb["strategies"] if s not in ra["strategies"]]
    for name, rb in b.groups.items():
        if name not in a.groups:
            only_b += [f"{name} {s}" for s in rb["strategies"]]
    if not cells:
        raise ResultsError(
            f"{a.path} and {b.path} share no (dataset, scenario, strategy) cell to compare"
        )
    return Comparison(str(a.path), str(b.path), cells, only_a, only_b)


def compare_dirs(a: str | Path, b: str | Path) -> Comparison:
    """Load and compare two results directories."""
    return compare_results(load_results(a), load_results(b))


def write_comparison(comparison: Comparison, out_dir: str | Path) -> dict[str, Path]:
    """Write ``compare.md`` and ``compare.json`` into ``out_dir``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {"markdown": out / "compare.md", "json": out / "compare.json"}
    _atomic_write(paths["markdown"], comparison.markdown())
    _atomic_write(
        paths["json"],
        json.dumps(comparison.to_dict(), indent=1, sort_keys=True, allow_nan=False) + "\n",
    )
    return paths
