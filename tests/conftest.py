"""Shared test fixtures.

Every test runs with a private WINBACK_HOME (queue, cache, server log) and no
WINBACK_* / OPENAI_* variables from the developer's shell.

LLM cassettes live in the top-level `cassettes/<test module>/` folder and are
replayed with record mode `none` (pytest-recording's default). Re-record them
against the embedded model with `make cassettes` (`--record-mode=rewrite`);
the fixture `llm_settings` then starts a real embedded server instead of
pointing at a closed port.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from agent.llm.local_server import BUNDLED_MODEL_ALIAS, LocalServer
from agent.settings import Settings, load_settings

REPO = Path(__file__).resolve().parent.parent
CASSETTES = REPO / "cassettes"
SECRET_HEADERS = [
    "authorization",
    "api-key",
    "x-api-key",
    "openai-organization",
    "openai-project",
    "cookie",
    "set-cookie",
]


def pytest_configure(config: pytest.Config) -> None:
    """Start from the default SIGHUP and SIGINT handling, however the suite was launched.

    Under `nohup`, or as a background job of a non-interactive shell, both signals are
    ignored at start, every child inherits that, and winback keeps an ignored SIGHUP
    ignored on purpose (`nohup winback run`); the tests that send those signals to a
    winback-like child would then wait for nothing. The one test of that behaviour sets
    the ignore in its own child."""
    if signal.getsignal(signal.SIGHUP) == signal.SIG_IGN:
        signal.signal(signal.SIGHUP, signal.SIG_DFL)
    if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private data folder and a shell free of winback/OpenAI settings."""
    for var in list(os.environ):
        if var.startswith(("WINBACK_", "OPENAI_")):
            monkeypatch.delenv(var)
    home = tmp_path / "winback-home"
    monkeypatch.setenv("WINBACK_HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    return home


@pytest.fixture(scope="module")
def vcr_cassette_dir(request: pytest.FixtureRequest) -> str:
    """Cassettes in the top-level cassettes/ folder, one subfolder per test module."""
    return str(CASSETTES / Path(str(request.node.fspath)).stem)


@pytest.fixture(scope="module")
def vcr_config() -> dict:
    """Secrets filtered; requests matched by method, path and JSON body (not host/port)."""
    return {
        "filter_headers": [(h, None) for h in SECRET_HEADERS],
        "match_on": ["method", "path", "body"],
        "decode_compressed_response": True,
    }


@pytest.fixture(scope="session")
def recording_server(request: pytest.FixtureRequest):
    """The embedded model, started only when cassettes are being recorded."""
    mode = request.config.getoption("--record-mode") or "none"
    if mode == "none":
        yield None
        return
    with LocalServer(log_path=Path(os.environ.get("TMPDIR", "/tmp")) / "winback-rec.log") as srv:
        yield srv


@pytest.fixture
def llm_settings(recording_server, tmp_path: Path) -> Settings:
    """Settings for cassette tests: replay against a closed port, record against the model."""
    base_url = recording_server.base_url if recording_server else "http://127.0.0.1:9/v1"
    return load_settings(
        {
            "provider": "openai",
            "base_url": base_url,
            "api_key": "sk-test-not-a-real-key",
            "model": BUNDLED_MODEL_ALIAS,
            "max_retries": 0,
            "cache": False,
            "home": str(tmp_path / "llm-home"),
        }
    )


@pytest.fixture
def llm_cli_env(llm_settings: Settings) -> dict[str, str]:
    """The environment that points a `winback` command at `llm_settings` (cassette tests)."""
    return {
        "WINBACK_PROVIDER": "openai",
        "WINBACK_BASE_URL": llm_settings.base_url,
        "WINBACK_API_KEY": "sk-test-not-a-real-key",
        "WINBACK_MODEL": llm_settings.model,
        "WINBACK_MAX_RETRIES": "0",
        "WINBACK_TIMEOUT": "900",  # recording on busy cores can be slow; replay is instant
    }


def llama_children() -> list[int]:
    """PIDs of llama_cpp.server processes whose parent is this test process."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ")
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        if b"llama_cpp.server" in cmdline and ppid == os.getpid():
            pids.append(int(entry.name))
    return pids


@pytest.fixture(scope="session")
def analyzer():
    """The real, cached offline Presidio analyzer (about a second to load, once)."""
    from guardrails.pii_engine import get_analyzer

    return get_analyzer()
