"""One exception hierarchy for banditops.

Every error the library raises on purpose derives from :class:`BanditOpsError`, so a
caller can catch them all at once, and each subclass also derives from the built-in
exception a Python user would expect (``ValueError``, ``KeyError``, ...).

Examples
--------
>>> from banditops.errors import ConfigError, BanditOpsError
>>> try:
...     raise ConfigError("epsilon must lie in [0, 1], got 2")
... except BanditOpsError as exc:
...     print(exc)
epsilon must lie in [0, 1], got 2
"""

from __future__ import annotations

__all__ = [
    "BanditOpsError",
    "ChecksumError",
    "ConfigError",
    "DataError",
    "DatasetNotFoundError",
    "FeedbackError",
    "ResultsError",
    "UnknownArmError",
]


class BanditOpsError(Exception):
    """Base class of every error banditops raises on purpose."""


class ConfigError(BanditOpsError, ValueError):
    """An invalid parameter, option or specification (names the parameter and its range)."""


class DataError(BanditOpsError, ValueError):
    """A data file is malformed, or data do not fit what an operation needs."""


class DatasetNotFoundError(DataError, FileNotFoundError):
    """A dataset file is not in any data directory and cannot be downloaded."""


class ChecksumError(DataError):
    """A dataset file's sha256 does not match its registry entry."""


class FeedbackError(BanditOpsError, ValueError):
    """A reward or label given as feedback is invalid (NaN, infinite, out of range, wrong type)."""


class UnknownArmError(BanditOpsError, KeyError):
    """An arm id that the policy or router does not know."""

    def __str__(self) -> str:  # KeyError quotes its message; keep it readable
        return str(self.args[0]) if self.args else ""


class ResultsError(BanditOpsError, ValueError):
    """A results directory is missing, malformed or from an incompatible version."""
