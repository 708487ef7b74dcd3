"""A real OpenID Connect provider on 127.0.0.1 for tests of Streamlit's `st.login()`.

The provider is `oidc-provider-mock` (requirements-dev.txt), run as a subprocess with its
own CLI. Its sign-in page has no password: whoever submits a subject ("sub") is signed in
as that user, and the ID token carries the claims stored for that subject (email, name,
...), which Streamlit then shows as `st.user`. Clients must register (so only the exact
redirect URI given at registration is accepted, as with a real provider) and send a nonce.

    with TestIdentityProvider() as idp:
        secrets = tmp_path / "secrets.toml"
        secrets.write_text(auth_secrets_toml(idp, app_port))
        # streamlit run app.py --server.port {app_port} --secrets.files {secrets}
        # then in Chromium: click the app's log-in button, sign_in(page, "alice")

Browse the app at http://127.0.0.1:{app_port} exactly, the origin of the redirect URI:
Streamlit ignores the sign-in cookie on any other origin (e.g. localhost).
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tests.e2e_support import APP_ROOT, HOST, free_port

if TYPE_CHECKING:
    from playwright.sync_api import Page

# The mock's authorization form (same in 0.3.x and 0.4.x): one text field for the subject.
SUBJECT_INPUT = 'input[name="sub"]'
AUTHORIZE_BUTTON = f'form:has({SUBJECT_INPUT}) button[type="submit"]'
# Its RP-initiated logout page, where st.logout() lands: one button to go back to the app.
END_SESSION_BUTTON = 'form[action*="end_session"] button[type="submit"]'

_PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY")


def _http(
    method: str, url: str, body: dict[str, Any] | None = None, timeout: float = 5.0
) -> tuple[int, str]:
    """Status and body of a request to a loopback URL, bypassing any proxy settings."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=timeout) as response:
            return response.status, response.read().decode(errors="replace")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(errors="replace")


def default_claims(user: str) -> dict[str, str]:
    """The claims `sign_in` gives a user unless told otherwise: alice -> alice@example.org."""
    return {"email": f"{user}@example.org", "name": user.capitalize()}


class TestIdentityProvider:
    """`python -m oidc_provider_mock` on a free 127.0.0.1 port, stopped on exit.

    `issuer` is the provider's `iss` claim (`st.user.iss`); a user is `sub` at `issuer`.
    """

    __test__ = False  # a helper, not a test class, despite its name

    def __init__(
        self,
        *,
        port: int | None = None,
        log_dir: str | os.PathLike[str] | None = None,
        startup_timeout: float = 30.0,
    ) -> None:
        self.port = port or free_port()
        self.log_dir = Path(log_dir or tempfile.mkdtemp(prefix="oidc-provider-"))
        self.log_path = self.log_dir / f"oidc-provider-{self.port}.log"
        self.startup_timeout = startup_timeout
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def issuer(self) -> str:
        """The `iss` of its ID tokens: its own base URL, no trailing slash."""
        return self.url

    @property
    def server_metadata_url(self) -> str:
        return f"{self.url}/.well-known/openid-configuration"

    @property
    def command(self) -> list[str]:
        return [
            sys.executable,
            "-m",
            "oidc_provider_mock",
            "--host",
            HOST,
            "--port",
            str(self.port),
            "--require-registration",
            "true",
            "--require-nonce",
            "true",
        ]

    def start(self) -> TestIdentityProvider:
        """Launch and wait until the discovery document answers; raises with the log if not."""
        if self.process is not None:
            return self
        env = {k: v for k, v in os.environ.items() if k.upper() not in _PROXY_VARIABLES}
        env.update(NO_COLOR="1", PYTHONUNBUFFERED="1")
        self.log_dir.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                self.command,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            self._wait_until_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + self.startup_timeout
        last = "no answer yet"
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"oidc_provider_mock exited with code {self.process.returncode}\n"
                    f"{self.log_tail()}"
                )
            try:
                status, body = _http("GET", self.server_metadata_url, timeout=2)
                if status == 200 and json.loads(body).get("issuer") == self.issuer:
                    return
                last = f"HTTP {status}: {body[:200]}"
            except (OSError, ValueError) as error:
                last = repr(error)
            time.sleep(0.2)
        raise RuntimeError(f"{self.server_metadata_url} not ready ({last})\n{self.log_tail()}")

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM the provider's process group, SIGKILL it after `timeout`."""
        process = self.process
        if process is None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=timeout)

    def register_client(self, redirect_uri: str) -> tuple[str, str]:
        """A new client (id, secret) that may use only `redirect_uri`."""
        status, body = _http(
            "POST", f"{self.url}/oauth2/clients", {"redirect_uris": [redirect_uri]}
        )
        if status != 201:
            raise RuntimeError(f"client registration failed: HTTP {status}: {body}")
        client = json.loads(body)
        return client["client_id"], client["client_secret"]

    def set_user(self, sub: str, **claims: Any) -> None:
        """Store the claims (email, name, ...) the ID token will carry for `sub`."""
        set_user_claims(self.url, sub, claims)

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def log_tail(self, lines: int = 40) -> str:
        tail = self.log_text().splitlines()[-lines:]
        return f"--- last {len(tail)} lines of {self.log_path} ---\n" + "\n".join(tail)

    def __enter__(self) -> TestIdentityProvider:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def set_user_claims(idp_url: str, sub: str, claims: dict[str, Any]) -> None:
    """PUT /users/{sub} on the mock: the claims replace whatever it held for `sub`."""
    url = f"{idp_url}/users/{urllib.parse.quote(sub, safe='')}"
    status, body = _http("PUT", url, claims)
    if status != 204:
        raise RuntimeError(f"setting claims of {sub!r} failed: HTTP {status}: {body}")


