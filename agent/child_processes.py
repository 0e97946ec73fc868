"""Child processes that die with winback: whatever winback starts ends when winback ends.

Schedulers stop jobs with SIGTERM (cron wrappers, `timeout`, systemd, CI), terminals
send SIGHUP when they close, and anything can be killed with SIGKILL. Whatever
ends winback, a process it started (the embedded model server, the web app's
server, a worker) must be gone within 2 seconds: an orphaned `llama_cpp.server`
keeps generating on the same two cores for minutes. Three layers make it so:

1. **The kernel.** Every child is started with `PR_SET_PDEATHSIG = SIGKILL`
   (Linux), so it dies with winback even when winback gets `kill -9`, crashes or
   is killed for memory. SIGKILL rather than SIGTERM: uvicorn reads SIGTERM as
   "finish the requests in flight first", which took minutes for one request
   on a loaded machine, and the embedded server holds nothing worth saving.
2. **Its own process group.** The child starts a new session, so it and anything
   it spawns are one group that `os.killpg` ends at once, and Ctrl-C in the
   terminal reaches only winback, which then decides.
3. **Winback's handlers.** `install_stop_handlers` (called once at the CLI
   entry point) makes SIGTERM and SIGHUP stop every registered child first, then
   exit with the conventional code (143, 129) by raising `StopRequested`, a
   `SystemExit`: the stack unwinds normally, database transactions roll back,
   and the interrupted batch resumes on the next run. Ctrl-C (SIGINT) stops the
   children the same way, then raises `KeyboardInterrupt` as before (exit 130).
   A signal that was ignored when winback started (`nohup`, background jobs)
   stays ignored. An `atexit` hook stops what is left on any other exit.

A child is killed outright by default (grace 0). A child started with a grace
period, such as `winback llm serve` where a user may have a request in flight,
gets SIGTERM, up to `grace` seconds to exit, then SIGKILL; a second signal
during that wait kills at once.

Waiting uses `waitid(..., WNOWAIT)`, which observes an exit without reaping it,
so a handler that interrupts a `Popen.wait()` of the main thread (which holds
the Popen's wait lock) cannot deadlock on that lock.

Limits: the parent-death signal fires when the *thread* that started the child
ends, so start children from the main thread (or a thread that lives as long
as they should). Under `kill -9` the kernel kills the direct child only;
processes it spawned die with it only if they set their own parent-death
signal (llama_cpp.server spawns none). Outside Linux only layers 2 and 3 apply.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

PR_SET_PDEATHSIG = 1
STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP)
KILL_WAIT_SECONDS = 5.0  # SIGKILL takes milliseconds; this only bounds a stuck kernel


class StopRequested(SystemExit):
    """Raised by the SIGTERM/SIGHUP handler: a `SystemExit` with code 128 + signal number."""

    def __init__(self, signum: int) -> None:
        super().__init__(128 + signum)
        self.signum = signum

    @property
    def signal_name(self) -> str:
        """`SIGTERM`, `SIGHUP`, ..."""
        return signal.Signals(self.signum).name


@dataclass
class _Child:
    proc: subprocess.Popen
    grace: float


_children: dict[int, _Child] = {}
_stopping = False
_requested: int | None = None  # the stop signal received, if any
_atexit_registered = False


def _libc_prctl() -> Any | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):  # pragma: no cover - a libc without prctl
        return None


def start_child(
    args: Sequence[str], *, grace: float = 0.0, **popen_kwargs: Any
) -> subprocess.Popen:
    """Start a child that dies with winback: own process group, SIGKILL on parent death.

    `grace` is how long `stop_child` (and the stop handlers) give it after SIGTERM
    before SIGKILL; 0 kills it outright. Other keyword arguments go to `Popen`.
    """
    global _atexit_registered
    for reserved in ("start_new_session", "preexec_fn", "process_group"):
        if reserved in popen_kwargs:
            raise TypeError(f"start_child sets {reserved} itself")
    prctl = _libc_prctl()  # resolved before fork: the child only calls it
    parent = os.getpid()

    def die_with_parent() -> None:  # pragma: no cover - runs in the child, before exec
        prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != parent:  # the parent died before prctl took effect
            os.kill(os.getpid(), signal.SIGKILL)

    proc = subprocess.Popen(
        list(args),
        start_new_session=True,
        preexec_fn=die_with_parent if prctl is not None else None,
        **popen_kwargs,
    )
    _children[proc.pid] = _Child(proc, max(0.0, grace))
    if not _atexit_registered:
        atexit.register(stop_all_children)
        _atexit_registered = True
    return proc


def stop_child(proc: subprocess.Popen, grace: float | None = None) -> None:
    """Stop a child and its whole process group, and reap it.

    With a grace period (given here, or the one it was started with): SIGTERM to
    the group, up to `grace` seconds for the leader to exit, then SIGKILL. The
    group always gets a final SIGKILL, so nothing the child spawned survives it.
    """
    child = _children.get(proc.pid)  # stays registered until dead: a second signal finds it
    if grace is None:
        grace = child.grace if child else 0.0
    if grace > 0 and not _exited(proc.pid):
        _signal_group(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline and not _exited(proc.pid):
            time.sleep(0.02)
    _signal_group(proc.pid, signal.SIGKILL)
    deadline = time.monotonic() + KILL_WAIT_SECONDS
    while time.monotonic() < deadline and not _exited(proc.pid):
        time.sleep(0.005)
    _children.pop(proc.pid, None)
    proc.poll()  # reaps unless another frame is already waiting on it (then it reaps)


def stop_all_children(*, grace: float | None = None) -> None:
    """Stop every child started with `start_child` that is still registered."""
    for child in list(_children.values()):
        stop_child(child.proc, grace)


def live_children() -> list[subprocess.Popen]:
    """The registered children, for status and tests."""
    return [child.proc for child in _children.values()]


def install_stop_handlers() -> None:
    """SIGTERM, SIGHUP and Ctrl-C stop every child, then winback exits (143, 129, 130).

    Call from the main thread at the entry point. Signals ignored at start stay ignored.
    """
    for signum in STOP_SIGNALS:
        if signal.getsignal(signum) == signal.SIG_DFL:
            signal.signal(signum, _on_stop_signal)
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        signal.signal(signal.SIGINT, _on_stop_signal)


def raise_if_stop_requested() -> None:
    """Raise the stop a signal asked for, if one did and its raise was lost.

    The handler raises wherever the main thread is; inside a finalizer (`__del__`,
    a weakref callback) Python prints "Exception ignored" and carries on, and the
    run would go on with its children already stopped. Stage boundaries and the
    CLI call this, so such a stop still ends winback with its exit code."""
    if _requested is None:
        return
    if _requested == signal.SIGINT:
        raise KeyboardInterrupt
    raise StopRequested(_requested)


def _on_stop_signal(signum: int, _frame: object) -> None:
    global _stopping, _requested
    _requested = signum
    if _stopping:  # a second signal while children get their grace: no more grace
        stop_all_children(grace=0.0)
    else:
        _stopping = True
        try:
            stop_all_children()
        finally:
            _stopping = False
    if signum == signal.SIGINT:
        raise KeyboardInterrupt
    raise StopRequested(signum)


def _signal_group(pgid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signum)


def _exited(pid: int) -> bool:
    """Whether a child has exited, without reaping it (the Popen still can)."""
    try:
        return os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
    except ChildProcessError:  # already reaped
        return True
