"""Experiment specs: the grid, labels, defaults and every kind of bad input."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from banditops.errors import ConfigError
from banditops.simulation.experiment import load_spec, parse_spec

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

GRID = """
seeds = 3
seed = 10
chunk_size = 1000
[pool]
families = ["logreg"]
[datasets.adult]
[datasets.vehicle-claims]
chunk_size = 500
reward = {name = "cost", cost_ratio = 5}
[strategies.naive]
[strategies.ucb]
c = [0.5, 2.0]
[strategies.eg]
policy = "epsilon-greedy"
epsilon = [0.05, 0.2]
decay = [0.0, 0.1]
initial_value = 0.5
[strategies.guarded]
policy = "ucb"
guardrail = {min_samples = 50}
"""


def test_cells_are_exactly_the_grid() -> None:
    spec = parse_spec(GRID)
    labels = [s.label for s in spec.strategies]
    assert labels == [
        "naive",
        "ucb(c=0.5)",
        "ucb(c=2.0)",
        "eg(epsilon=0.05,decay=0.0)",
        "eg(epsilon=0.05,decay=0.1)",
        "eg(epsilon=0.2,decay=0.0)",
        "eg(epsilon=0.2,decay=0.1)",
        "guarded",
    ]
    assert spec.seeds == (10, 11, 12)
    cells = spec.cells()
    expected = list(itertools.product(["adult", "vehicle-claims"], ["none"], labels, [10, 11, 12]))
    got = [(c.group.dataset, c.group.scenario, c.strategy.label, c.seed) for c in cells]
    assert got == expected
    assert len(set(got)) == len(got) == 2 * 8 * 3
    # every cell key is distinct, and stable
    keys = [c.key() for c in cells]
    assert len(set(keys)) == len(keys)
    assert keys == [c.key() for c in parse_spec(GRID).cells()]


def test_parameters_overrides_and_guardrail() -> None:
    spec = parse_spec(GRID)
    eg = next(s for s in spec.strategies if s.label == "eg(epsilon=0.2,decay=0.1)")
    assert eg.policy == "epsilon-greedy"
    assert eg.params == {"epsilon": 0.2, "decay": 0.1, "initial_value": 0.5}
    guarded = spec.strategies[-1]
    assert guarded.guardrail == {"min_samples": 50}
    adult, claims = (g.settings() for g in spec.groups())
    assert adult["chunk_size"] == 1000 and claims["chunk_size"] == 500
    assert adult["reward"] == {"name": "accuracy"}
    assert claims["reward"] == {"name": "cost", "cost_ratio": 5}
    assert adult["pool"]["families"] == claims["pool"]["families"] == ["logreg"]


def test_cache_key_depends_on_what_builds_the_cache_only() -> None:
    base = parse_spec(GRID).groups()[0]
    same = parse_spec(GRID.replace("[strategies.naive]\n", "")).groups()[0]
    assert base.cache_key() == same.cache_key()
    for old, new in [
        ("chunk_size = 1000", "chunk_size = 900"),
        ('families = ["logreg"]', 'families = ["logreg", "hist-gb"]'),
        ("seeds = 3", "seeds = 3\nstream_seed = 1"),
        ("seeds = 3", "seeds = 3\nlabel_delay = 1"),
    ]:
        assert parse_spec(GRID.replace(old, new)).groups()[0].cache_key() != base.cache_key()
    # explicit defaults are the same cache as implicit ones
    explicit = GRID.replace("[datasets.adult]", '[datasets.adult]\nreward = "accuracy"')
    assert parse_spec(explicit).groups()[0].cache_key() == base.cache_key()


def test_lists_of_names_and_seed_lists() -> None:
    spec = parse_spec('seeds = [4, 2]\ndatasets = ["adult"]\nstrategies = ["naive", "ucb"]')
    assert [(c.strategy.label, c.seed) for c in spec.cells()] == [
        ("naive", 4),
        ("naive", 2),
        ("ucb", 4),
        ("ucb", 2),
    ]


def test_scenarios_restricted_to_datasets() -> None:
    text = GRID + '[scenarios.none]\n[scenarios.only-adult]\ndatasets = ["adult"]\n'
    spec = parse_spec(text)
    assert [g.name for g in spec.groups()] == [
        "adult--none",
        "adult--only-adult",
        "vehicle-claims--none",
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("seeds = 2\nsedes = 3", "<spec>: unknown key 'sedes' at the top level"),
        (
            'seeds = 2\ndatasets = ["adult"]\nstrategies = ["ucb"]\n[pool]\nfamilis = []',
            "<spec>: [pool]: unknown key 'familis'",
        ),
        (
            'seeds = 2\nstrategies = ["ucb"]\n[datasets.adult]\nchunksize = 5',
            "unknown key 'chunksize' in [datasets.adult]",
        ),
        (
            'seeds = 2\nstrategies = ["ucb"]\n[datasets.adlt]',
            "[datasets.adlt]: unknown dataset 'adlt'",
        ),
        (
            'seeds = 2\ndatasets = ["adult"]\n[strategies.greedy]',
            "[strategies.greedy]: unknown strategy 'greedy'",
        ),
        (
            'seeds = 2\ndatasets = ["adult"]\n[strategies.ucb]\nepsilon = 0.1',
            "[strategies.ucb]: unknown parameter 'epsilon' of policy 'ucb'; accepted: c",
        ),
        (
            'seeds = 2\ndatasets = ["adult"]\n[strategies.ucb]\nc = [1.0, -1.0]',
            "[strategies.ucb]: ucb(c=-1.0): c must lie in",
        ),
        (
            'seeds = 2\ndatasets = ["adult"]\n[strategies.ucb]\nc = []',
            "[strategies.ucb]: empty grid: c = []",
        ),
        ('seeds = 0\ndatasets = ["adult"]\nstrategies = ["ucb"]', "empty grid: seeds = 0"),
        ('seeds = []\ndatasets = ["adult"]\nstrategies = ["ucb"]', "empty grid: seeds = []"),
        ("seeds = 2\ndatasets = []\nstrategies = ['ucb']", "[datasets]: empty grid"),
        ("seeds = 2\ndatasets = ['adult']\nstrategies = []", "[strategies]: empty grid"),
        ("seeds = 2\ndatasets = ['adult']\n[strategies]", "[strategies]: empty grid"),
        (
            "seeds = 2\ndatasets = ['adult']\nstrategies = ['ucb']\n[scenarios]",
            "[scenarios]: empty grid",
        ),
        (
            "seeds = 2\ndatasets = ['adult']\nstrategies = ['ucb']\n"
            "[scenarios.x]\ndatasets = ['elec2']",
            "[scenarios.x]: dataset 'elec2' is not in the spec's datasets",
        ),
        ("datasets = ['adult']\nstrategies = ['ucb']", "missing key 'seeds'"),
        ("seeds = 2\nstrategies = ['ucb']", "missing key 'datasets'"),
        (
            "seeds = 2\ndatasets = ['adult']\nstrategies = ['ucb']\nchunk_size = 0",
            "chunk_size must lie in",
        ),
        (
            "seeds = 2\ndatasets = ['adult']\nstrategies = ['ucb']\n[pool]\nfamilies = ['svm']",
            "unknown model family 'svm'",
        ),
        (
            "seeds = 2\ndatasets = ['adult']\nstrategies = ['ucb']\nreward = 'f1'",
            "unknown reward 'f1'",
        ),
        (
            "seeds = 2\ndatasets = ['adult']\n[strategies.ucb]\n[strategies.u]\npolicy = 'ucb'\n"
            "[strategies.'u(c=1)']\npolicy = 'ucb'\n[strategies.x]\npolicy='ucb'\nc=[1]\n"
            "[strategies.'x(c=1)']\npolicy='ucb'",
            "strategy labels must be unique",
        ),
        ("seeds = 2\n[oops", "<spec>: not valid TOML"),
    ],
)
def test_bad_specs_name_the_place(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_spec(text)
    assert message in str(info.value)


def test_load_spec_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text('seeds = 2\ndatasets = ["adult"]\n[strategies.ucb]\nk = 1\n')
    with pytest.raises(ConfigError, match=r"bad\.toml: \[strategies\.ucb\]: unknown parameter"):
        load_spec(path)
    with pytest.raises(ConfigError, match="cannot read experiment spec"):
        load_spec(tmp_path / "missing.toml")


def test_example_paper_spec() -> None:
    spec = load_spec(EXAMPLES / "paper.toml")
    assert spec.datasets == ("adult", "vehicle-claims")
    assert [s.label for s in spec.strategies] == [
        "naive",
        "validation",
        "ab-test",
        "epsilon-greedy",
        "ucb",
        "thompson",
    ]
    assert len(spec.seeds) == 20
    assert len(spec.cells()) == 2 * 6 * 20
