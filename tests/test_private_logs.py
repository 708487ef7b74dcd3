"""The bundled model's log: in a private per-user directory (0700), a 0600 file opened
without following a planted symlink, its quoted tail scrubbed. The server process is
real (streamlit_agent.models.bundled.launcher), given a model path that makes it fail."""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from streamlit_agent.models.bundled import server as local_model
from streamlit_agent.models.bundled.server import LocalModelError, LocalModelServer
from streamlit_agent.safety import private_files

VICTIM_TEXT = "precious data that a log must not overwrite\n"
KEY_SHAPED = "sk-abcdefghijklmnopqrstuvwx"


@pytest.fixture
def homes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Path]]:
    """A private runtime dir, a cache home and a shared temp dir, all under tmp_path."""
    runtime, cache, shared = tmp_path / "run", tmp_path / "cache", tmp_path / "shared-tmp"
    runtime.mkdir(mode=0o700)
    cache.mkdir(mode=0o700)
    shared.mkdir(mode=0o777)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))
    monkeypatch.setattr(tempfile, "tempdir", str(shared))  # where the old log went
    monkeypatch.setattr(private_files, "_chosen", None)
    yield {"runtime": runtime, "cache": cache, "shared": shared}


def _plant(link: Path, victim: Path) -> None:
    link.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    victim.write_text(VICTIM_TEXT)
    link.symlink_to(victim)


def _failing_start(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> LocalModelServer:
    # The file does not exist, so the real launcher exits at once, naming it in its log.
    monkeypatch.setattr(local_model, "gguf_chat_template", lambda _path: None)
    server = LocalModelServer(tmp_path / "models" / f"{KEY_SHAPED}.gguf")
    with pytest.raises(LocalModelError) as raised:
        server.start(timeout_s=60)
    server.error_text = str(raised.value)  # type: ignore[attr-defined]
    return server


def test_the_model_log_is_private_and_follows_no_planted_symlink(
    homes: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pid = os.getpid()
    # Symlinks where the log went before (the shared temp dir) and goes now.
    old_victim, new_victim = tmp_path / "victim-old.txt", tmp_path / "victim-new.txt"
    _plant(homes["shared"] / f"streamlit-agent-llama-{pid}.log", old_victim)
    _plant(homes["runtime"] / "streamlit-agent" / f"llama-server-{pid}.log", new_victim)
    os.chmod(homes["runtime"] / "streamlit-agent", 0o700)

    server = _failing_start(monkeypatch, tmp_path)

    assert old_victim.read_text() == VICTIM_TEXT and new_victim.read_text() == VICTIM_TEXT
    log = server.log_path
    assert log is not None and log.parent == homes["runtime"] / "streamlit-agent"
    info = os.lstat(log)
    assert stat.S_ISREG(info.st_mode) and stat.S_IMODE(info.st_mode) == 0o600
    assert stat.S_IMODE(os.lstat(log.parent).st_mode) == 0o700
    assert "Model path does not exist" in log.read_text()  # the server's output is there
    # The error quotes the log's tail, scrubbed of anything shaped like a key.
    assert "Model path does not exist" in server.error_text  # type: ignore[attr-defined]
    assert KEY_SHAPED not in server.error_text  # type: ignore[attr-defined]


def test_a_log_dir_that_is_not_private_is_refused_or_closed(
    homes: dict[str, Path], tmp_path: Path
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir(mode=0o700)
    (homes["runtime"] / "streamlit-agent").symlink_to(elsewhere)  # planted: refused
    foreign = homes["cache"] / "streamlit-agent" / "logs"
    foreign.mkdir(parents=True, mode=0o700)
    if os.geteuid() == 0:
        os.chown(foreign, 65534, 65534)  # another user's: refused
    else:  # only root can give a directory away; a file in its place is refused too
        foreign.rmdir()
        foreign.write_text("")
    chosen = private_files.private_dir()
    assert chosen not in (homes["runtime"] / "streamlit-agent", foreign)
    assert not chosen.is_symlink() and stat.S_IMODE(chosen.stat().st_mode) == 0o700
    fd, path = private_files.open_log("x.log")
    os.close(fd)
    assert path.parent == chosen and not list(elsewhere.iterdir())

    # Our own directory, only too open, is closed to group and others.
    (homes["runtime"] / "streamlit-agent").unlink()
    loose = homes["runtime"] / "streamlit-agent"
    loose.mkdir(mode=0o755)
    os.chmod(loose, 0o755)
    private_files._chosen = None
    assert private_files.private_dir() == loose
    assert stat.S_IMODE(loose.stat().st_mode) == 0o700


def test_a_log_file_left_open_to_others_is_truncated_and_closed(homes: dict[str, Path]) -> None:
    directory = private_files.private_dir()
    old = directory / "again.log"
    old.write_text("old run")
    os.chmod(old, 0o644)
    fd, path = private_files.open_log("again.log")
    os.write(fd, b"new run")
    os.close(fd)
    assert path.read_text() == "new run" and stat.S_IMODE(path.stat().st_mode) == 0o600
    with pytest.raises(ValueError):
        private_files.open_log("../escape.log")
