"""Run the app under a real `streamlit run` and drive it with Playwright (Debian's Chromium).

Everything stays on 127.0.0.1: the app listens there, and the environment it gets names
only loopback services (a `ScriptedOpenAI`, a SQLite file) unless a test says otherwise.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from streamlit_agent.models.bundled.server import free_port

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, Playwright

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SCRIPT = "streamlit_agent/app.py"
HOST = "127.0.0.1"

CHROMIUM_PATH = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1280, "height": 900}

APP_ROOT = '[data-testid="stApp"]'
CHAT_INPUT = '[data-testid="stChatInput"] textarea'
CHAT_MESSAGE = '[data-testid="stChatMessage"]'
STATUS_WIDGET = '[data-testid="stStatusWidget"]'

# Variables the app must never inherit from whoever runs the tests: real keys would reach
# a real provider, tracing would phone home, proxies would take loopback traffic elsewhere.
_INHERITED_PREFIXES = ("OPENAI_", "STREAMLIT_", "LANGCHAIN_", "LANGSMITH_", "AZURE_OPENAI_")
_INHERITED_NAMES = {
    "ANTHROPIC_API_KEY",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "http_proxy",
    "https_proxy",
    "all_proxy",
}


def ensure_loopback_bypasses_proxies() -> None:
    """Clients in this process (openai, httpx, urllib, Chromium) reach loopback directly,
    even where a proxy is configured."""
    for name in ("NO_PROXY", "no_proxy"):
        hosts = [h for h in os.environ.get(name, "").split(",") if h]
        for host in ("127.0.0.1", "localhost"):
            if host not in hosts:
                hosts.append(host)
        os.environ[name] = ",".join(hosts)


def as_anonymous_browser(context: Any, app_url: str, timeout_s: float = 60.0) -> str:
    """Give a browser context the anonymous identity the app issues on a first visit (only
    a cookie the app signed is an identity); returns its owner key."""
    from streamlit_agent.web.identity import BROWSER_COOKIE, browser_owner

    page = context.new_page()
    try:
        page.goto(app_url)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            found = [c for c in context.cookies(app_url) if c["name"] == BROWSER_COOKIE]
            if found:
                return browser_owner(found[0]["value"])
            page.wait_for_timeout(100)
    finally:
        page.close()
    raise TimeoutError(f"the app set no {BROWSER_COOKIE} cookie in {timeout_s:.0f} s")


def _no_proxy_opener() -> urllib.request.OpenerDirector:
    return urllib.request.build_opener(urllib.request.ProxyHandler({}))


def http_get(url: str, timeout: float = 5.0) -> tuple[int, str]:
    """Status and body of a GET, bypassing any proxy settings."""
    try:
        with _no_proxy_opener().open(url, timeout=timeout) as response:
            return response.status, response.read().decode(errors="replace")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(errors="replace")


def app_env(
    extra: Mapping[str, str] | None = None, *, base: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The environment for an app process: `base` (default os.environ) minus secrets and
    proxies, plus `extra`, which wins."""
    source = os.environ if base is None else base
    env = {
        name: value
        for name, value in source.items()
        if not name.startswith(_INHERITED_PREFIXES) and name not in _INHERITED_NAMES
    }
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
    env["PYTHONUNBUFFERED"] = "1"
    # Test helpers (e.g. tests/fake_search.py) must be importable inside the app as tests.*.
    paths = [str(REPO_ROOT)]
    if env.get("PYTHONPATH"):
        paths.append(env["PYTHONPATH"])
    env["PYTHONPATH"] = os.pathsep.join(paths)
    env.update(extra or {})
    return env


