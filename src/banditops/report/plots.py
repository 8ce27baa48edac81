"""Plots of a results dict (one dataset x scenario), as PNG bytes.

Every function takes a results dict (the ``results.json`` schema) and returns the PNG
file's bytes. The figures are drawn with matplotlib's Agg renderer on a private
:class:`~matplotlib.figure.Figure` (pyplot's global state and the user's backend are left
alone), under matplotlib's default style plus :data:`STYLE`, and saved without the
software and date metadata, so the same results give byte-identical files.

x axes count chunks in stream position (the warm-up chunks are not scored, so the first
scored chunk is ``first_chunk``). Vertical lines mark model releases (dotted grey), drift
points (dashed red, when the results carry them) and rollback events (when present).

Examples
--------
>>> from banditops.report.plots import reward_curves
>>> png = reward_curves(example_results())
>>> png[:8] == b"\\x89PNG\\r\\n\\x1a\\n"
True
>>> reward_curves(example_results()) == png
True
"""

from __future__ import annotations

import io
import itertools
import math
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np

__all__ = [
    "STYLE",
    "arm_timeline",
    "cumulative_regret",
    "drift_points",
    "example_results",
    "family_colors",
    "release_chunks",
    "reward_curves",
    "rollback_events",
    "seed_band",
    "traffic_share",
]

#: rcParams on top of matplotlib's defaults (print-friendly sizes).
STYLE: dict[str, Any] = {
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "legend.fontsize": 9,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "figure.dpi": 100,
    "savefig.dpi": 110,
    "path.simplify": False,
}

# colour-blind-friendly, distinguishable in grey print by lightness and line style
_LINE_COLORS = (
    "#0072B2",
    "#D55E00",
    "#009E73",
    "#CC79A7",
    "#E69F00",
    "#56B4E9",
    "#000000",
    "#F0E442",
    "#999999",
    "#882255",
)
_LINE_STYLES = ("-", "--", "-.", ":")
_FAMILY_COLORS = {
    "logreg": "#0072B2",
    "random-forest": "#009E73",
    "hist-gb": "#D55E00",
    "naive-bayes": "#CC79A7",
}
_EXTRA_FAMILY_COLORS = ("#E69F00", "#56B4E9", "#882255", "#999999")


@contextmanager
def _style() -> Iterator[None]:
    import matplotlib

    with matplotlib.rc_context():
        matplotlib.rcdefaults()
        params: Any = matplotlib.rcParams
        params.update(STYLE)
        yield


def _figure(width: float, height: float) -> Any:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _png(fig: Any) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata={"Software": None})
    return buf.getvalue()


