"""Tables of a results directory: the paper-style comparison and per-group details.

A table is a plain :class:`Table` (title, header, rows of cell strings, the cells to
emphasise, a note), rendered to Markdown by :meth:`Table.markdown` and to HTML by
:meth:`Table.html`, so both report formats show the same numbers.

Layout of the paper-style tables: strategies are rows; with a single scenario the columns
are the datasets (the reference report's layout), with several scenarios there is one
table per dataset and the columns are the scenarios. Each cell is the mean over seeds with
its 95 % Student-t interval; the best mean of each column is emphasised.

Examples
--------
>>> from banditops.report.plots import example_results
>>> table = reward_table({"toy--skew": example_results()})[0]
>>> table.header
['strategy', 'toy']
>>> print(table.markdown().splitlines()[2])
| always-a | 0.6000 (±0) |
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from banditops.metrics import mean_ci

__all__ = [
    "Table",
    "detail_table",
    "fmt_ci",
    "quality_tables",
    "regret_table",
    "reward_table",
]


@dataclass
class Table:
    """A rendered-agnostic table of strings."""

    title: str
    header: list[str]
    rows: list[list[str]]
    bold: set[tuple[int, int]] = field(default_factory=set)
    note: str = ""

    def markdown(self) -> str:
        """GitHub-flavoured Markdown (emphasised cells in bold)."""

        def cell(r: int, c: int, text: str) -> str:
            text = text.replace("|", "\\|")
            return f"**{text}**" if (r, c) in self.bold and text else text

        lines = [
            "| " + " | ".join(self.header) + " |",
            "|" + "|".join(":---" if i == 0 else "---:" for i in range(len(self.header))) + "|",
        ]
        for r, row in enumerate(self.rows):
            lines.append("| " + " | ".join(cell(r, c, t) for c, t in enumerate(row)) + " |")
        return "\n".join(lines)

    def html(self) -> str:
        """An HTML ``<table>`` (emphasised cells in ``<strong>``)."""
        out = ['<table class="results">', "<thead><tr>"]
        out += [f"<th>{html.escape(h)}</th>" for h in self.header]
        out.append("</tr></thead><tbody>")
        for r, row in enumerate(self.rows):
            cells = []
            for c, text in enumerate(row):
                body = html.escape(text)
                if (r, c) in self.bold and text:
                    body = f"<strong>{body}</strong>"
                cells.append(f"<td>{body}</td>" if c else f'<th scope="row">{body}</th>')
            out.append("<tr>" + "".join(cells) + "</tr>")
        out.append("</tbody></table>")
        return "".join(out)


def _num(value: Any) -> float:
    return math.nan if value is None else float(value)


def fmt_ci(mean: Any, ci: Sequence[Any] | None, digits: int = 4) -> str:
    """``mean [lo, hi]``; ``n/a`` for an undefined mean; no interval when it is undefined.

    Examples
    --------
    >>> fmt_ci(0.81234, [0.8, 0.82])
    '0.8123 [0.8000, 0.8200]'
    >>> fmt_ci(12.5, [None, None], 1)
    '12.5'
    >>> fmt_ci(0.5, [0.5, 0.5])  # every seed gave the same value
    '0.5000 (±0)'
    >>> fmt_ci(None, None)
    'n/a'
    """
    m = _num(mean)
    if math.isnan(m):
        return "n/a"
    text = f"{m:.{digits}f}"
    if ci is not None and len(ci) == 2:
        lo, hi = _num(ci[0]), _num(ci[1])
        if not (math.isnan(lo) or math.isnan(hi)):
            if f"{lo:.{digits}f}" == f"{hi:.{digits}f}" == text:
                text += " (±0)"
            else:
                text += f" [{lo:.{digits}f}, {hi:.{digits}f}]"
    return text


def _columns(groups: Mapping[str, Mapping[str, Any]]) -> list[tuple[str, list[str], list[str]]]:
    """``(table suffix, column headers, group names)`` per table (see the module doc)."""
    from banditops.simulation.experiment import scenario_of

    scenarios = list(dict.fromkeys(scenario_of(r) for r in groups.values()))
    if len(scenarios) == 1:
        return [("", [r["dataset"] for r in groups.values()], list(groups))]
    out = []
    for dataset in dict.fromkeys(r["dataset"] for r in groups.values()):
        names = [n for n, r in groups.items() if r["dataset"] == dataset]
        out.append((f": {dataset}", [scenario_of(groups[n]) for n in names], names))
    return out


def _strategies(groups: Mapping[str, Mapping[str, Any]], names: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(s for n in names for s in groups[n]["strategies"]))


def _metric_table(
    groups: Mapping[str, Mapping[str, Any]],
    title: str,
    value: Any,
    *,
    higher_is_better: bool,
    oracle: Any = None,
    digits: int = 4,
    note: str = "",
) -> list[Table]:
    tables = []
    for suffix, headers, names in _columns(groups):
        labels = _strategies(groups, names)
        rows: list[list[str]] = []
        means: list[list[float]] = []
        for label in labels:
            row, row_means = [label], []
            for name in names:
                entry = groups[name]["strategies"].get(label)
                if entry is None:
                    row.append("")
                    row_means.append(math.nan)
                    continue
                mean, ci = value(entry)
                row.append(fmt_ci(mean, ci, digits))
                row_means.append(_num(mean))
            rows.append(row)
            means.append(row_means)
        bold = set()
        for c in range(len(names)):
            column = [m[c] for m in means if not math.isnan(m[c])]
            if column:
                best = max(column) if higher_is_better else min(column)
                bold |= {(r, c + 1) for r, m in enumerate(means) if m[c] == best}
        if oracle is not None:
            rows.append(["oracle"] + [oracle(groups[n]) for n in names])
            for key, text in (("never_flag", "never flag"), ("always_flag", "always flag")):
                values = [groups[n].get("baselines", {}).get(key) for n in names]
                if any(v is not None for v in values):
                    rows.append(
                        [f"baseline: {text}"] + ["" if v is None else f"{v:.4f}" for v in values]
                    )
        tables.append(Table(title + suffix, ["strategy", *headers], rows, bold, note))
    return tables


def reward_table(groups: Mapping[str, Mapping[str, Any]]) -> list[Table]:
    """Mean reward per scored row, 95 % interval over seeds (the paper-style table)."""
    return _metric_table(
        groups,
        "Mean reward per row (95 % CI over seeds)",
        lambda e: (e["mean_reward"], e.get("ci95")),
        higher_is_better=True,
        oracle=lambda r: f"{r['oracle']['mean_reward']:.4f}",
        note="Best mean per column in bold; (±0): every seed gave the same value (a "
        "deterministic strategy). Oracle: the best live version of each chunk in hindsight "
        "(an upper bound no strategy can know in advance). Baselines: always deciding "
        "negative / positive, with no model.",
    )


def regret_table(groups: Mapping[str, Mapping[str, Any]]) -> list[Table]:
    """Cumulative regret against the per-chunk oracle, 95 % interval over seeds."""
    return _metric_table(
        groups,
        "Cumulative regret (95 % CI over seeds; lower is better)",
        lambda e: (e["regret"], e.get("regret_ci95")),
        higher_is_better=False,
        digits=1,
        note="Regret: the reward lost against the per-chunk oracle, summed over all scored "
        "rows (in reward units; 0 is the oracle).",
    )


def _is_fraud(results: Mapping[str, Any]) -> bool:
    reward = results.get("data", {}).get("reward", {})
    return reward.get("name") == "cost"


def quality_tables(groups: Mapping[str, Mapping[str, Any]]) -> list[Table]:
    """Recall, precision and F1 of the served decisions, for the groups with a
    cost-sensitive (fraud) reward; empty when there are none."""
    fraud = {n: r for n, r in groups.items() if _is_fraud(r)}
    tables = []
    for result in fraud.values():
        header = ["strategy", "recall", "precision", "F1", "balanced accuracy"]
        rows = []
        for label, entry in result["strategies"].items():
            cis = entry.get("metrics_ci95", {})
            rows.append(
                [label]
                + [
                    fmt_ci(entry["metrics"].get(m), cis.get(m), 3)
                    for m in ("recall", "precision", "f1", "balanced_accuracy")
                ]
            )
        undefined = {
            f"{label}: {metric} {why}"
            for label, entry in result["strategies"].items()
            for metric, why in entry.get("undefined", {}).items()
        }
        note = (
            "Quality of the decisions actually served (positive = fraud), pooled over the "
            "scored rows of each seed, then mean and 95 % CI over seeds."
        )
        if undefined:
            note += " Undefined values: " + "; ".join(sorted(undefined)) + "."
        tables.append(
            Table(f"Fraud detection quality: {_group_title(result)}", header, rows, note=note)
        )
    return tables


def _group_title(results: Mapping[str, Any]) -> str:
    from banditops.simulation.experiment import scenario_of

    scenario = scenario_of(results)
    return results["dataset"] + ("" if scenario == "none" else f", scenario {scenario}")


def detail_table(results: Mapping[str, Any]) -> Table:
    """One group's per-strategy details: reward, regret, switches, rollbacks, accuracy,
    served rows (and recovery chunks when the results carry them)."""
    has_recovery = any("recovery_chunks" in e for e in results["strategies"].values())
    header = [
        "strategy",
        "mean reward",
        "regret",
        "switches",
        "rollbacks",
        "accuracy",
        "served rows",
    ]
    if has_recovery:
        header.append("recovery (chunks)")
    rows = []
    for label, entry in results["strategies"].items():
        row = [
            label,
            fmt_ci(entry["mean_reward"], entry.get("ci95")),
            fmt_ci(entry["regret"], entry.get("regret_ci95"), 1),
            f"{_num(entry.get('switches')):.1f}",
            f"{_num(entry.get('rollbacks')):.1f}",
            fmt_ci(entry["metrics"].get("accuracy"), entry.get("metrics_ci95", {}).get("accuracy")),
            str(entry.get("served_rows", "")),
        ]
        if has_recovery:
            row.append(_recovery_text(entry.get("recovery_chunks")))
        rows.append(row)
    return Table(
        f"Details: {_group_title(results)}",
        header,
        rows,
        note="Switches: chunks whose main version differs from the previous chunk's; "
        "rollbacks: switches to an older version (means over seeds).",
    )


def _recovery_text(value: Any) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, (int, float)):
        return f"{value:.1f}"
    if isinstance(value, Mapping):
        if "mean" in value:
            text = fmt_ci(value.get("mean"), value.get("ci95"), 1)
            if value.get("not_recovered"):
                text += f" ({value['not_recovered']} seeds never)"
            return (f"@{value['chunk']}: " if "chunk" in value else "") + text
        return ", ".join(f"{k}: {_recovery_text(v)}" for k, v in value.items())
    if isinstance(value, list):
        numbers = [_num(v) for v in value if isinstance(v, (int, float)) or v is None]
        if numbers and len(numbers) == len(value):
            mean, lo, hi = mean_ci(numbers)
            return fmt_ci(mean, [lo, hi], 1)
        return ", ".join(_recovery_text(v) for v in value)
    return str(value)
