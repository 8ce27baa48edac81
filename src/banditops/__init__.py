"""banditops: multi-armed bandits that decide which model version serves production traffic."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
