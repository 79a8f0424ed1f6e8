"""Worker processes that end with the rpp that started them.

A command that runs work in worker processes (``rpp verify``, ``rpp simulate``) promises
that Ctrl-C, SIGTERM, SIGHUP or a ``kill -9`` of rpp leaves no worker behind and prints
no worker's traceback:

- :func:`worker_started` is a pool's ``initializer``: the worker ignores Ctrl-C (rpp,
  which gets it too, stops the worker), takes SIGTERM's default (end at once), and dies
  with rpp even when rpp is killed (Linux ``PR_SET_PDEATHSIG``; elsewhere a thread that
  polls the parent's pid).
- :func:`stop` terminates workers and kills what has not ended within a second.
- :func:`signals_stop` turns SIGTERM and SIGHUP into :class:`Stopped`, a
  ``KeyboardInterrupt``, so one ``except BaseException`` path stops the workers for
  every way a run can be stopped; the CLI exits ``128 + signal number``.

It lives in `specs` (the lowest layer) beside `atomic`, so every package can use it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from collections.abc import Iterator, Sequence
from types import FrameType
from typing import Any

__all__ = ["Stopped", "die_with_parent", "signals_stop", "stop", "worker_started"]

_PR_SET_PDEATHSIG = 1


class Stopped(KeyboardInterrupt):
    """The run was stopped by a signal (SIGTERM, SIGHUP); Ctrl-C is a plain
    KeyboardInterrupt."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum

    @property
    def exit_status(self) -> int:
        """What a shell reports for a process ended by this signal."""
        return 128 + self.signum


def die_with_parent(parent: int) -> None:
    """End this process when ``parent`` dies, even by ``kill -9``."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0:
            if os.getppid() != parent:  # the parent died before prctl took effect
                os._exit(1)
            return
    except (OSError, AttributeError):  # pragma: no cover - not Linux
        pass

    def poll() -> None:  # pragma: no cover - not Linux
        while os.getppid() == parent:
            time.sleep(1)
        os._exit(1)

    threading.Thread(target=poll, daemon=True).start()  # pragma: no cover


def worker_started(parent: int) -> None:
    """A pool worker's first act: leave Ctrl-C to ``parent``, end at SIGTERM, die with
    ``parent``."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGHUP, signal.SIG_DFL)
    die_with_parent(parent)


def stop(processes: Sequence[Any]) -> None:
    """Terminate worker processes, then kill what has not ended within a second."""
    for process in processes:
        with contextlib.suppress(Exception):
            process.terminate()
    deadline = time.monotonic() + 1.0
    for process in processes:
        with contextlib.suppress(Exception):
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                process.kill()
                process.join(1.0)


@contextlib.contextmanager
def signals_stop() -> Iterator[None]:
    """While inside: SIGTERM and SIGHUP raise :class:`Stopped` in the main thread."""

    def raise_stopped(signum: int, frame: FrameType | None) -> None:
        raise Stopped(signum)

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.signal(sig, raise_stopped) for sig in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
