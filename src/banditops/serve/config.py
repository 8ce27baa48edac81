"""The deployment configuration of the live router (a TOML file).

A deployment names the model files (the arms), the policy and its parameters, the
optional guardrail, the state store, the feedback rules (reward, censoring timeout),
security and input limits. Every relative path is resolved against the directory of the
configuration file, so a deployment directory can be moved as a whole.

Examples
--------
>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> _ = (folder / "deployment.toml").write_text('''
... seed = 7
... models = ["models/logreg.skops"]
... [policy]
... name = "thompson"
... [feedback]
... reward = "cost-sensitive"
... cost_ratio = 5.0
... timeout_seconds = 60
... ''')
>>> config = load_config(folder / "deployment.toml")
>>> config.policy.name, config.seed, config.feedback.reward.name
('thompson', 7, 'cost-sensitive')
>>> config.store.url.endswith("banditops-state.sqlite")
True
>>> reward_for_label(config.feedback.reward, label=1, prediction=0)
0.0
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from banditops.errors import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

__all__ = [
    "DeploymentConfig",
    "FeedbackConfig",
    "GuardrailConfig",
    "LimitsConfig",
    "PolicyConfig",
    "RewardSpec",
    "SecurityConfig",
    "StoreConfig",
    "load_config",
    "reward_for_label",
]

REWARDS = ("accuracy", "cost", "cost-sensitive")  # "cost-sensitive" is an alias of "cost"


@dataclass(frozen=True)
class RewardSpec:
    """How a label turns into a reward in [0, 1] for the prediction that was served.

    Parameters
    ----------
    name : {"accuracy", "cost", "cost-sensitive"}
        ``accuracy``: 1 for a correct prediction, else 0. ``cost`` (alias
        ``cost-sensitive``, as in :class:`banditops.rewards.CostReward`): a missed
        positive (false negative) costs ``cost_ratio``, a false alarm costs 1, a correct
        prediction costs 0; the reward is ``1 - cost / cost_ratio``.
    cost_ratio : float
        Cost of a missed positive relative to a false alarm (>= 1; default 10, the
        default of :class:`banditops.rewards.CostReward`).

    Examples
    --------
    >>> RewardSpec("cost-sensitive", cost_ratio=4.0)
    RewardSpec(name='cost-sensitive', cost_ratio=4.0)
    """

    name: str = "accuracy"
    cost_ratio: float = 10.0

    def __post_init__(self) -> None:
        if self.name not in REWARDS:
            raise ConfigError(f"feedback.reward must be one of {list(REWARDS)}, got {self.name!r}")
        ratio = self.cost_ratio
        if isinstance(ratio, bool) or not isinstance(ratio, (int, float)) or not ratio >= 1:
            raise ConfigError(f"feedback.cost_ratio must be a number >= 1, got {ratio!r}")
        if not math.isfinite(float(ratio)):
            raise ConfigError(f"feedback.cost_ratio must be finite, got {ratio!r}")


def reward_for_label(spec: RewardSpec, *, label: int, prediction: int) -> float:
    """The reward of one served binary prediction once its label is known.

    The one place the router maps labels to rewards; it delegates to
    :mod:`banditops.rewards` (the replay's rewards), so live and offline agree.

    Examples
    --------
    >>> acc = RewardSpec("accuracy")
    >>> reward_for_label(acc, label=1, prediction=1), reward_for_label(acc, label=0, prediction=1)
    (1.0, 0.0)
    >>> cost = RewardSpec("cost-sensitive", cost_ratio=4.0)
    >>> reward_for_label(cost, label=0, prediction=1)  # false alarm
    0.75
    >>> reward_for_label(cost, label=1, prediction=0)  # missed positive
    0.0
    """
    return float(_reward_table(spec)[int(label) * 2 + int(prediction)])


def _reward_table(spec: RewardSpec) -> list[float]:
    from banditops.rewards import make_reward

    if spec.name == "accuracy":
        reward = make_reward("accuracy")
    else:
        reward = make_reward("cost", cost_ratio=spec.cost_ratio)
    table = reward.table
    return [table["tn"], table["fp"], table["fn"], table["tp"]]


@dataclass(frozen=True)
class PolicyConfig:
    """Policy registry name and its keyword parameters (validated by the policy)."""

    name: str
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class GuardrailConfig:
    """Keyword parameters of :class:`banditops.policies.guardrail.Guardrail`."""

    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class StoreConfig:
    """The ledger: an SQLAlchemy URL and how often to snapshot the policy state.

    ``snapshot_every``: a snapshot of the policy state is written every this many ledger
    events, so a restart replays at most that many events (0 disables snapshots).
    """

    url: str
    snapshot_every: int = 500


@dataclass(frozen=True)
class FeedbackConfig:
    """Reward definition and censoring: feedback later than ``timeout_seconds`` is refused
    and the decision recorded as censored."""

    reward: RewardSpec = field(default_factory=RewardSpec)
    timeout_seconds: float = 86400.0


@dataclass(frozen=True)
class SecurityConfig:
    """Bearer token and model-file trust.

    ``token`` is the admin (and, with ``protect_predict``, client) bearer token, taken
    from the file or from the environment variable named by ``token_env``. Model files
    load only from the configuration directory or ``trusted_dirs`` unless
    ``allow_untrusted``; pickle-based files (joblib) load only with ``allow_pickle``.
    ``trusted_types`` extends the built-in list of types skops may instantiate.
    """

    token: str | None = None
    protect_predict: bool = False
    trusted_dirs: tuple[Path, ...] = ()
    allow_untrusted: bool = False
    allow_pickle: bool = False
    trusted_types: tuple[str, ...] = ()


@dataclass(frozen=True)
class LimitsConfig:
    """Input size limits: request body bytes, rows per prediction, items per feedback."""

    max_body_bytes: int = 1_048_576
    max_rows: int = 1_000
    max_feedback: int = 10_000


@dataclass(frozen=True)
class DeploymentConfig:
    """A whole deployment; build it with :func:`load_config` (or directly in tests).

    Parameters
    ----------
    models : tuple of Path
        Model files (``.skops`` preferred, ``.joblib`` with ``allow_pickle``), each with a
        JSON sidecar of metadata next to it (see :mod:`banditops.serve.artifacts`).
    policy : PolicyConfig
    seed : int or None
        Seed of the policy's random generator (decisions are reproducible given it).
    guardrail : GuardrailConfig or None
    store, feedback, security, limits : the sections of the same names.
    base_dir : Path
        Directory the relative paths were resolved against (the config's directory).
    """

    models: tuple[Path, ...]
    policy: PolicyConfig
    store: StoreConfig
    base_dir: Path
    seed: int | None = None
    guardrail: GuardrailConfig | None = None
    feedback: FeedbackConfig = field(default_factory=FeedbackConfig)
    security: SecurityConfig = field(default_factory=SecurityConfig)
    limits: LimitsConfig = field(default_factory=LimitsConfig)

    def policy_fingerprint(self) -> dict[str, Any]:
        """What must not change for a ledger to stay replayable (policy, params, seed)."""
        return {
            "policy": self.policy.name,
            "params": dict(self.policy.params),
            "seed": self.seed,
            "guardrail": dict(self.guardrail.params) if self.guardrail is not None else None,
        }


_SECTIONS = {
    "seed",
    "models",
    "policy",
    "guardrail",
    "store",
    "feedback",
    "security",
    "limits",
}


def _section(raw: Mapping[str, Any], name: str, allowed: set[str]) -> dict[str, Any]:
    value = raw.get(name, {})
    if not isinstance(value, dict):
        raise ConfigError(f"[{name}] must be a table, got {value!r}")
    unknown = set(value) - allowed
    if unknown:
        raise ConfigError(
            f"unknown keys in [{name}]: {sorted(unknown)}; allowed: {sorted(allowed)}"
        )
    return value


def _positive_int(name: str, value: Any, low: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ConfigError(f"{name} must be an integer >= {low}, got {value!r}")
    return value


def _bool(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"{name} must be true or false, got {value!r}")
    return value


def default_store_url(base_dir: Path) -> str:
    """The default ledger: an SQLite file next to the configuration."""
    return f"sqlite:///{(base_dir / 'banditops-state.sqlite').as_posix()}"


def _resolve_store_url(url: str, base_dir: Path) -> str:
    prefix = "sqlite:///"
    if url.startswith(prefix) and not url.startswith("sqlite:////"):
        rest = url[len(prefix) :]
        if rest and rest != ":memory:" and not rest.startswith("file:"):
            return prefix + (base_dir / rest).as_posix()
    return url


def parse_config(raw: Mapping[str, Any], base_dir: Path) -> DeploymentConfig:
    """Build a :class:`DeploymentConfig` from an already parsed TOML mapping.

    Examples
    --------
    >>> from pathlib import Path
    >>> config = parse_config({"models": ["a.skops"], "policy": {"name": "ucb"}}, Path("/srv"))
    >>> config.models
    (PosixPath('/srv/a.skops'),)
    >>> parse_config({"models": [], "policy": {"name": "ucb"}}, Path("/srv"))
    Traceback (most recent call last):
    ...
    banditops.errors.ConfigError: models must be a non-empty list of model file paths
    """
    base_dir = Path(base_dir).resolve()
    unknown = set(raw) - _SECTIONS
    if unknown:
        raise ConfigError(
            f"unknown top-level keys: {sorted(unknown)}; allowed: {sorted(_SECTIONS)}"
        )
    models = raw.get("models")
    if not isinstance(models, list) or not models or not all(isinstance(m, str) for m in models):
        raise ConfigError("models must be a non-empty list of model file paths")
    policy_raw = _section(raw, "policy", {"name", "params"})
    name = policy_raw.get("name")
    if not isinstance(name, str) or not name:
        raise ConfigError("[policy] name must be a policy registry name")
    params = policy_raw.get("params", {})
    if not isinstance(params, dict):
        raise ConfigError("[policy] params must be a table")
    seed = raw.get("seed")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or seed < 0):
        raise ConfigError(f"seed must be a non-negative integer, got {seed!r}")
    guardrail = None
    if "guardrail" in raw:
        if not isinstance(raw["guardrail"], dict):
            raise ConfigError("[guardrail] must be a table of Guardrail parameters")
        guardrail = GuardrailConfig(params=dict(raw["guardrail"]))
    store_raw = _section(raw, "store", {"url", "snapshot_every"})
    url = store_raw.get("url", default_store_url(base_dir))
    if not isinstance(url, str):
        raise ConfigError(f"[store] url must be an SQLAlchemy URL string, got {url!r}")
    store = StoreConfig(
        url=_resolve_store_url(url, base_dir),
        snapshot_every=_positive_int(
            "[store] snapshot_every", store_raw.get("snapshot_every", 500), low=0
        ),
    )
    feedback_raw = _section(raw, "feedback", {"reward", "cost_ratio", "timeout_seconds"})
    timeout = feedback_raw.get("timeout_seconds", 86400.0)
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not timeout > 0:
        raise ConfigError(f"[feedback] timeout_seconds must be a number > 0, got {timeout!r}")
    feedback = FeedbackConfig(
        reward=RewardSpec(
            feedback_raw.get("reward", "accuracy"), feedback_raw.get("cost_ratio", 10.0)
        ),
        timeout_seconds=float(timeout),
    )
    sec_raw = _section(
        raw,
        "security",
        {
            "token",
            "token_env",
            "protect_predict",
            "trusted_dirs",
            "allow_untrusted",
            "allow_pickle",
            "trusted_types",
        },
    )
    token = sec_raw.get("token")
    if "token_env" in sec_raw:
        env_name = sec_raw["token_env"]
        if not isinstance(env_name, str):
            raise ConfigError("[security] token_env must be an environment variable name")
        token = os.environ.get(env_name) or token
        if not token:
            raise ConfigError(f"[security] token_env names {env_name!r}, which is not set")
    if token is not None and (not isinstance(token, str) or len(token) < 8):
        raise ConfigError("[security] token must be a string of at least 8 characters")
    trusted_dirs = sec_raw.get("trusted_dirs", [])
    trusted_types = sec_raw.get("trusted_types", [])
    for key, value in (("trusted_dirs", trusted_dirs), ("trusted_types", trusted_types)):
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"[security] {key} must be a list of strings")
    security = SecurityConfig(
        token=token,
        protect_predict=_bool("[security] protect_predict", sec_raw.get("protect_predict", False)),
        trusted_dirs=tuple((base_dir / d).resolve() for d in trusted_dirs),
        allow_untrusted=_bool("[security] allow_untrusted", sec_raw.get("allow_untrusted", False)),
        allow_pickle=_bool("[security] allow_pickle", sec_raw.get("allow_pickle", False)),
        trusted_types=tuple(trusted_types),
    )
    if security.protect_predict and security.token is None:
        raise ConfigError("[security] protect_predict = true needs a token (token or token_env)")
    lim_raw = _section(raw, "limits", {"max_body_bytes", "max_rows", "max_feedback"})
    limits = LimitsConfig(
        max_body_bytes=_positive_int(
            "[limits] max_body_bytes", lim_raw.get("max_body_bytes", 1_048_576)
        ),
        max_rows=_positive_int("[limits] max_rows", lim_raw.get("max_rows", 1_000)),
        max_feedback=_positive_int("[limits] max_feedback", lim_raw.get("max_feedback", 10_000)),
    )
    return DeploymentConfig(
        models=tuple(base_dir / m for m in models),
        policy=PolicyConfig(name=name, params=dict(params)),
        store=store,
        base_dir=base_dir,
        seed=seed,
        guardrail=guardrail,
        feedback=feedback,
        security=security,
        limits=limits,
    )


def load_config(path: str | os.PathLike[str]) -> DeploymentConfig:
    """Read a deployment TOML file; relative paths resolve against its directory.

    Raises
    ------
    ConfigError
        If the file is missing, is not valid TOML, or a value is invalid (the message
        names the key).
    """
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"deployment config {path} does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"deployment config {path} is not valid TOML: {exc}") from None
    return parse_config(raw, path.resolve().parent)
