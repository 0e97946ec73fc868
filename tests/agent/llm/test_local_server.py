"""The embedded model server: bad inputs, no orphans, and real end-to-end runs."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from pydantic import BaseModel
from typer.testing import CliRunner

from agent.cli import app
from agent.errors import LocalServerError
from agent.llm.client import LLM
from agent.llm.local_server import LocalServer, bundled_model_path
from agent.settings import load_settings
from tests.agent.test_child_processes import alive
from tests.conftest import llama_children

runner = CliRunner()


def test_missing_model_path_is_exit_2():
    result = runner.invoke(app, ["llm", "check", "--local-model", "/no/such/model.gguf"])
    assert result.exit_code == 2
    assert "Model file /no/such/model.gguf does not exist" in result.stderr
    assert "WINBACK_LOCAL_MODEL" in result.stderr
    assert llama_children() == []


def test_non_gguf_file_is_rejected_before_starting(tmp_path):
    bad = tmp_path / "model.gguf"
    bad.write_bytes(b"<html>not a model</html>" * 100)
    result = runner.invoke(app, ["llm", "check", "--provider", "local", "--local-model", str(bad)])
    assert result.exit_code == 2
    assert "is not a GGUF model (corrupt or wrong format)" in result.stderr
    assert llama_children() == []


def test_directory_as_model_path(tmp_path):
    with pytest.raises(LocalServerError, match="is not a file"):
        LocalServer(tmp_path).start()


def test_port_already_taken_is_exit_2():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        result = runner.invoke(app, ["llm", "serve", "--port", str(port)])
    assert result.exit_code == 2
    assert f"Port {port} on 127.0.0.1 is already in use" in result.stderr
    assert llama_children() == []


def test_port_out_of_range_is_exit_2():
    result = runner.invoke(app, ["llm", "serve", "--port", "70000"])
    assert result.exit_code == 2
    assert "out of range" in result.stderr


@pytest.mark.parametrize("grace", ["-1", "601", "nan", "soon"])
def test_grace_out_of_range_or_not_a_number_is_exit_2(grace):
    result = runner.invoke(app, ["llm", "serve", "--grace", grace])
    assert result.exit_code == 2
    assert "--grace" in result.stderr
    assert llama_children() == []


def test_serve_rejects_bad_input_before_touching_signal_handlers():
    """Bad input fails in preflight, so the test process keeps its own handlers."""
    before = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        runner.invoke(app, ["llm", "serve", "--port", str(sock.getsockname()[1])])
    assert (signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)) == before


@pytest.mark.embedded
def test_corrupt_gguf_fails_cleanly_without_orphans(tmp_path):
    truncated = tmp_path / "truncated.gguf"
    with bundled_model_path().open("rb") as src:
        truncated.write_bytes(src.read(200_000))
    result = runner.invoke(
        app, ["llm", "check", "--provider", "local", "--local-model", str(truncated), "--json"]
    )
    assert result.exit_code == 2
    assert "exited during start-up" in result.stderr
    assert "could not be loaded" in result.stderr
    assert json.loads(result.stdout)["ok"] is False
    assert llama_children() == []


@pytest.mark.embedded
def test_llm_check_on_the_embedded_model():
    """The end-to-end check: a real round trip on the bundled model, offline."""
    result = runner.invoke(app, ["llm", "check", "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["ok"] is True
    assert out["provider"] == "local" and out["model"] == "smollm2-135m-instruct"
    assert out["output_tokens"] > 0 and out["reply"]
    assert llama_children() == []  # stopped when the command ended


@pytest.mark.embedded
def test_structured_output_on_the_embedded_model():
    class Plan(BaseModel):
        """A tiny plan."""

        title: str
        steps: list[str]

    with LLM(load_settings({"provider": "local", "cache": False})) as llm:
        plan = llm.structured(Plan, [("user", "Plan a short comeback week for a runner.")])
        assert llm.server is not None and llm.server.proc is not None
    assert isinstance(plan, Plan)
    assert llama_children() == []


@pytest.mark.embedded
def test_wrong_api_key_against_a_real_server():
    with LocalServer(api_key="right-key") as server:
        result = runner.invoke(
            app,
            ["llm", "check", "--base-url", server.base_url],
            env={"WINBACK_API_KEY": "wrong-key", "WINBACK_MAX_RETRIES": "0"},
        )
    assert result.exit_code == 2
    assert "rejected the API key (HTTP 401)" in result.stderr


@pytest.mark.embedded
def test_server_dies_with_a_killed_parent(tmp_path):
    """kill -9 of winback leaves no server behind (PR_SET_PDEATHSIG)."""
    script = (
        "import sys, time\n"
        "from agent.llm.local_server import LocalServer\n"
        "s = LocalServer().start()\n"
        "print(s.proc.pid, flush=True)\n"
        "time.sleep(60)\n"
    )
    parent = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, cwd=Path.cwd()
    )
    child_pid = int(parent.stdout.readline())
    assert Path(f"/proc/{child_pid}").exists()
    os.kill(parent.pid, signal.SIGKILL)
    parent.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and alive(child_pid):
        time.sleep(0.1)
    assert not alive(child_pid)


@pytest.mark.embedded
@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_ctrl_c_stops_the_server(sig, code):
    """SIGINT (Ctrl-C) or SIGTERM to `winback llm serve` ends the server within its grace.

    Started with SIGINT ignored, as a background job of a non-interactive shell (CI) is.
    An idle server honours SIGTERM at once; the grace period (here 3 s) bounds a busy one.
    """
    proc = subprocess.Popen(
        [sys.executable, "-m", "agent.cli", "llm", "serve", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    _out, err = proc.communicate(timeout=60)
    assert proc.returncode == 2 and "out of range" in err  # port 0 rejected up front
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "agent.cli", "llm", "serve", "--port", str(port), "--grace", "3"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
    )
    first = proc.stdout.readline()
    assert f"http://127.0.0.1:{port}/v1" in first
    server_pids = _servers_on(port)
    assert server_pids
    sent = time.monotonic()
    proc.send_signal(sig)
    assert proc.wait(timeout=30) == code
    assert not any(alive(p) for p in server_pids)  # stopped before winback exited
    assert time.monotonic() - sent < 3 + 2.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _servers_on(port: int) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ")
            except OSError:
                continue
            if b"llama_cpp.server" in cmd and f"--port {port} ".encode() in cmd + b" ":
                pids.append(int(entry.name))
    return pids


def test_server_threads_sleep_instead_of_spinning(monkeypatch: pytest.MonkeyPatch) -> None:
    from agent.llm.local_server import server_environment

    monkeypatch.delenv("OMP_WAIT_POLICY", raising=False)
    monkeypatch.setenv("WINBACK_SOMETHING", "kept")
    env = server_environment()
    assert env["OMP_WAIT_POLICY"] == "PASSIVE"
    assert env["WINBACK_SOMETHING"] == "kept"
    monkeypatch.setenv("OMP_WAIT_POLICY", "ACTIVE")
    assert server_environment()["OMP_WAIT_POLICY"] == "ACTIVE"
