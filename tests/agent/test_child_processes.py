"""`agent.child_processes` with real processes: groups, grace, handlers, parent death.

No model here (these take about a second each); the embedded server under real
signals is tested in tests/agent/llm/test_process_lifecycle.py.
Each scenario runs in a fresh Python process that plays winback: it installs the
stop handlers, starts children with `start_child`, and prints their pids.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from agent.child_processes import start_child, stop_child

REPO = Path(__file__).resolve().parents[2]

# Every process these tests start carries MARKER on its command line, so a failed
# test still kills what it started (by pid) instead of leaving it running.
MARKER = f"child-processes-test-{os.getpid()}"
# A child that starts a grandchild in its own group, then sleeps; prints both pids.
FAMILY = textwrap.dedent(
    f"""
    import subprocess, sys, time
    grand = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)  # {MARKER}"])
    print(grand.pid, flush=True)
    time.sleep(600)  # {MARKER}
    """
)
# A child that ignores SIGTERM, like a server finishing a long generation: only SIGKILL
# ends it quickly, so a stop that relied on SIGTERM would fail these tests.
STUBBORN = (
    "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
    f"print('up', flush=True); time.sleep(600)  # {MARKER}"
)


@pytest.fixture(autouse=True)
def kill_leftovers():
    """After each test, SIGKILL any process it started that is still running."""
    yield
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if MARKER.encode() in cmdline:
                with contextlib.suppress(OSError):
                    os.kill(int(entry.name), signal.SIGKILL)


def alive(pid: int) -> bool:
    """Running (not gone, not a zombie)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def group_members(pgid: int) -> list[int]:
    """Live processes whose process group is `pgid`."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            found.append(int(entry.name))
    return found


def wait_gone(pids: list[int], limit: float) -> float | None:
    """Seconds until none of `pids` is alive, or None if some still are after `limit`."""
    started = time.monotonic()
    while time.monotonic() - started < limit:
        if not any(alive(p) for p in pids):
            return time.monotonic() - started
        time.sleep(0.005)
    return None


def winback_like(body: str, **popen) -> subprocess.Popen:
    """A Python process that installs winback's stop handlers, then runs `body`."""
    script = (
        "from agent.child_processes import *\ninstall_stop_handlers()\n"
        + textwrap.dedent(body)
        + f"\n# {MARKER}\n"
    )
    return subprocess.Popen(
        [sys.executable, "-c", script],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **popen,
    )


def with_stubborn_child(then: str, grace: float | None = None) -> tuple[subprocess.Popen, int]:
    """A `winback_like` process that starts a STUBBORN child, prints its pid, then runs `then`.

    Returns the process and the child's pid (once the child is up).
    """
    options = "" if grace is None else f", grace={grace!r}"
    proc = winback_like(
        f"""
        import subprocess, sys, time
        kid = start_child([sys.executable, "-c", {STUBBORN!r}], stdout=subprocess.PIPE{options})
        kid.stdout.readline()
        print(kid.pid, flush=True)
        {then}
        """
    )
    return proc, int(proc.stdout.readline())


def test_stop_child_kills_the_whole_group_at_once():
    proc = start_child([sys.executable, "-c", FAMILY], stdout=subprocess.PIPE, text=True)
    grandchild = int(proc.stdout.readline())
    assert os.getpgid(proc.pid) == proc.pid  # its own group ...
    assert os.getpgid(grandchild) == proc.pid  # ... which its own children join
    assert os.getsid(proc.pid) != os.getsid(0)  # and its own session: Ctrl-C does not reach it
    started = time.monotonic()
    stop_child(proc)
    took = time.monotonic() - started
    assert proc.returncode == -signal.SIGKILL
    assert wait_gone([grandchild], 2.0) is not None
    assert group_members(proc.pid) == []
    assert took < 1.0, took


def test_grace_period_is_bounded_for_a_child_that_ignores_sigterm():
    proc = start_child([sys.executable, "-c", STUBBORN], grace=1.0, stdout=subprocess.PIPE)
    proc.stdout.readline()
    started = time.monotonic()
    stop_child(proc)
    took = time.monotonic() - started
    assert proc.returncode == -signal.SIGKILL  # SIGTERM ignored, so killed after the grace
    assert 1.0 <= took < 2.0, took


