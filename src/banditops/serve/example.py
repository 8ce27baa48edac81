"""Build the example deployment's model files from the real adult data.

``banditops export-model --example examples/models`` (or
``python -m banditops.serve.example``) trains three versions (logistic regression, naive
Bayes, random forest) on the *last* rows of the adult stream and exports them next to
``examples/deployment.toml``; ``banditops replay-live`` streams the adult stream from its
start, so the live check scores the versions on rows they never saw.

Examples
--------
>>> from banditops.serve.example import FAMILIES
>>> FAMILIES
('logreg', 'naive-bayes', 'random-forest')
"""

from __future__ import annotations

import sys
from pathlib import Path

__all__ = ["FAMILIES", "build_example_models"]

FAMILIES = ("logreg", "naive-bayes", "random-forest")


def build_example_models(
    out_dir: str | Path, *, data_dir: str | None = None, rows: int = 8000
) -> list[Path]:
    """Train and export one version per family on the last ``rows`` of the adult stream.

    Raises
    ------
    ConfigError
        ``rows`` is not a positive integer, or ``out_dir`` cannot be written (checked
        before any training).
    """
    import numpy as np

    from banditops.data.datasets import load_dataset
    from banditops.data.stream import stream_order
    from banditops.errors import ConfigError
    from banditops.models.pool import train_version
    from banditops.rewards import make_reward
    from banditops.serve.artifacts import export_model, prepare_output_dir

    if isinstance(rows, bool) or not isinstance(rows, int) or rows < 1:
        raise ConfigError(f"rows must be a positive integer, got {rows!r}")
    prepare_output_dir(out_dir)
    data = load_dataset("adult", data_dir=data_dir, download=False)
    order = stream_order(data, seed=0)[-rows:]  # replay-live streams from the start
    X = data.X.iloc[order].reset_index(drop=True)
    y = np.asarray(data.y)[order]
    out = Path(out_dir)
    paths = []
    for created_at, family in enumerate(FAMILIES, start=1):
        version = train_version(
            family, X, y, reward=make_reward("accuracy"), created_at=created_at,
            train_window=(0, 1), seed=0,
        )  # fmt: skip
        paths.append(
            export_model(
                version,
                out / f"{version.id}.skops",
                feature_dtypes={str(k): v for k, v in X.dtypes.astype(str).items()},
                dataset="adult",
                reward="accuracy",
            )
        )
    return paths


if __name__ == "__main__":  # pragma: no cover
    for path in build_example_models(sys.argv[1] if len(sys.argv) > 1 else "examples/models"):
        print(path)