def _line_style(i: int) -> dict[str, Any]:
    return {
        "color": _LINE_COLORS[i % len(_LINE_COLORS)],
        "linestyle": _LINE_STYLES[(i // len(_LINE_COLORS) + i) % len(_LINE_STYLES)],
    }


# --------------------------------------------------------------------------------------------
# Data helpers
# --------------------------------------------------------------------------------------------


def chunk_axis(results: Mapping[str, Any]) -> np.ndarray:
    """Stream positions of the scored chunks."""
    return np.arange(results["scored_chunks"]) + int(results["first_chunk"])


def seed_band(
    matrix: np.ndarray, level: float = 0.95
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """Per column: the mean over rows (seeds) and a Student-t interval (None for one seed).

    Examples
    --------
    >>> mean, lo, hi = seed_band(np.array([[1.0, 2.0], [3.0, 2.0]]))
    >>> mean.tolist(), float(lo[1]), float(hi[1])
    ([2.0, 2.0], 2.0, 2.0)
    """
    from scipy import stats

    matrix = np.asarray(matrix, dtype=float)
    mean = matrix.mean(axis=0)
    n = matrix.shape[0]
    if n < 2:
        return mean, None, None
    half = stats.t.ppf(0.5 + level / 2, n - 1) * matrix.std(axis=0, ddof=1) / math.sqrt(n)
    return mean, mean - half, mean + half


def _per_seed(entry: Mapping[str, Any], key: str) -> np.ndarray:
    return np.array(
        [[math.nan if v is None else v for v in s["chunks"][key]] for s in entry["per_seed"]],
        dtype=float,
    )


def release_chunks(results: Mapping[str, Any]) -> list[int]:
    """Stream chunks at which new versions were released (after the first release)."""
    chunks = sorted({int(v["created_at"]) for v in results["versions"]})
    return chunks[1:]


def drift_points(results: Mapping[str, Any]) -> list[tuple[int, str]]:
    """Drift points as ``(stream chunk, label)``, from the results when they carry them.

    Reads the recorded ``data.drift_points`` (stream chunks; named after the scenarios in
    ``data.drift``), else falls back on the scenario strings of an experiment
    (``"skew:start=10"``). Empty when there is no drift.

    Examples
    --------
    >>> drift_points({"experiment": {"drift": ["prior:start=20,rate=0.2"]}})
    [(20, 'prior')]
    >>> drift_points({"data": {"drift_points": [7], "drift": [{"name": "skew"}]}})
    [(7, 'skew')]
    >>> drift_points({})
    []
    """
    points: list[tuple[int, str]] = []
    data = results.get("data", {})
    recorded = data.get("drift_points", results.get("drift_points"))
    if isinstance(recorded, list) and recorded:
        described = data.get("drift") or results.get("drift") or []
        names = [str(d.get("name", "drift")) for d in described if isinstance(d, Mapping)]
        label = ", ".join(dict.fromkeys(names)) or "drift"
        for p in recorded:
            if isinstance(p, Mapping):
                chunk = p.get("chunk", p.get("start"))
                if isinstance(chunk, (int, float)):
                    points.append((int(chunk), str(p.get("name", label))))
            elif isinstance(p, (int, float)):
                points.append((int(p), label))
        if points:
            return sorted(set(points))
    for text in results.get("experiment", {}).get("drift", []):
        name, _, rest = str(text).partition(":")
        match = re.search(r"(?:^|,)\s*start\s*=\s*(\d+)", rest)
        if match:
            points.append((int(match.group(1)), name.strip()))
    return sorted(set(points))


def rollback_events(
    results: Mapping[str, Any], label: str, seed_index: int = 0
) -> list[dict[str, Any]]:
    """Rollback events of strategy ``label`` in one seed: ``[{chunk, version, reason}]``.

    Uses the recorded ``rollbacks_detail`` when the results have it (guardrail events);
    otherwise derives them from the timeline: a chunk whose main version is older than the
    previous chunk's (the ``rollbacks`` metric), reason ``"switched to an older version"``.
    ``chunk`` is a stream position.
    """
    entry = results["strategies"][label]
    run = entry["per_seed"][seed_index]
    recorded = run.get("rollbacks_detail")
    if recorded is None and isinstance(entry.get("rollbacks_detail"), list):
        detail = entry["rollbacks_detail"]
        # per strategy: either one list per seed or a flat list with seeds
        if detail and isinstance(detail[0], list):
            recorded = detail[seed_index] if seed_index < len(detail) else []
        else:
            recorded = [e for e in detail if e.get("seed", run["seed"]) == run["seed"]]
    if recorded is not None:
        return [dict(e) for e in recorded]
    created = {v["id"]: v["created_at"] for v in results["versions"]}
    main = run["chunks"]["main_arm"]
    first = int(results["first_chunk"])
    events = []
    for k in range(1, len(main)):
        if main[k] != main[k - 1] and created[main[k]] < created[main[k - 1]]:
            events.append(
                {"chunk": first + k, "version": main[k], "reason": "switched to an older version"}
            )
    return events


def family_colors(families: Sequence[str]) -> dict[str, str]:
    """A fixed colour per model family (the four built-in ones always the same).

    Examples
    --------
    >>> family_colors(["logreg", "new-family"])
    {'logreg': '#0072B2', 'new-family': '#E69F00'}
    """
    out = {}
    extra = iter(_EXTRA_FAMILY_COLORS * 4)
    for fam in families:
        out[fam] = _FAMILY_COLORS.get(fam) or next(extra)
    return out


def _version_colors(results: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """Per version: its family's colour, lighter for every other generation (so two
    consecutive versions of one family stay distinguishable)."""
    from matplotlib.colors import to_rgb

    families = list(dict.fromkeys(v["family"] for v in results["versions"]))
    base = family_colors(families)
    generation: dict[str, int] = {}
    colors = {}
    for v in results["versions"]:
        g = generation.get(v["family"], 0)
        generation[v["family"]] = g + 1
        rgb = np.array(to_rgb(base[v["family"]]))
        if g % 2:
            rgb = rgb + (1 - rgb) * 0.45
        colors[v["id"]] = tuple(rgb.tolist())
    return colors, base


def _mark_chunks(ax: Any, results: Mapping[str, Any], *, releases: bool = True) -> list[Any]:
    """Release and drift lines; returns legend handles for them."""
    from matplotlib.lines import Line2D

    handles = []
    if releases:
        for c in release_chunks(results):
            ax.axvline(c - 0.5, color="#777777", linestyle=":", linewidth=0.8, zorder=0)
        if release_chunks(results):
            handles.append(
                Line2D([], [], color="#777777", linestyle=":", linewidth=0.8, label="release")
            )
    points = drift_points(results)
    for c, _ in points:
        ax.axvline(c - 0.5, color="#C00000", linestyle="--", linewidth=1.4, zorder=1)
    if points:
        names = ", ".join(dict.fromkeys(name for _, name in points))
        handles.append(
            Line2D([], [], color="#C00000", linestyle="--", linewidth=1.4, label=f"drift ({names})")
        )
    return handles


def _title(results: Mapping[str, Any], what: str) -> str:
    scenario = results.get("experiment", {}).get("scenario", "none")
    where = results["dataset"] + ("" if scenario == "none" else f", scenario {scenario}")
    return f"{what}: {where}"


def _chunk_label(results: Mapping[str, Any]) -> str:
    size = results.get("data", {}).get("chunk_size")
    return "chunk (stream position" + (f"; {size} rows each)" if size else ")")


def _legend_right(fig: Any, ax: Any, handles: Sequence[Any] | None = None) -> None:
    handles = list(handles) if handles is not None else ax.get_legend_handles_labels()[0]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)


# --------------------------------------------------------------------------------------------
# The figures
# --------------------------------------------------------------------------------------------


def reward_curves(results: Mapping[str, Any]) -> bytes:
    """Mean reward per row of each scored chunk, per strategy, with its 95 % band over
    seeds, and the oracle (the best live version of each chunk)."""
    x = chunk_axis(results)
    with _style():
        fig = _figure(10, 4.6)
        ax = fig.add_subplot()
        extra = _mark_chunks(ax, results)
        oracle = np.array(results["oracle"]["chunks"]["reward"], dtype=float)
        ax.plot(x, oracle, color="black", linewidth=1.2, linestyle=(0, (1, 1)), label="oracle")
        for i, (label, entry) in enumerate(results["strategies"].items()):
            style = _line_style(i)
            mean, lo, hi = seed_band(_per_seed(entry, "reward"))
            ax.plot(x, mean, linewidth=1.5, label=label, **style)
            if lo is not None and hi is not None:
                ax.fill_between(x, lo, hi, color=style["color"], alpha=0.15, linewidth=0)
        ax.set_xlabel(_chunk_label(results))
        ax.set_ylabel(f"mean reward per row ({results['data']['reward']['name']})")
        ax.set_title(_title(results, "Reward per chunk (mean over seeds, 95 % band)"))
        _legend_right(fig, ax, ax.get_legend_handles_labels()[0] + extra)
        return _png(fig)


def cumulative_regret(results: Mapping[str, Any]) -> bytes:
    """Cumulative regret against the per-chunk oracle, per strategy, with its 95 % band."""
    x = chunk_axis(results)
    with _style():
        fig = _figure(10, 4.6)
        ax = fig.add_subplot()
        extra = _mark_chunks(ax, results)
        for i, (label, entry) in enumerate(results["strategies"].items()):
            style = _line_style(i)
            mean, lo, hi = seed_band(np.cumsum(_per_seed(entry, "regret"), axis=1))
            ax.plot(x, mean, linewidth=1.5, label=label, **style)
            if lo is not None and hi is not None:
                ax.fill_between(x, lo, hi, color=style["color"], alpha=0.15, linewidth=0)
        ax.set_xlabel(_chunk_label(results))
        ax.set_ylabel("cumulative regret (reward lost vs oracle, summed over rows)")
        ax.set_title(_title(results, "Cumulative regret (mean over seeds, 95 % band)"))
        _legend_right(fig, ax, ax.get_legend_handles_labels()[0] + extra)
        return _png(fig)


def arm_timeline(results: Mapping[str, Any], seed_index: int = 0) -> bytes:
    """Which version served each chunk (the one serving most rows), per strategy, for one
    seed: colour = model family (alternate generations lighter), a white gap where the
    version changes, a red triangle at each rollback."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    x = chunk_axis(results)
    labels = list(results["strategies"])
    colors, base = _version_colors(results)
    seed = results["strategies"][labels[0]]["per_seed"][seed_index]["seed"]
    with _style():
        fig = _figure(10, 1.2 + 0.42 * len(labels))
        ax = fig.add_subplot()
        ax.grid(False)
        for row, label in enumerate(labels):
            run = results["strategies"][label]["per_seed"][seed_index]
            main = run["chunks"]["main_arm"]
            y = len(labels) - 1 - row
            for k, version in enumerate(main):
                changed = k > 0 and main[k - 1] != version
                left = x[k] - 0.5 + (0.12 if changed else 0.0)
                ax.broken_barh(
                    [(left, x[k] + 0.5 - left)],
                    (y - 0.38, 0.76),
                    facecolors=colors[version],
                    edgecolor="none",
                )
            for event in rollback_events(results, label, seed_index):
                ax.plot(
                    event["chunk"],
                    y + 0.5,
                    marker="v",
                    color="#C00000",
                    markersize=7,
                    markeredgecolor="white",
                    markeredgewidth=0.6,
                    zorder=5,
                    clip_on=False,
                )
        extra = _mark_chunks(ax, results)
        ax.set_yticks(range(len(labels)), labels[::-1])
        ax.set_ylim(-0.6, len(labels) - 0.2)
        ax.set_xlim(x[0] - 0.6, x[-1] + 0.6)
        ax.set_xlabel(_chunk_label(results))
        ax.set_title(_title(results, f"Version serving each chunk (seed {seed})"))
        handles: list[Any] = [Patch(facecolor=c, label=f) for f, c in base.items()]
        handles.append(Patch(facecolor="#DDDDDD", label="lighter: alternate generation"))
        handles.append(
            Line2D([], [], marker="v", color="#C00000", linestyle="none", label="rollback")
        )
        _legend_right(fig, ax, handles + extra)
        return _png(fig)


def traffic_share(results: Mapping[str, Any], columns: int = 2) -> bytes:
    """Share of each chunk's rows served by each version, per strategy (mean over seeds),
    stacked in creation order, coloured as in :func:`arm_timeline`."""
    from matplotlib.patches import Patch

    x = chunk_axis(results)
    labels = list(results["strategies"])
    ids = [v["id"] for v in results["versions"]]
    index = {v: i for i, v in enumerate(ids)}
    sizes = np.diff(_chunk_bounds(results))
    colors, base = _version_colors(results)
    rows = math.ceil(len(labels) / columns)
    with _style():
        fig = _figure(10, 0.6 + 2.1 * rows)
        axes = fig.subplots(rows, columns, sharex=True, sharey=True, squeeze=False)
        for i, label in enumerate(labels):
            ax = axes[i // columns][i % columns]
            share = np.zeros((len(ids), len(x)))
            runs = results["strategies"][label]["per_seed"]
            for run in runs:
                for k, traffic in enumerate(run["chunks"]["traffic"]):
                    for version, n in traffic.items():
                        share[index[version], k] += n / sizes[k]
            share *= 100.0 / len(runs)
            bottom = np.zeros(len(x))
            for v in range(len(ids)):
                if share[v].any():
                    ax.bar(
                        x,
                        share[v],
                        width=1.0,
                        bottom=bottom,
                        color=colors[ids[v]],
                        linewidth=0,
                    )
                    bottom += share[v]
            _mark_chunks(ax, results)
            ax.set_title(label, fontsize=10)
            ax.set_ylim(0, 100)
            ax.set_xlim(x[0] - 0.5, x[-1] + 0.5)
            ax.grid(False)
            if i % columns == 0:
                ax.set_ylabel("% of rows")
            if i // columns == rows - 1:
                ax.set_xlabel("chunk (stream position)")
        for j in range(len(labels), rows * columns):
            axes[j // columns][j % columns].set_visible(False)
        handles = [Patch(facecolor=c, label=f) for f, c in base.items()]
        handles.append(Patch(facecolor="#DDDDDD", label="lighter: alternate generation"))
        fig.legend(handles=handles, loc="outside lower center", ncols=len(handles), frameon=False)
        fig.suptitle(
            _title(results, f"Traffic share by version (mean over {len(runs)} seeds)"),
            fontsize=11,
        )
        return _png(fig)


def _chunk_bounds(results: Mapping[str, Any]) -> np.ndarray:
    """Row boundaries of the scored chunks (from the first seed's traffic)."""
    run = next(iter(results["strategies"].values()))["per_seed"][0]
    sizes = [sum(t.values()) for t in run["chunks"]["traffic"]]
    return np.concatenate([[0], np.cumsum(sizes)])


def example_results() -> dict[str, Any]:
    """A small synthetic results dict (two versions, two strategies, two seeds, a drift
    point) in the ``results.json`` schema, for examples and tests.

    Examples
    --------
    >>> results = example_results()
    >>> list(results["strategies"]), results["scored_chunks"]
    (['always-a', 'switcher'], 6)
    """
    from banditops.metrics import classification_metrics
    from banditops.simulation.simulate import aggregate_runs

    versions = [
        {"id": "logreg@1", "family": "logreg", "created_at": 1},
        {"id": "hist-gb@3", "family": "hist-gb", "created_at": 3},
    ]

    def run(seed: int, main: list[str], reward: list[float]) -> dict[str, Any]:
        quality = classification_metrics(np.array([30, 5, 5, 20]))
        regret = [round((0.9 - r) * 10, 6) for r in reward]
        switches = sum(a != b for a, b in itertools.pairwise(main))
        return {
            "seed": seed,
            "mean_reward": float(np.mean(reward)),
            "realized_reward": float(np.mean(reward)),
            "cumulative_reward": float(np.sum(reward) * 10),
            "regret": float(sum(regret)),
            "switches": switches,
            "rollbacks": sum(
                a == "hist-gb@3" and b == "logreg@1" for a, b in itertools.pairwise(main)
            ),
            "served_rows": 60,
            "metrics": quality.values,
            "undefined": quality.undefined,
            "chunks": {
                "reward": reward,
                "regret": regret,
                "main_arm": main,
                "traffic": [{m: 10} for m in main],
            },
        }

    a = ["logreg@1"] * 6
    b = ["logreg@1", "logreg@1", "hist-gb@3", "hist-gb@3", "logreg@1", "hist-gb@3"]
    per_seed = {
        "always-a": [run(s, a, [0.8, 0.8, 0.5, 0.5, 0.5, 0.5]) for s in (0, 1)],
        "switcher": [
            run(0, b, [0.8, 0.8, 0.9, 0.9, 0.5, 0.9]),
            run(1, b, [0.8, 0.7, 0.9, 0.8, 0.5, 0.9]),
        ],
    }
    return {
        "format": 1,
        "banditops_version": "0",
        "dataset": "toy",
        "rows": 70,
        "chunks": 7,
        "first_chunk": 1,
        "scored_chunks": 6,
        "scored_rows": 60,
        "seeds": [0, 1],
        "config": {"strategies": list(per_seed)},
        "data": {"chunk_size": 10, "reward": {"name": "accuracy"}, "positive_rate": 0.4},
        "cache_digest": "0" * 64,
        "versions": versions,
        "oracle": {"mean_reward": 0.9, "chunks": {"reward": [0.9] * 6}},
        "experiment": {"scenario": "skew", "drift": ["skew:start=3"]},
        "strategies": {
            label: {"policy": label, "params": {}, **aggregate_runs(runs), "per_seed": runs}
            for label, runs in per_seed.items()
        },
    }