class AppProcess:
    """A `streamlit run` of `script` on a free loopback port, its output in a log file."""

    def __init__(
        self,
        env: Mapping[str, str] | None = None,
        *,
        script: str | os.PathLike[str] = DEFAULT_SCRIPT,
        port: int | None = None,
        log_dir: str | os.PathLike[str] | None = None,
        cwd: str | os.PathLike[str] = REPO_ROOT,
        extra_args: Sequence[str] = (),
        startup_timeout: float = 60.0,
    ) -> None:
        self.script = str(script)
        self.port = port or free_port()
        self.cwd = Path(cwd)
        self.log_dir = Path(log_dir or tempfile.mkdtemp(prefix="streamlit-app-"))
        self.log_path = self.log_dir / f"streamlit-{self.port}.log"
        self.extra_args = list(extra_args)
        self.startup_timeout = startup_timeout
        extra = dict(env or {})
        # Never let a test write into the developer's real conversation store by default.
        extra.setdefault("STREAMLIT_AGENT_DB_URL", f"sqlite:///{self.log_dir / 'app.db'}")
        self.env = app_env(extra)
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def command(self) -> list[str]:
        return [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            self.script,
            "--server.port",
            str(self.port),
            "--server.headless",
            "true",
            "--server.address",
            HOST,
            "--browser.gatherUsageStats",
            "false",
            "--server.fileWatcherType",
            "none",
            *self.extra_args,
        ]

    def start(self) -> AppProcess:
        """Launch and wait until /_stcore/health says "ok"; raises with the log tail if not."""
        if self.process is not None:
            return self
        self.log_dir.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "wb") as log:
            # Own session, so stop() can end anything the app spawned (e.g. a model server).
            self.process = subprocess.Popen(
                self.command,
                cwd=self.cwd,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            self.wait_until_healthy(self.startup_timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def wait_until_healthy(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        last = "no answer yet"
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                code = None if self.process is None else self.process.returncode
                raise RuntimeError(
                    f"streamlit exited with code {code} before it was healthy\n{self.log_tail()}"
                )
            try:
                status, body = http_get(f"{self.url}/_stcore/health", timeout=2)
                if status == 200 and body.strip() == "ok":
                    return
                last = f"HTTP {status}: {body[:200]}"
            except OSError as error:
                last = repr(error)
            time.sleep(0.25)
        raise RuntimeError(
            f"streamlit on {self.url} not healthy after {timeout:.0f}s ({last})\n{self.log_tail()}"
        )

    def is_running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM the app's process group, then SIGKILL whatever is left after `timeout`."""
        process = self.process
        if process is None:
            return
        if process.poll() is None:
            self._signal_group(process, signal.SIGTERM)
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self._signal_group(process, signal.SIGKILL)
                process.wait(timeout=timeout)
        # Children of a process that already exited may still hold the port.
        self._signal_group(process, signal.SIGKILL)

    def kill(self) -> None:
        """SIGKILL the app at once, as a crash or a power cut would: no cleanup runs."""
        if self.process is not None:
            self._signal_group(self.process, signal.SIGKILL)
            self.process.wait(timeout=10)

    @staticmethod
    def _signal_group(process: subprocess.Popen[bytes], signum: int) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signum)  # the group we created with start_new_session

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def log_tail(self, lines: int = 60) -> str:
        tail = self.log_text().splitlines()[-lines:]
        return f"--- last {len(tail)} lines of {self.log_path} ---\n" + "\n".join(tail)

    def __enter__(self) -> AppProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


# --------------------------------------------------------------------------- browser


def chromium_available() -> bool:
    return os.access(CHROMIUM_PATH, os.X_OK)


def launch_chromium(playwright: Playwright, *, headless: bool = True) -> Browser:
    """Debian's Chromium; Playwright's own browser download is never used (or possible)."""
    return playwright.chromium.launch(
        executable_path=CHROMIUM_PATH, headless=headless, args=CHROMIUM_ARGS
    )


def start_playwright() -> Playwright:
    """A started sync Playwright; the caller must `.stop()` it."""
    from playwright.sync_api import sync_playwright

    return sync_playwright().start()


_BUBBLE_TEXT_JS = """el => {
  const content = el.querySelector('[data-testid="stChatMessageContent"]');
  return (content || el).innerText;
}"""

_IDLE_JS = """
() => {
  const app = document.querySelector('[data-testid="stApp"]');
  if (!app) return false;
  if (app.getAttribute('data-test-connection-state') !== 'CONNECTED') return false;
  if (app.getAttribute('data-test-script-state') !== 'notRunning') return false;
  const widget = document.querySelector('[data-testid="stStatusWidget"]');
  return !widget || widget.getClientRects().length === 0;
}
"""

_BUSY_OR_GREW_JS = """
(before) => {
  const app = document.querySelector('[data-testid="stApp"]');
  const state = app && app.getAttribute('data-test-script-state');
  const count = document.querySelectorAll('[data-testid="stChatMessage"]').length;
  return state !== 'notRunning' || count > before;
}
"""


def _navigated(error: Exception) -> bool:
    """True for the error a page's script call gets when the page reloads under it (a tab
    that lost the first-visit cookie race reloads itself)."""
    text = str(error)
    return "context was destroyed" in text or "navigation" in text


def wait_for_idle(page: Page, timeout_ms: float = 60_000, settle_ms: float = 200) -> None:
    """Wait until the script is not running, is connected and shows no status widget.

    Idle must hold across `settle_ms`, because a finished run may trigger a rerun at once.
    A reload meanwhile starts the wait over on the new page, within the same deadline.
    """
    from playwright.sync_api import Error as PlaywrightError

    deadline = time.monotonic() + timeout_ms / 1000
    while True:
        remaining = max(1.0, (deadline - time.monotonic()) * 1000)
        try:
            page.wait_for_function(_IDLE_JS, timeout=remaining)
            page.wait_for_timeout(settle_ms)
            if page.evaluate(_IDLE_JS):
                return
        except PlaywrightError as error:
            if not _navigated(error) or time.monotonic() > deadline:
                raise
        if time.monotonic() > deadline:
            raise TimeoutError(f"Streamlit did not settle within {timeout_ms / 1000:.0f}s")


# Resolves with the time (performance.now()) of the page's last DOM change once nothing
# has changed for `quietMs`, or fails after `timeoutMs`: the browser may still be drawing
# a finished run (loading an element's code on first use) after Streamlit reports it done.
DRAWN_JS = """
([quietMs, timeoutMs]) => new Promise((resolve, reject) => {
  const start = performance.now();
  let last = start;
  const observer = new MutationObserver(() => { last = performance.now(); });
  observer.observe(document, {subtree: true, childList: true, characterData: true});
  const check = () => {
    const now = performance.now();
    if (now - last >= quietMs) { observer.disconnect(); resolve(last); }
    else if (now - start > timeoutMs) {
      observer.disconnect(); reject(new Error('the page kept changing'));
    } else setTimeout(check, 25);
  };
  setTimeout(check, quietMs);
})
"""
DRAWN_QUIET_MS = 300


def wait_for_app(page: Page, timeout_ms: float = 60_000) -> None:
    """Wait for the chat input to be visible, the first script run to have finished, and
    the page to be drawn (the chat box is drawn first, the rest may follow it)."""
    from playwright.sync_api import Error as PlaywrightError

    for _ in range(3):  # a reload meanwhile (see `_navigated`) means waiting again
        try:
            page.locator(CHAT_INPUT).first.wait_for(state="visible", timeout=timeout_ms)
            wait_for_idle(page, timeout_ms)
            page.evaluate(DRAWN_JS, [DRAWN_QUIET_MS, timeout_ms])
            return
        except PlaywrightError as error:
            if not _navigated(error):
                raise
    raise TimeoutError("the page kept reloading")


def send_chat(page: Page, text: str, *, wait: bool = True, timeout_ms: float = 60_000) -> None:
    """Type `text` into the chat input and press Enter.

    With `wait` (the default) return once the resulting run has finished; pass
    `wait=False` to watch an answer while it streams.
    """
    before = page.locator(CHAT_MESSAGE).count()
    box = page.locator(CHAT_INPUT).first
    box.fill(text)  # waits for the input to be enabled, e.g. after a previous answer
    box.press("Enter")
    if not wait:
        return
    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

    # Without this, the idle state from before the submit would count as "finished".
    # A timeout here is fine: e.g. the app ignored a blank message and never reran visibly.
    with contextlib.suppress(PlaywrightTimeoutError):
        page.wait_for_function(_BUSY_OR_GREW_JS, arg=before, timeout=5_000)
    wait_for_idle(page, timeout_ms)


def chat_messages(page: Page) -> list[str]:
    """The inner text of every chat bubble, in page order.

    Only the bubble's content: the avatar is an icon font whose ligature name ("face",
    "smart_toy") would otherwise lead every text.
    """
    return page.locator(CHAT_MESSAGE).evaluate_all(f"els => els.map({_BUBBLE_TEXT_JS})")


def chat_roles(page: Page) -> list[str]:
    """ "user", "assistant" or "custom" for every chat bubble, from its avatar."""
    return page.locator(CHAT_MESSAGE).evaluate_all(
        """els => els.map(el => {
          const avatar = el.querySelector('[data-testid^="stChatMessageAvatar"]');
          const id = avatar ? avatar.getAttribute('data-testid') : '';
          return id.replace('stChatMessageAvatar', '').toLowerCase() || 'unknown';
        })"""
    )


def wait_for_chat_text(page: Page, text: str, timeout_ms: float = 30_000) -> None:
    """Wait until some chat bubble contains `text`."""
    page.locator(CHAT_MESSAGE).filter(has_text=text).first.wait_for(
        state="visible", timeout=timeout_ms
    )


def record_chat_text_changes(page: Page) -> None:
    """Start recording every distinct text of the last chat bubble (see `recorded_chat_texts`).

    A MutationObserver sees each streamed step even when it lasts only milliseconds, which
    polling from Python would miss.
    """
    page.evaluate(
        """(bubbleText) => {
          const textOf = eval(bubbleText);
          window.__chatTexts = [];
          const note = () => {
            const all = document.querySelectorAll('[data-testid="stChatMessage"]');
            if (!all.length) return;
            const text = textOf(all[all.length - 1]);
            const seen = window.__chatTexts;
            if (!seen.length || seen[seen.length - 1] !== text) seen.push(text);
          };
          window.__chatObserver = new MutationObserver(note);
          window.__chatObserver.observe(document.body,
            {subtree: true, childList: true, characterData: true});
        }""",
        _BUBBLE_TEXT_JS,
    )


def recorded_chat_texts(page: Page) -> list[Any]:
    return page.evaluate("() => window.__chatTexts || []")


# --------------------------------------------------------------------------- privacy

SECRET_QUESTION = "My name is Ada and my bank PIN is 4321"


def model_env(scripted: Any, **extra: str) -> dict[str, str]:
    return {
        "OPENAI_BASE_URL": scripted.base_url,
        "STREAMLIT_AGENT_MODEL": "scripted-model",
        **extra,
    }


def sidebar_text(page: Any) -> str:
    return page.locator('[data-testid="stSidebar"]').inner_text()


def new_page(browser: Any, **context_options: Any) -> Any:
    context = browser.new_context(viewport=VIEWPORT, **context_options)
    return context.new_page()


def open_url(page: Any, url: str) -> None:
    page.goto(url)
    wait_for_app(page)


def open_refused(page: Any, url: str) -> str:
    """Open a page that shows no chat (not found, sign-in needed); returns its text."""
    page.goto(url)
    page.locator(APP_ROOT).wait_for(state="attached")
    page.locator('[data-testid="stAlert"], [data-testid="stButton"]').first.wait_for()
    wait_for_idle(page)
    return page.locator(APP_ROOT).inner_text()


def assert_not_theirs(page: Any, url: str) -> None:
    """Opening someone else's conversation by its URL shows nothing of it, and no way in."""
    body = open_refused(page, url)
    assert "Conversation not found" in body
    assert "4321" not in body and "Ada" not in body
    assert page.locator('[data-testid="stChatInput"]').count() == 0  # cannot post
    for action in ("Rename", "Delete", "Export", "Approve"):
        assert page.get_by_role("button", name=action).count() == 0, action
    assert page.locator('[data-testid="stFeedback"]').count() == 0  # cannot rate
    assert page.get_by_role("checkbox").count() == 0  # cannot toggle tools there


def owner_chats(page: Any) -> str:
    send_chat(page, SECRET_QUESTION)
    wait_for_chat_text(page, "Nice to meet you, Ada")
    return page.url
