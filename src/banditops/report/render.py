"""The report of a results directory: a self-contained HTML file and a Markdown file.

:func:`write_report` reads a results directory (``banditops run`` or ``banditops
simulate`` output) and writes, into ``OUT`` (default ``RESULTS_DIR/report``)::

    report.html     self-contained: styles inline, every image embedded as base64 PNG
    report.md       the same content, images beside it in img/
    img/*.png       one file per figure

Sections: the set-up; the paper-style tables (mean reward and regret with 95 % intervals,
and recall / precision / F1 for fraud data); then per dataset x scenario a details table
and four figures: reward per chunk with bands, cumulative regret, the version timeline
(one seed), and the traffic share per version. Drift points and rollback events are
marked when the results carry them. Output is deterministic: the same results directory
gives byte-identical files (no dates; PNGs without metadata).

Examples
--------
>>> import json, tempfile, pathlib
>>> from banditops.report.plots import example_results
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> _ = (folder / "results.json").write_text(json.dumps(example_results()))
>>> paths = write_report(folder)
>>> sorted(p.name for p in paths.images)[:2]
['toy--skew-regret.png', 'toy--skew-reward.png']
>>> "data:image/png;base64," in paths.html.read_text()
True
"""

from __future__ import annotations

import base64
import html
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from banditops import __version__
from banditops.report import plots, tables
from banditops.simulation.experiment import ExperimentResults, load_results, scenario_of

__all__ = ["FIGURES", "ReportPaths", "build_report", "write_report"]

#: (kind, section title, function, caption) of the figures of each group.
FIGURES: tuple[tuple[str, str, Any, str], ...] = (
    (
        "reward",
        "Reward per chunk",
        plots.reward_curves,
        "Mean reward per row of each chunk (line: mean over seeds; band: 95 % CI), with the "
        "oracle (the best live version of each chunk in hindsight) dotted.",
    ),
    (
        "regret",
        "Cumulative regret",
        plots.cumulative_regret,
        "Reward lost against the per-chunk oracle, accumulated over the stream (mean over "
        "seeds, 95 % band). Flat stretches: the strategy serves the best version.",
    ),
    (
        "timeline",
        "Version timeline",
        plots.arm_timeline,
        "The version serving most rows of each chunk, one seed. Colour: model family "
        "(every other generation lighter); a gap: the version changes; red triangle: a "
        "rollback to an older version.",
    ),
    (
        "traffic",
        "Traffic share",
        plots.traffic_share,
        "Share of each chunk's rows served by each version (mean over seeds), stacked in "
        "creation order, coloured by family as in the timeline.",
    ),
)


@dataclass
class ReportPaths:
    """Files written by :func:`write_report`."""

    html: Path
    markdown: Path
    images: list[Path] = field(default_factory=list)


@dataclass
class _Figure:
    name: str
    title: str
    caption: str
    png: bytes


@dataclass
class _Section:
    id: str
    title: str
    tables: list[tables.Table]
    figures: list[_Figure]
    intro: str = ""


def _setup_lines(data: ExperimentResults) -> list[str]:
    lines = []
    for result in data.groups.values():
        reward = result["data"]["reward"]
        reward_text = reward["name"] + (
            f" (a missed positive costs {reward['cost_ratio']:g} false alarms)"
            if "cost_ratio" in reward
            else ""
        )
        scenario = scenario_of(result)
        drift = result.get("experiment", {}).get("drift", [])
        lines.append(
            f"{result['dataset']}"
            + ("" if scenario == "none" else f", scenario {scenario}")
            + (f" (drift: {', '.join(drift)})" if drift else "")
            + f": {result['rows']} rows in {result['chunks']} chunks of "
            f"{result['data']['chunk_size']} ({result['scored_chunks']} scored after "
            f"{result['first_chunk']} warm-up), {len(result['versions'])} model versions, "
            f"reward {reward_text}, positive rate {result['data'].get('positive_rate', 0):.3f}"
        )
    seeds = list(dict.fromkeys(s for r in data.groups.values() for s in r["seeds"]))
    seed_text = (
        f"{seeds[0]}..{seeds[-1]}" if seeds == list(range(seeds[0], seeds[-1] + 1)) else seeds
    )
    lines.append(
        f"{len(data.strategies())} strategies x {len(seeds)} seeds ({seed_text}); every "
        "interval is a 95 % Student-t interval over the seeds."
    )
    return lines


def build_report(data: ExperimentResults, seed_index: int = 0) -> tuple[str, list[_Section]]:
    """The report's title and sections (tables and rendered figures)."""
    title = f"banditops report: {data.name}"
    groups = data.groups
    summary = _Section(
        "summary",
        "Comparison",
        tables.reward_table(groups) + tables.regret_table(groups) + tables.quality_tables(groups),
        [],
    )
    sections = [summary]
    for name, result in groups.items():
        n_seeds = len(next(iter(result["strategies"].values()))["per_seed"])
        index = min(seed_index, n_seeds - 1)
        figures = []
        for kind, fig_title, function, caption in FIGURES:
            png = function(result, index) if kind == "timeline" else function(result)
            figures.append(_Figure(f"{name}-{kind}.png", fig_title, caption, png))
        intro = ""
        points = plots.drift_points(result)
        if points:
            intro = "Drift points: " + ", ".join(f"{n} at chunk {c}" for c, n in points) + "."
        sections.append(
            _Section(
                name,
                tables._group_title(result),
                [tables.detail_table(result)],
                figures,
                intro,
            )
        )
    return title, sections