def auth_secrets_toml(
    idp: TestIdentityProvider, app_port: int, *, provider: str | None = None
) -> str:
    """The `[auth]` section of secrets.toml for an app on 127.0.0.1:`app_port`.

    Registers a new client for exactly `http://127.0.0.1:{app_port}/oauth2callback` and
    uses a fresh random cookie secret. With `provider`, the client settings go under
    `[auth.{provider}]` (for `st.login(provider)`), else `st.login()` uses them.
    """
    redirect_uri = f"http://{HOST}:{app_port}/oauth2callback"
    client_id, client_secret = idp.register_client(redirect_uri)
    shared = {"redirect_uri": redirect_uri, "cookie_secret": secrets.token_urlsafe(32)}
    client = {
        "client_id": client_id,
        "client_secret": client_secret,
        "server_metadata_url": idp.server_metadata_url,
    }

    def lines(values: dict[str, str]) -> list[str]:
        return [f"{key} = {json.dumps(value)}" for key, value in values.items()]

    if provider is None:
        return "\n".join(["[auth]", *lines(shared), *lines(client)]) + "\n"
    return "\n".join(["[auth]", *lines(shared), "", f"[auth.{provider}]", *lines(client)]) + "\n"


def sign_in(
    page: Page,
    user: str,
    *,
    claims: dict[str, Any] | None = None,
    timeout_ms: float = 30_000,
) -> None:
    """On the provider's authorization page the app sent `page` to, sign in as `user`.

    `user` becomes `sub`; the ID token also carries `claims` (default: `default_claims`).
    Returns once the browser is back on the app (the redirect URI's origin) and the app's
    page is there; wait for the app's own content after that.
    """
    page.locator(SUBJECT_INPUT).wait_for(state="visible", timeout=timeout_ms)
    here = urllib.parse.urlsplit(page.url)
    set_user_claims(
        f"{here.scheme}://{here.netloc}", user, default_claims(user) if claims is None else claims
    )
    redirect_uri = urllib.parse.parse_qs(here.query)["redirect_uri"][0]
    app = urllib.parse.urlsplit(redirect_uri)
    app_origin = f"{app.scheme}://{app.netloc}"

    page.locator(SUBJECT_INPUT).fill(user)
    page.locator(AUTHORIZE_BUTTON).click()
    # The provider redirects to /oauth2callback, which sets the cookie and redirects on.
    page.wait_for_url(
        lambda url: url.startswith(app_origin) and "/oauth2callback" not in url,
        timeout=timeout_ms,
    )
    page.locator(APP_ROOT).wait_for(state="attached", timeout=timeout_ms)


def finish_sign_out(page: Page, *, timeout_ms: float = 30_000) -> None:
    """After the app's `st.logout()`, confirm on the provider's end-session page.

    Streamlit clears its cookies and then sends the browser to the provider's
    end_session_endpoint; the mock asks for one click before it redirects back to the
    app. Returns once the app's page is there again.
    """
    button = page.locator(END_SESSION_BUTTON)
    button.wait_for(state="visible", timeout=timeout_ms)
    back_to = urllib.parse.urlsplit(
        page.locator('input[name="redirect_uri"]').get_attribute("value") or ""
    )
    button.click()
    page.wait_for_url(
        lambda url: (
            url.startswith(f"{back_to.scheme}://{back_to.netloc}") and "/oauth2callback" not in url
        ),
        timeout=timeout_ms,
    )
    page.locator(APP_ROOT).wait_for(state="attached", timeout=timeout_ms)
