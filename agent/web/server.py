"""Running the app: uvicorn in this process, so the server dies with `winback serve`.

There is no child process to leak: Ctrl-C or a SIGTERM to winback stops
uvicorn and closes the store. Binding to anything but loopback prints a
warning to put the app behind TLS (and then session cookies are marked
Secure). The cookie-signing secret comes from WINBACK_WEB_SECRET, else from
`web-secret` in the data folder, created once with mode 0600.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
from pathlib import Path

from sqlalchemy import Engine

from agent.errors import WinbackError

LOOPBACK_NAMES = {"localhost"}


def is_loopback(host: str) -> bool:
    """Whether `host` only accepts connections from this machine."""
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def tls_warning(host: str) -> str | None:
    """The warning printed when binding beyond loopback, else None."""
    if is_loopback(host):
        return None
    return (
        f"Warning: serving on {host}, reachable from other machines. Put winback behind a "
        "TLS-terminating proxy (nginx, Caddy): passwords and session cookies must not cross "
        "the network in clear text. Session cookies are marked Secure, so plain-HTTP logins "
        "will not stick."
    )


def load_secret(home: Path) -> str:
    """The cookie-signing secret (env WINBACK_WEB_SECRET, else home/web-secret, made once)."""
    from_env = os.environ.get("WINBACK_WEB_SECRET")
    if from_env:
        if len(from_env) < 32:
            raise WinbackError(
                "WINBACK_WEB_SECRET is shorter than 32 characters",
                "Use a long random value, e.g. `python -c 'import secrets; "
                "print(secrets.token_urlsafe(48))'`.",
            )
        return from_env
    path = home / "web-secret"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


def serve(engine: Engine, home: Path, host: str, port: int) -> None:
    """Serve the app until interrupted (blocks)."""
    import uvicorn

    from agent.web.app import create_app

    app = create_app(engine, load_secret(home), secure_cookies=not is_loopback(host))
    config = uvicorn.Config(
        app, host=host, port=port, log_level="warning", access_log=False, server_header=False
    )
    try:
        uvicorn.Server(config).run()
    finally:
        engine.dispose()
