"""Errors of the live router, in the :mod:`banditops.errors` hierarchy.

Each maps to one HTTP status in :mod:`banditops.serve.app`.

Examples
--------
>>> from banditops.errors import BanditOpsError
>>> issubclass(DuplicateFeedbackError, BanditOpsError)
True
"""

from __future__ import annotations

from banditops.errors import BanditOpsError, ConfigError, FeedbackError

__all__ = [
    "ArtifactError",
    "ConflictError",
    "DuplicateFeedbackError",
    "FeedbackError",
    "LedgerError",
    "NoActiveArmError",
    "PayloadTooLargeError",
    "UnknownDecisionError",
]


class ArtifactError(ConfigError):
    """A model file is missing, corrupt, untrusted or of an untrusted type."""


class UnknownDecisionError(BanditOpsError, KeyError):
    """Feedback names a decision id the ledger does not hold (HTTP 404)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class ConflictError(BanditOpsError):
    """The request conflicts with the ledger's state (HTTP 409)."""


class DuplicateFeedbackError(ConflictError):
    """Feedback for a decision that already has feedback or was censored (HTTP 409)."""


class NoActiveArmError(BanditOpsError, RuntimeError):
    """Every arm is retired or quarantined: nothing can serve (HTTP 503)."""


class PayloadTooLargeError(BanditOpsError, ValueError):
    """A request over the configured size limits (HTTP 413)."""


class LedgerError(BanditOpsError, RuntimeError):
    """The ledger is inconsistent with the configured policy (replay diverged, config changed)."""
