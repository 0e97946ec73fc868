"""`winback serve`: really serves the app, warns off loopback, dies with winback."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from typer.testing import CliRunner

from agent.cli import app
from agent.web.server import is_loopback, tls_warning

ROOT = Path(__file__).resolve().parents[3]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(tmp_path: Path, *args: str) -> subprocess.Popen:
    env = {**os.environ, "WINBACK_HOME": str(tmp_path / "home")}
    env.pop("PYTEST_CURRENT_TEST", None)
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "agent.cli",
            "serve",
            "--db",
            f"sqlite:///{tmp_path / 'q.db'}",
            *args,
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for(url: str, timeout: float = 60) -> urllib.response.addinfourl:
    deadline = time.monotonic() + timeout
    while True:
        try:
            return urllib.request.urlopen(url, timeout=2)
        except (urllib.error.URLError, ConnectionError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


def test_serve_answers_then_stops_on_sigterm(tmp_path) -> None:
    port = free_port()
    proc = start(tmp_path, "--port", str(port), "--json")
    try:
        page = wait_for(f"http://127.0.0.1:{port}/login")
        assert page.status == 200 and b"Log in" in page.read()
        assert "default-src 'none'" in page.headers["content-security-policy"]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/static/style.css") as css:
            assert css.status == 200
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert json.loads(out.splitlines()[0])["url"] == f"http://127.0.0.1:{port}/"
    assert "Warning" not in err
    secret = tmp_path / "home" / "web-secret"
    assert secret.exists() and oct(secret.stat().st_mode & 0o777) == "0o600"
    assert proc.returncode is not None  # winback exited, and the server with it
    with socket.socket() as s:  # nothing listens on the port any more
        assert s.connect_ex(("127.0.0.1", port)) != 0


def test_non_loopback_prints_the_tls_warning() -> None:
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.5")
    assert tls_warning("127.0.0.1") is None
    assert "TLS" in (tls_warning("0.0.0.0") or "")


def test_port_in_use_is_a_clear_error(tmp_path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = CliRunner().invoke(
            app, ["serve", "--port", str(port), "--db", f"sqlite:///{tmp_path / 'q.db'}"]
        )
    assert result.exit_code == 2
    assert f"Cannot listen on 127.0.0.1:{port}" in result.output and "--port" in result.output
