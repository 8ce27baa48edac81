"""Comparing two results directories: Welch intervals and verdicts per cell."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from banditops.cli import main
from banditops.errors import ResultsError
from banditops.report.compare import compare_dirs, welch
from banditops.report.plots import example_results


def test_welch_matches_scipy() -> None:
    from scipy import stats

    a, b = [0.80, 0.82, 0.81, 0.79], [0.85, 0.86, 0.84]
    diff, lo, hi = welch(a, b)
    res = stats.ttest_ind(b, a, equal_var=False)
    ci = res.confidence_interval(0.95)
    assert diff == pytest.approx(sum(b) / 3 - sum(a) / 4)
    assert (lo, hi) == pytest.approx((ci.low, ci.high))


def test_welch_degenerate_cases() -> None:
    assert welch([1.0, 1.0], [2.0, 2.0]) == (1.0, 1.0, 1.0)
    diff, lo, hi = welch([1.0], [2.0, 3.0])
    assert diff == 1.5 and lo != lo and hi != hi  # undefined interval
    assert all(v != v for v in welch([], [1.0]))


def _write(folder: Path, results: dict) -> Path:
    folder.mkdir()
    (folder / "results.json").write_text(json.dumps(results))
    return folder


def test_compare_flags_a_clear_change(tmp_path: Path, capsys) -> None:
    base = example_results()
    better = example_results()
    for run in better["strategies"]["always-a"]["per_seed"]:
        run["mean_reward"] += 0.1
        run["regret"] -= 5.0
    a = _write(tmp_path / "a", base)
    b = _write(tmp_path / "b", better)
    comparison = compare_dirs(a, b)
    verdicts = {
        c.strategy: (c.verdict("mean_reward"), c.verdict("regret")) for c in comparison.cells
    }
    assert verdicts["always-a"] == ("better", "better")
    assert verdicts["switcher"] == ("no clear change", "no clear change")
    assert all(c.same_cache for c in comparison.cells)
    assert main(["compare", str(a), str(b), "--out", str(tmp_path / "cmp")]) == 0
    out = capsys.readouterr().out
    assert "mean reward: B - A" in out and "better" in out
    data = json.loads((tmp_path / "cmp" / "compare.json").read_text())
    assert {c["strategy"] for c in data["cells"]} == {"always-a", "switcher"}
    assert (tmp_path / "cmp" / "compare.md").read_text().startswith("# banditops compare")


def test_compare_reports_missing_cells_and_nothing_shared(tmp_path: Path) -> None:
    base = example_results()
    fewer = example_results()
    del fewer["strategies"]["switcher"]
    fewer["config"]["strategies"] = ["always-a"]
    comparison = compare_dirs(_write(tmp_path / "a", base), _write(tmp_path / "b", fewer))
    assert comparison.only_a == ["toy--skew switcher"]
    other = example_results()
    other["dataset"] = "other"
    with pytest.raises(ResultsError, match="share no"):
        compare_dirs(tmp_path / "a", _write(tmp_path / "c", other))
