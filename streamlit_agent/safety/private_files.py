"""Log files of the processes the app starts, in a directory only this user can enter.

A fixed name in the shared /tmp could be planted first, as a symlink that makes the app
truncate another file, or read by every local user. So a log lives in a per-user
directory (mode 0700, ours, not a symlink; made if missing), and a file in it is opened
relative to that directory's descriptor without following a symlink, with mode 0600.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import stat
import tempfile
import threading
from pathlib import Path

logger = logging.getLogger(__name__)

APP_DIR_NAME = "streamlit-agent"
# Bytes read back from the end of a log for an error message.
TAIL_BYTES = 16_384

_lock = threading.Lock()
_chosen: Path | None = None


def _candidates() -> list[Path]:
    """$XDG_RUNTIME_DIR/streamlit-agent (per-user, cleared at logout), else the cache."""
    found = []
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime and os.path.isabs(runtime):
        found.append(Path(runtime) / APP_DIR_NAME)
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    if os.path.isabs(cache):
        found.append(Path(cache) / APP_DIR_NAME / "logs")
    return found


def _is_private(info: os.stat_result) -> bool:
    return (
        stat.S_ISDIR(info.st_mode)
        and info.st_uid == os.geteuid()
        and not info.st_mode & (stat.S_IRWXG | stat.S_IRWXO)
    )


def _usable(path: Path) -> bool:
    """Make `path` if missing; True if it is now a private directory of ours."""
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        with contextlib.suppress(FileExistsError):
            path.mkdir(mode=0o700)
        info = os.lstat(path)
        if stat.S_ISDIR(info.st_mode) and info.st_uid == os.geteuid() and not _is_private(info):
            os.chmod(path, 0o700, follow_symlinks=False)  # ours, only too open: closed
            info = os.lstat(path)
    except OSError:
        return False
    if stat.S_ISLNK(info.st_mode) or not _is_private(info):
        logger.warning("not using %s for logs: not a private directory of this user", path)
        return False
    return True


def private_dir() -> Path:
    """This process's private log directory (chosen once)."""
    global _chosen
    with _lock:
        if _chosen is None or not _usable(_chosen):
            usable = [p for p in _candidates() if _usable(p)]
            # mkdtemp makes a fresh 0700 directory under an unguessable name.
            _chosen = usable[0] if usable else Path(tempfile.mkdtemp(prefix=f"{APP_DIR_NAME}-"))
        return _chosen


def _open_dir(directory: Path) -> int:
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
    if not _is_private(os.fstat(fd)):  # swapped since it was checked
        os.close(fd)
        raise PermissionError(errno.EPERM, "log directory is not private", str(directory))
    return fd


def open_log(name: str) -> tuple[int, Path]:
    """A new, empty log file `name` in the private directory: its descriptor (write
    only, 0600) and path. A symlink found at that name is removed, never followed."""
    if not name or "/" in name or name in (".", ".."):
        raise ValueError(f"not a plain file name: {name!r}")
    directory = private_dir()
    dir_fd = _open_dir(directory)
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_CLOEXEC
    try:
        try:
            fd = os.open(name, flags, 0o600, dir_fd=dir_fd)
        except OSError as exc:
            if exc.errno != errno.ELOOP:
                raise
            os.unlink(name, dir_fd=dir_fd)
            fd = os.open(name, flags | os.O_EXCL, 0o600, dir_fd=dir_fd)
    finally:
        os.close(dir_fd)
    os.fchmod(fd, 0o600)  # a file left from an earlier start keeps its old mode otherwise
    return fd, directory / name


def read_tail(path: Path, max_bytes: int = TAIL_BYTES) -> str:
    """The end of a private log as text; "" if it cannot be read (or is a symlink)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError:
        return ""
    with os.fdopen(fd, "rb") as file:
        size = os.fstat(fd).st_size
        file.seek(max(0, size - max_bytes))
        return file.read(max_bytes).decode(errors="replace")
