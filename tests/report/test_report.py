"""The report: every section, every referenced image exists, deterministic bytes."""

from __future__ import annotations

import base64
import json
import re
import shutil
from pathlib import Path

import pytest

from banditops.cli import main
from banditops.errors import ResultsError
from banditops.report import plots
from banditops.report.render import FIGURES, write_report
from banditops.report.tables import quality_tables, regret_table, reward_table


@pytest.fixture()
def results_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "toy"
    folder.mkdir()
    (folder / "results.json").write_text(json.dumps(plots.example_results()))
    return folder


def _sections(html: str) -> list[str]:
    return re.findall(r'<section id="([^"]+)">', html)


def test_report_has_every_section_and_image(results_dir: Path) -> None:
    paths = write_report(results_dir)
    html = paths.html.read_text()
    md = paths.markdown.read_text()
    assert _sections(html) == ["summary", "toy--skew"]
    for title in ("Mean reward per row", "Cumulative regret (95 % CI", "Details: toy"):
        assert title in html and title in md
    for _, title, _, _ in FIGURES:
        assert f"<h3>{title}</h3>" in html
        assert f"### {title}" in md
    # Markdown: every referenced image exists beside it, and nothing else is there
    referenced = re.findall(r"!\[[^\]]*\]\((img/[^)]+)\)", md)
    assert len(referenced) == len(FIGURES)
    for ref in referenced:
        assert (paths.markdown.parent / ref).is_file()
    assert sorted(p.name for p in paths.images) == sorted(Path(r).name for r in referenced)
    # HTML: self-contained, every image embedded and a valid PNG
    assert 'src="img/' not in html and "http" not in html.split("<main>")[1]
    embedded = re.findall(r'src="data:image/png;base64,([^"]+)"', html)
    assert len(embedded) == len(FIGURES)
    assert all(base64.b64decode(e).startswith(b"\x89PNG") for e in embedded)
    assert "Drift points: skew at chunk 3." in html


def test_report_is_deterministic(results_dir: Path, tmp_path: Path) -> None:
    first = write_report(results_dir, tmp_path / "one")
    second = write_report(results_dir, tmp_path / "two")
    for a, b in zip(
        [first.html, first.markdown, *first.images],
        [second.html, second.markdown, *second.images],
        strict=True,
    ):
        assert a.read_bytes() == b.read_bytes(), a.name


def test_png_carries_no_software_or_date(results_dir: Path) -> None:
    png = plots.reward_curves(plots.example_results())
    assert b"matplotlib" not in png.lower() and b"Software" not in png


def test_plots_tolerate_one_seed_and_no_drift() -> None:
    results = plots.example_results()
    results.pop("experiment")
    for entry in results["strategies"].values():
        entry["per_seed"] = entry["per_seed"][:1]
    assert plots.drift_points(results) == []
    for function in (plots.reward_curves, plots.cumulative_regret, plots.arm_timeline):
        assert function(results).startswith(b"\x89PNG")
    assert plots.traffic_share(results).startswith(b"\x89PNG")


def test_rollbacks_recorded_or_derived() -> None:
    results = plots.example_results()
    derived = plots.rollback_events(results, "switcher")
    assert derived == [
        {"chunk": 5, "version": "logreg@1", "reason": "switched to an older version"}
    ]
    results["strategies"]["switcher"]["per_seed"][0]["rollbacks_detail"] = [
        {"chunk": 4, "version": "hist-gb@3", "reason": "quarantined"}
    ]
    assert plots.rollback_events(results, "switcher")[0]["reason"] == "quarantined"


def test_paper_tables() -> None:
    groups = {"toy--skew": plots.example_results()}
    (reward,) = reward_table(groups)
    assert reward.header == ["strategy", "toy"]
    assert [r[0] for r in reward.rows] == ["always-a", "switcher", "oracle"]
    assert (1, 1) in reward.bold  # switcher earns more
    (regret,) = regret_table(groups)
    assert (1, 1) in regret.bold  # and regrets less
    assert quality_tables(groups) == []  # accuracy reward: no fraud table
    groups["toy--skew"]["data"]["reward"] = {"name": "cost", "cost_ratio": 10}
    (quality,) = quality_tables(groups)
    assert quality.header[:4] == ["strategy", "recall", "precision", "F1"]


def test_several_scenarios_give_one_table_per_dataset() -> None:
    a = plots.example_results()
    b = plots.example_results()
    b["experiment"] = {"scenario": "none", "drift": []}
    tables = reward_table({"toy--skew": a, "toy--none": b})
    assert [t.title for t in tables] == ["Mean reward per row (95 % CI over seeds): toy"]
    assert tables[0].header == ["strategy", "skew", "none"]


def test_cli_report_and_bad_directory(results_dir: Path, tmp_path: Path, capsys) -> None:
    assert main(["report", str(results_dir), "--out", str(tmp_path / "rep")]) == 0
    assert (tmp_path / "rep" / "report.html").is_file()
    old = tmp_path / "old"
    shutil.copytree(results_dir, old)
    data = json.loads((old / "results.json").read_text())
    data["format"] = 7
    (old / "results.json").write_text(json.dumps(data))
    assert main(["report", str(old)]) == 2
    err = capsys.readouterr().err
    assert "results.json: results format 7" in err
    with pytest.raises(ResultsError):
        write_report(tmp_path / "missing")
