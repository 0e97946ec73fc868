"""`winback serve`: the reviewers' web app on the queue (see `agent.web`).

Runs in this process (uvicorn), so stopping winback stops the server. The
default address is 127.0.0.1; any other address prints a warning to put the
app behind TLS.
"""

from __future__ import annotations

import socket
from typing import Annotated

import typer

from agent.cli.display import echo_json
from agent.cli.options import DbOpt, JsonOpt, resolve_settings
from agent.errors import WinbackError


def _check_port_free(host: str, port: int) -> None:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise WinbackError(
                f"Cannot listen on {host}:{port} ({exc.strerror or exc})",
                "Pick another port with --port, or stop what is using it.",
            ) from exc


def serve(
    host: Annotated[
        str, typer.Option("--host", help="Address to listen on (loopback unless behind TLS).")
    ] = "127.0.0.1",
    port: Annotated[
        int, typer.Option("--port", help="Port to listen on.", min=1, max=65535)
    ] = 8765,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Serve the reviewers' web app until Ctrl-C (log in with an account from `winback users`)."""
    from agent.store.engine import open_store
    from agent.web.server import serve as run_server
    from agent.web.server import tls_warning

    settings = resolve_settings(db=db)
    _check_port_free(host, port)
    engine = open_store(settings.resolved_database_url)
    warning = tls_warning(host)
    if warning:
        typer.secho(warning, err=True, fg="yellow")
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{shown}:{port}/"
    if as_json:
        echo_json({"url": url, "host": host, "port": port, "tls_warning": bool(warning)})
    else:
        typer.echo(f"winback reviews on {url} (Ctrl-C to stop)")
    run_server(engine, settings.home_path, host, port)
