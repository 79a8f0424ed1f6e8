"""Reports that appear whole or not at all.

Every report rpp writes (``rpp simulate --out DIR``, ``rpp verify --json FILE``,
``rpp mutate --json FILE``) is written beside its target under a temporary name,
flushed to disk, then moved into place with a rename, so a reader, a crash, a full
disk or a ``kill -9`` never leaves a half-written file or a directory that mixes two
runs:

- `write_text` / `write_bytes`: ``.NAME.tmp-PID-XXXX`` in the same directory, then
  ``os.replace`` onto ``NAME``.
- `staged_directory`: the files go into ``DIR.tmp-PID-XXXX/``; when all of them are
  written the directory takes ``DIR``'s place in one step (Linux ``renameat2`` with
  ``RENAME_EXCHANGE``; elsewhere two renames, between which ``DIR`` is briefly
  absent, never mixed), and the earlier ``DIR`` is kept as ``DIR.previous/`` (one
  generation). A failure removes the temporary directory and leaves ``DIR`` as it was.

Temporary names carry the writer's pid; one left by a killed writer is removed by the
next writer of the same target once that pid is gone.

It lives in `specs` (the lowest layer) so both `specs` and `simulator` writers use it.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import shutil
import signal
import stat
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

__all__ = [
    "PREVIOUS_SUFFIX",
    "NotARegularFile",
    "check_writable_dir",
    "directory_refusal",
    "file_refusal",
    "staged_directory",
    "write_bytes",
    "write_text",
]

PREVIOUS_SUFFIX = ".previous"
_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _remove_stale(parent: Path, prefix: str) -> None:
    """Remove temporaries ``PREFIX<pid>-...`` whose writer is no longer running."""
    with contextlib.suppress(OSError):
        for entry in parent.iterdir():
            if not entry.name.startswith(prefix):
                continue
            pid, _, _ = entry.name[len(prefix) :].partition("-")
            if pid.isdigit() and int(pid) != os.getpid() and not _pid_alive(int(pid)):
                if entry.is_dir() and not entry.is_symlink():
                    shutil.rmtree(entry, ignore_errors=True)
                else:
                    entry.unlink(missing_ok=True)


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


class NotARegularFile(OSError):
    """A report was to replace something that is not a regular file (a FIFO, a device
    node, a socket, a directory): it is never replaced."""


_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def _special(path: Path) -> str | None:
    """What ``path`` is when it exists and is neither a regular file nor a symbolic
    link (which a rename replaces, leaving what it points at alone)."""
    try:
        mode = os.lstat(path).st_mode
    except OSError:
        return None
    return next((kind for test, kind in _KINDS if test(mode)), None)


def file_refusal(path: Path) -> str | None:
    """Why ``path`` cannot take a report file, in words for the user (None: it can):
    only a new path or a regular file is ever written, in a directory that takes a file
    (made, with its parents, when the file is written: nothing is made here)."""
    path = Path(path)
    special = _special(path)
    if special == "a directory":
        return "is a directory; name a file"
    if special is not None:
        return f"is {special}, not a regular file; name a regular file or a new path"
    return _unwritable(path.parent)


def _unwritable(directory: Path) -> str | None:
    """Why no file can be made in ``directory`` or, when it does not exist yet, in its
    nearest existing ancestor (where it would be made); None when one can. Makes
    nothing: a run refused later leaves no empty directory behind."""
    existing = directory
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    try:
        if not existing.is_dir():
            raise NotADirectoryError(20, "Not a directory", str(existing))
        fd, probe = tempfile.mkstemp(dir=existing, prefix=f".rpp-probe-{os.getpid()}-")
        os.close(fd)
        os.unlink(probe)
    except OSError as error:
        return f"cannot write in {directory}: {error.strerror or error}"
    return None


def directory_refusal(out: Path, is_report: Callable[[Path], bool]) -> str | None:
    """Why ``out`` cannot take a report directory (None: it can), in words for the user.

    Accepted: a missing directory (made, with its parents), an empty one, or an earlier
    report (``is_report``; kept as ``DIR.previous``). Refused: ``/``, a file, a symbolic
    link, a directory with other things in it, a ``DIR.previous`` that is not a report,
    and a place where no file can be made."""
    out = Path(out)
    if out.resolve() == Path(out.resolve().anchor):
        return "the root directory; name a directory for the report"
    for path in (out, *out.parents):
        if path.exists() and not path.is_dir():
            shown = "" if path == out else f" ({path} is a file)"
            return f"not a directory{shown}"
    if out.is_symlink():
        return "a symbolic link; name the directory itself"
    if out.is_dir() and any(out.iterdir()) and not is_report(out):
        return (
            "a directory that is neither empty nor an earlier report; name a new or empty directory"
        )
    previous = out.with_name(out.name + PREVIOUS_SUFFIX)
    if previous.exists() and not (previous.is_dir() and is_report(previous)):
        return f"{previous} (where the earlier report is kept) exists and is not a report; move it away"
    return _unwritable(out.parent)


def write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` whole or not at all (``path`` keeps its old content
    on any failure). Raises OSError; NotARegularFile when ``path`` is a FIFO, a device
    node, a socket or a directory (never replaced)."""
    path = Path(path)
    special = _special(path)
    if special is not None:
        raise NotARegularFile(errno.EINVAL, f"{special}, not a regular file", str(path))
    parent = path.parent
    parent.mkdir(parents=True, exist_ok=True)
    prefix = f".{path.name}.tmp-"
    _remove_stale(parent, prefix)
    fd, temporary = tempfile.mkstemp(dir=parent, prefix=f"{prefix}{os.getpid()}-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, 0o666 & ~_UMASK)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    _fsync_dir(parent)


def write_text(path: Path, text: str) -> None:
    """`write_bytes` of ``text`` in UTF-8."""
    write_bytes(path, text.encode("utf-8"))


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_UMASK = _umask()  # read once, at import, before any thread could create a file

_HELD = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP}


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """Ctrl-C, SIGTERM and SIGHUP are held (delivered when the block ends), so the
    swap of a report and its previous run is never cut in half."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    before = signal.pthread_sigmask(signal.SIG_BLOCK, _HELD)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, before)


def check_writable_dir(directory: Path) -> None:
    """Make ``directory`` (and its parents) and prove a file can be made in it.
    Raises OSError (with the path) when it cannot."""
    directory.mkdir(parents=True, exist_ok=True)
    fd, probe = tempfile.mkstemp(dir=directory, prefix=f".rpp-probe-{os.getpid()}-")
    os.close(fd)
    os.unlink(probe)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two directories in one step (Linux); False where that is not available."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    result = renameat2(
        _AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), ctypes.c_uint(_RENAME_EXCHANGE)
    )
    if result == 0:
        return True
    error = ctypes.get_errno()
    if error in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
        return False
    raise OSError(error, os.strerror(error), str(b))


@contextlib.contextmanager
def staged_directory(target: Path) -> Iterator[Path]:
    """A fresh temporary directory beside ``target`` to write a report into; when the
    block ends without an exception it replaces ``target`` (kept as
    ``target.previous``; an empty ``target`` is simply replaced). On an exception
    (or KeyboardInterrupt) it is removed and ``target`` is untouched."""
    target = Path(target)
    parent = target.parent
    parent.mkdir(parents=True, exist_ok=True)
    prefix = f"{target.name}.tmp-"
    _remove_stale(parent, prefix)
    staging = Path(tempfile.mkdtemp(dir=parent, prefix=f"{prefix}{os.getpid()}-"))
    try:
        yield staging
        for entry in staging.iterdir():
            _fsync_file(entry)
        os.chmod(staging, 0o777 & ~_UMASK)
        _fsync_dir(staging)
        with _signals_held():  # a stop signal waits until the report is in place
            _put_in_place(staging, target)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    _fsync_dir(parent)


def _fsync_file(path: Path) -> None:
    if path.is_file():
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _put_in_place(staging: Path, target: Path) -> None:
    previous = target.with_name(target.name + PREVIOUS_SUFFIX)
    if not target.exists():
        os.rename(staging, target)
        return
    if target.is_dir() and not any(target.iterdir()):
        target.rmdir()
        os.rename(staging, target)
        return
    if _exchange(staging, target):
        # staging now holds the earlier report: keep it as the previous run.
        if previous.exists():
            shutil.rmtree(previous)
        os.rename(staging, previous)
        return
    if previous.exists():
        shutil.rmtree(previous)
    os.rename(target, previous)
    os.rename(staging, target)