_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1b1b1b;
background:#fff;line-height:1.45}
main{max-width:1120px;margin:0 auto;padding:24px 32px 64px}
h1{font-size:1.7em;margin:0.2em 0 0.1em}h2{font-size:1.35em;margin-top:2em;
border-bottom:2px solid #e3e3e3;padding-bottom:4px}h3{font-size:1.1em;margin:1.6em 0 0.4em}
p.meta,ul.setup{color:#444;font-size:0.95em}ul.setup{padding-left:1.2em}
nav{background:#f6f7f9;border:1px solid #e3e3e3;border-radius:6px;padding:8px 14px;
margin:16px 0;font-size:0.92em}nav a{margin-right:14px;white-space:nowrap}
table.results{border-collapse:collapse;margin:8px 0 4px;font-size:0.9em;
font-variant-numeric:tabular-nums}
table.results th,table.results td{border-bottom:1px solid #e6e6e6;padding:5px 12px;
text-align:right;white-space:nowrap}
table.results thead th{border-bottom:2px solid #999;background:#fafafa}
table.results th:first-child,table.results td:first-child{text-align:left}
table.results tbody tr:nth-child(even){background:#fbfbfd}
.note{color:#555;font-size:0.85em;margin:2px 0 18px;max-width:980px}
figure{margin:10px 0 28px}figure img{max-width:100%;height:auto;border:1px solid #eee}
figcaption{color:#555;font-size:0.88em;margin-top:4px;max-width:980px}
.scroll{overflow-x:auto}
@media print{nav{display:none}h2{break-before:page}figure{break-inside:avoid}}
"""


def _html(title: str, data: ExperimentResults, sections: list[_Section]) -> str:
    esc = html.escape
    description = data.index.get("spec", {}).get("description", "")
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{esc(title)}</title><style>{_CSS}</style></head><body><main>",
        f"<h1>{esc(title)}</h1>",
    ]
    if description:
        out.append(f"<p>{esc(description)}</p>")
    out.append(f'<p class="meta">banditops {esc(__version__)}; results in {esc(data.name)}</p>')
    out.append('<ul class="setup">')
    out += [f"<li>{esc(line)}</li>" for line in _setup_lines(data)]
    out.append("</ul><nav>")
    out += [f'<a href="#{esc(s.id)}">{esc(s.title)}</a>' for s in sections]
    out.append("</nav>")
    for section in sections:
        out.append(f'<section id="{esc(section.id)}"><h2>{esc(section.title)}</h2>')
        if section.intro:
            out.append(f"<p>{esc(section.intro)}</p>")
        for table in section.tables:
            out.append(f"<h3>{esc(table.title)}</h3>")
            out.append(f'<div class="scroll">{table.html()}</div>')
            if table.note:
                out.append(f'<p class="note">{esc(table.note)}</p>')
        for fig in section.figures:
            data64 = base64.b64encode(fig.png).decode()
            out.append(
                f"<figure><h3>{esc(fig.title)}</h3>"
                f'<img src="data:image/png;base64,{data64}" alt="{esc(fig.title)}: '
                f'{esc(section.title)}"><figcaption>{esc(fig.caption)}</figcaption></figure>'
            )
        out.append("</section>")
    out.append("</main></body></html>")
    return "\n".join(out) + "\n"


def _markdown(title: str, data: ExperimentResults, sections: list[_Section]) -> str:
    out = [f"# {title}", ""]
    description = data.index.get("spec", {}).get("description", "")
    if description:
        out += [description, ""]
    out += [f"banditops {__version__}; results in {data.name}", ""]
    out += [f"- {line}" for line in _setup_lines(data)]
    out.append("")
    for section in sections:
        out += [f"## {section.title}", ""]
        if section.intro:
            out += [section.intro, ""]
        for table in section.tables:
            out += [f"### {table.title}", "", table.markdown(), ""]
            if table.note:
                out += [f"*{table.note}*", ""]
        for fig in section.figures:
            out += [
                f"### {fig.title}",
                "",
                f"![{fig.title}: {section.title}](img/{fig.name})",
                "",
                f"*{fig.caption}*",
                "",
            ]
    return "\n".join(out).rstrip() + "\n"


def write_report(
    results_dir: str | Path | ExperimentResults,
    out_dir: str | Path | None = None,
    *,
    seed_index: int = 0,
) -> ReportPaths:
    """Write ``report.html``, ``report.md`` and ``img/*.png`` for a results directory.

    Parameters
    ----------
    results_dir : path or ExperimentResults
        A ``banditops run`` or ``banditops simulate`` output directory.
    out_dir : path, optional
        Where to write (default ``RESULTS_DIR/report``).
    seed_index : int, default 0
        Which seed (position in the seed list) the version timeline shows.

    Raises
    ------
    ResultsError
        The results directory is missing or from an incompatible version.
    """
    data = results_dir if isinstance(results_dir, ExperimentResults) else load_results(results_dir)
    out = Path(out_dir) if out_dir is not None else data.path / "report"
    (out / "img").mkdir(parents=True, exist_ok=True)
    title, sections = build_report(data, seed_index)
    images = []
    for section in sections:
        for fig in section.figures:
            path = out / "img" / fig.name
            path.write_bytes(fig.png)
            images.append(path)
    html_path = out / "report.html"
    md_path = out / "report.md"
    html_path.write_text(_html(title, data, sections), encoding="utf-8")
    md_path.write_text(_markdown(title, data, sections), encoding="utf-8")
    return ReportPaths(html_path, md_path, images)