def test_a_child_that_honours_sigterm_leaves_before_the_grace_ends():
    code = "import time; print('up', flush=True); time.sleep(600)"
    proc = start_child([sys.executable, "-c", code], grace=30.0, stdout=subprocess.PIPE)
    proc.stdout.readline()
    started = time.monotonic()
    stop_child(proc)
    assert proc.returncode == -signal.SIGTERM
    assert time.monotonic() - started < 5.0


def test_reserved_popen_arguments_are_refused():
    with pytest.raises(TypeError, match="start_new_session"):
        start_child(["true"], start_new_session=False)


@pytest.mark.parametrize(
    ("sig", "code"),
    [(signal.SIGTERM, 143), (signal.SIGHUP, 129), (signal.SIGINT, -signal.SIGINT)],
)
def test_stop_signals_end_the_children_then_exit_with_the_conventional_code(sig, code):
    """SIGTERM -> 143, SIGHUP -> 129, SIGINT -> KeyboardInterrupt; children gone first."""
    proc, kid = with_stubborn_child("time.sleep(600)")
    proc.send_signal(sig)
    took = wait_gone([kid], 2.0)
    assert took is not None, "the child outlived the signal by 2 s"
    assert proc.wait(timeout=10) == code
    assert group_members(kid) == []


def test_kill_9_of_the_parent_kills_the_child_through_the_kernel():
    proc, kid = with_stubborn_child("time.sleep(600)")
    proc.kill()
    proc.wait()
    assert wait_gone([kid], 2.0) is not None


def test_a_graceful_child_gets_its_grace_and_a_second_signal_kills_at_once():
    """SIGTERM starts the grace period; SIGTERM again during it skips the rest."""
    proc, kid = with_stubborn_child("kid.wait()", grace=60.0)
    proc.send_signal(signal.SIGTERM)
    time.sleep(1.0)
    assert alive(kid)  # it ignores SIGTERM and has 60 s of grace
    proc.send_signal(signal.SIGTERM)
    assert wait_gone([kid], 2.0) is not None
    assert proc.wait(timeout=10) == 143


def test_a_normal_exit_stops_children_left_running():
    proc, kid = with_stubborn_child(
        'raise RuntimeError("a bug: the child is never stopped explicitly")'
    )
    assert proc.wait(timeout=10) == 1
    assert wait_gone([kid], 2.0) is not None


def test_sighup_ignored_at_start_stays_ignored():
    """`nohup winback run ...` must survive the terminal closing."""
    proc = winback_like(
        """
        import json, signal, time
        print(json.dumps(signal.getsignal(signal.SIGHUP) == signal.SIG_IGN), flush=True)
        time.sleep(600)
        """,
        preexec_fn=lambda: signal.signal(signal.SIGHUP, signal.SIG_IGN),
    )
    assert json.loads(proc.stdout.readline()) is True
    proc.send_signal(signal.SIGHUP)
    time.sleep(0.5)
    assert proc.poll() is None
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=10) == 143


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")  # the point
def test_a_stop_a_finalizer_swallowed_is_raised_at_the_next_stage(monkeypatch):
    """The handler's raise lands wherever the main thread is; inside `__del__` Python
    prints "Exception ignored" and goes on. The next stage boundary raises it again."""
    import gc

    import agent.child_processes as cp
    from agent.run.progress import StageProgress

    monkeypatch.setattr(cp, "_requested", None)

    class Finalized:
        def __del__(self) -> None:
            cp._on_stop_signal(signal.SIGTERM, None)

    Finalized()
    gc.collect()
    assert cp._requested == signal.SIGTERM  # the raise was lost, the request was not
    progress = StageProgress(enabled=False, lines=False)
    with pytest.raises(cp.StopRequested) as stopped, progress.stage("guardrails"):
        pass
    assert stopped.value.code == 128 + signal.SIGTERM
