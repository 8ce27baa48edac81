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

__all__ = ["LOG_LEVELS", "check_serve_args", "run"]


#: uvicorn's log levels.
LOG_LEVELS = ("critical", "error", "warning", "info", "debug", "trace")


def check_serve_args(host: str, port: int, workers: int, log_level: str) -> None:
    """Validate the server options before anything is loaded (:class:`ConfigError`).

    Examples
    --------
    >>> check_serve_args("127.0.0.1", 99999, 1, "info")
    Traceback (most recent call last):
    ...
    banditops.errors.ConfigError: port must be an integer in [1, 65535], got 99999
    """
    from banditops.errors import ConfigError

    if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
        raise ConfigError(f"port must be an integer in [1, 65535], got {port!r}")
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ConfigError(f"workers must be an integer >= 1, got {workers!r}")
    if log_level not in LOG_LEVELS:
        raise ConfigError(f"log level must be one of {', '.join(LOG_LEVELS)}; got {log_level!r}")
    if not isinstance(host, str) or not host or "\x00" in host:
        raise ConfigError(f"host must be an address or a host name, got {host!r}")


def _check_can_listen(host: str, port: int) -> None:
    """Bind ``host:port`` once, as uvicorn will, so a port in use is one clear error."""
    import socket

    from banditops.errors import ConfigError

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_STREAM) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((host, port))
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise ConfigError(f"cannot listen on {host}:{port}: {reason}") from None


def run(
    config_path: str | os.PathLike[str],
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: int = 1,
    *,
    log_level: str = "info",
) -> None:
    """Serve a deployment with uvicorn until interrupted.

    The options and the configuration are validated (and the models loaded once) in
    this process first, and the address is bound once, so a bad file, a bad option or
    a port in use fails with one :class:`~banditops.errors.ConfigError` before any
    worker starts. With ``workers > 1`` every worker shares the one ledger (see
    ``docs/serving.md``); an in-memory SQLite URL cannot be shared and is refused.

    Parameters
    ----------
    config_path : path-like
        The deployment TOML file.
    host, port : str, int
        Address to bind (default 127.0.0.1:8000); port in [1, 65535].
    workers : int
        Number of uvicorn worker processes (>= 1).
    log_level : str
        One of :data:`LOG_LEVELS`.
    """
    import uvicorn

    from banditops.errors import ConfigError
    from banditops.serve.app import CONFIG_ENV, create_app
    from banditops.serve.config import load_config

    check_serve_args(host, port, workers, log_level)
    path = Path(config_path).resolve()
    config = load_config(path)
    if workers > 1 and config.store.url in ("sqlite://", "sqlite:///:memory:"):
        raise ConfigError("an in-memory SQLite store cannot be shared by several workers")
    _check_can_listen(host, port)
    os.environ[CONFIG_ENV] = str(path)
    try:
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
    except SystemExit as exc:  # uvicorn exits 3 when it cannot start (e.g. lost a race)
        if exc.code not in (0, None):
            raise ConfigError(
                f"the server on {host}:{port} did not start (uvicorn exit status {exc.code})"
            ) from None
        raise
