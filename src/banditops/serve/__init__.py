"""The live router: bandit-routed predictions, delayed feedback, durable state.

Entry points the CLI wires:

- :func:`run` - ``banditops serve --config deployment.toml [--host H] [--port P]
  [--workers N]``;
- :func:`banditops.serve.artifacts.export_model` - ``banditops export-model``;
- :func:`banditops.serve.replay_live.replay_live` - ``banditops replay-live``;
- :func:`banditops.serve.app.create_app` / :func:`banditops.serve.config.load_config`.

Examples
--------
>>> from banditops.serve import run
>>> callable(run)
True
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["run"]


def run(
    config_path: str | os.PathLike[str],
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: int = 1,
    *,
    log_level: str = "info",
) -> None:
    """Serve a deployment with uvicorn until interrupted.

    The configuration is validated (and the models loaded once) in this process
    first, so a bad file fails before any worker starts. With ``workers > 1`` every
    worker shares the one ledger (see ``docs/serving.md``); an in-memory SQLite URL
    cannot be shared and is refused.

    Parameters
    ----------
    config_path : path-like
        The deployment TOML file.
    host, port : str, int
        Address to bind (default 127.0.0.1:8000).
    workers : int
        Number of uvicorn worker processes.
    """
    import uvicorn

    from banditops.errors import ConfigError
    from banditops.serve.app import CONFIG_ENV, create_app
    from banditops.serve.config import load_config

    path = Path(config_path).resolve()
    config = load_config(path)
    if workers < 1:
        raise ConfigError(f"workers must be >= 1, got {workers}")
    if workers > 1 and config.store.url in ("sqlite://", "sqlite:///:memory:"):
        raise ConfigError("an in-memory SQLite store cannot be shared by several workers")
    os.environ[CONFIG_ENV] = str(path)
    if workers == 1:
        uvicorn.run(create_app(config), host=host, port=port, log_level=log_level)
    else:
        create_app(config).state.router.close()  # validate, register models, once
        uvicorn.run(
            "banditops.serve.app:create_app_from_env",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_level=log_level,
        )
