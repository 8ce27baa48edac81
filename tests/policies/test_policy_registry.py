"""The registry, make_policy, and the house rules every policy module follows."""

from __future__ import annotations

import ast
import inspect
import sys
from pathlib import Path

import pytest

import banditops.policies as policies
from banditops.errors import ConfigError
from banditops.policies import POLICIES, BasePolicy, Policy, make_policy, policy_names

POLICY_DIR = Path(policies.__file__).parent
EXPECTED = ["naive", "validation", "ab-test", "epsilon-greedy", "ucb", "thompson"]


def test_registry_names_are_the_six_strategies_first() -> None:
    assert policy_names()[: len(EXPECTED)] == EXPECTED
    assert policy_names() == list(POLICIES)


def test_registry_matches_the_exports() -> None:
    for name, cls in POLICIES.items():
        assert cls.name == name
        assert cls.__name__ in policies.__all__
        assert getattr(policies, cls.__name__) is cls
    exported_policies = {
        obj
        for obj in (getattr(policies, n) for n in policies.__all__)
        if inspect.isclass(obj) and issubclass(obj, BasePolicy) and obj is not BasePolicy
    }
    assert exported_policies == set(POLICIES.values())


def test_every_policy_satisfies_the_protocol() -> None:
    for cls in POLICIES.values():
        assert isinstance(cls(), Policy)


def test_make_policy_builds_with_seed_and_params() -> None:
    policy = make_policy("thompson", seed=3, prior_alpha=2.0)
    assert policy.params() == {"prior_alpha": 2.0, "prior_beta": 1.0}


def test_make_policy_unknown_name_lists_known_ones() -> None:
    with pytest.raises(ConfigError) as info:
        make_policy("greedy")
    for name in EXPECTED:
        assert name in str(info.value)


def test_make_policy_unknown_params_are_named_with_accepted_ones() -> None:
    with pytest.raises(ConfigError) as info:
        make_policy("epsilon-greedy", epsilon=0.1, eps=0.2, temperature=1)
    message = str(info.value)
    assert "'eps'" in message and "'temperature'" in message
    for accepted in ("epsilon", "initial_value", "decay"):
        assert accepted in message
    with pytest.raises(ConfigError, match="accepted: none"):
        make_policy("naive", c=1.0)


def test_make_policy_invalid_value_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"epsilon must lie in \[0, 1\]"):
        make_policy("epsilon-greedy", epsilon=3)


@pytest.mark.parametrize("cls", list(POLICIES.values()), ids=list(POLICIES))
def test_hyperparameters_are_keyword_only_and_documented(cls: type[BasePolicy]) -> None:
    signature = inspect.signature(cls.__init__)
    doc = inspect.getdoc(cls) or ""
    assert "Examples" in doc and ">>>" in doc
    for param in list(signature.parameters.values())[1:]:
        assert param.kind is inspect.Parameter.KEYWORD_ONLY, param.name
        assert param.name in doc, param.name


def test_policy_modules_depend_only_on_errors_numpy_scipy() -> None:
    allowed_roots = {"numpy", "scipy", "__future__", "banditops"}
    for path in POLICY_DIR.glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                modules = [node.module]
            else:
                continue
            for module in modules:
                root = module.split(".")[0]
                if root == "banditops":
                    assert module == "banditops.errors" or module.startswith(
                        "banditops.policies"
                    ), (path.name, module)
                else:
                    assert root in allowed_roots or root in sys.stdlib_module_names, (
                        path.name,
                        module,
                    )
