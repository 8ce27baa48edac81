"""The curated public API: every name in __all__ resolves, is documented, and is what the
submodule defines; submodule __all__ lists are honest too."""

import importlib
import inspect

import pytest

import banditops

MODULES = [
    "banditops.errors",
    "banditops.rewards",
    "banditops.metrics",
    "banditops.policies",
    "banditops.policies.base",
    "banditops.data",
    "banditops.data.datasets",
    "banditops.data.stream",
    "banditops.models.pool",
    "banditops.simulation.cache",
    "banditops.simulation.replay",
    "banditops.simulation.simulate",
    "banditops.cli",
]


@pytest.mark.parametrize("name", [n for n in banditops.__all__ if n != "__version__"])
def test_top_level_names_resolve_and_are_documented(name):
    obj = getattr(banditops, name)
    assert obj is getattr(importlib.import_module(banditops._EXPORTS[name]), name)
    if inspect.isclass(obj) or inspect.isfunction(obj):
        assert inspect.getdoc(obj), f"{name} has no docstring"


@pytest.mark.parametrize("module", MODULES)
def test_module_all_is_honest(module):
    mod = importlib.import_module(module)
    assert mod.__doc__, f"{module} has no module docstring"
    for name in mod.__all__:
        assert hasattr(mod, name), f"{module}.__all__ lists {name!r}, which does not exist"
        obj = getattr(mod, name)
        if inspect.isclass(obj) or inspect.isfunction(obj):
            assert inspect.getdoc(obj), f"{module}.{name} has no docstring"


def test_unknown_attribute():
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        banditops.nope  # noqa: B018


def test_policy_registry_matches_exports():
    from banditops import policies

    for name, cls in policies.POLICIES.items():
        assert cls.name == name
        assert cls.__name__ in policies.__all__
