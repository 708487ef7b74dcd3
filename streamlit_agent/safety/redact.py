"""The one scrubber for text that comes from elsewhere: error messages of MCP servers,
database drivers and HTTP clients, subprocess output, log records.

Such text is untrusted and may be long, so every pattern here runs on RE2 (linear in
the input, no backtracking) and known secrets are removed with plain `str.replace`.
What goes:

- values the app was configured with (`remember`, and the `secrets` of a call): model
  and tracing keys, the database password, MCP servers' env and header values,
  also percent-encoded as they appear inside URLs;
- user info of any URL in the text (`scheme://user:pass@host` keeps `scheme://…@host`);
- values of credential-like names: `?api_key=…&token=…`, libpq's `password=…`,
  `"client_secret": "…"`, `Authorization: Bearer …`;
- anything shaped like a key: `sk-…`, bearer tokens, GitHub/Slack/AWS/Google/Hugging
  Face/LangSmith keys, JWTs, and a long token after a word such as key or password.

Nothing here imports Streamlit or the rest of the app, so any module may use it.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterable
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit

import re2

MARK = "[redacted]"
# Shorter remembered values would be found inside ordinary words.
MIN_SECRET_CHARS = 4
# Values of environment variables are remembered only from this length: a setting like
# SOME_TOKEN_TTL=60 is not a secret, and "60" must not vanish from every message.
MIN_ENV_SECRET_CHARS = 8
# Remembered values are kept for the life of the process, up to this many (newest kept).
MAX_REMEMBERED = 512

# Words that make a name (query parameter, DSN keyword, header, JSON key) a credential.
_SECRET_WORDS = "pass|pwd|secret|token|key|auth|credential|signature|sig|session|cookie"
# For `name: value` only names that END with one of these count, so "KeyError: 'x'"
# or "tokenizer: gpt2" keep their value.
_COLON_WORDS = "authorization|auth|password|passwd|pwd|pass|secret|token|key|cookie|credentials?"
_VALUE = r"""(?:"[^"\r\n]*"|'[^'\r\n]*'|[^\s&;,"'<>()\[\]{}]+)"""

_SECRET_NAME = re2.compile(rf"(?i)(?:{_SECRET_WORDS})")
# Environment variables whose values are remembered; narrower than _SECRET_WORDS so
# SSH_AUTH_SOCK or DBUS_SESSION_BUS_ADDRESS do not make paths vanish from the log.
_SECRET_ENV_NAME = re2.compile(r"(?i)key|token|secret|passw|pwd|credential")


def _bytes_pattern(pattern: str) -> tuple[re2._Regexp, int]:
    """The pattern compiled for UTF-8 bytes, and the number of its `secret` group."""
    # Bytes: the str wrapper maps offsets back to characters at every match, which
    # made a 20,000-character text with 3,000 matches take 4x as long.
    compiled = re2.compile(pattern.encode())
    return compiled, compiled.groupindex[b"secret"]


# Each pattern's group `secret` is what is replaced.
_PATTERNS = tuple(
    _bytes_pattern(p)
    for p in (
        # Quotes too: RFC 3986 allows "'" in a password, and one may be written raw.
        r"""(?i)\b[a-z][a-z0-9+.\-]*://(?P<secret>[^\s/?#<>]*)@""",
        rf"""(?i)["']?[a-z0-9_\-]*(?:{_COLON_WORDS})["']?\s*:\s*"""
        rf"(?P<secret>(?:(?:bearer|basic|token|digest)\s+)?{_VALUE})",
        rf"(?i)[a-z0-9_.\-]*(?:{_SECRET_WORDS})[a-z0-9_.\-]*\s*=\s*(?P<secret>{_VALUE})",
        # "the api key 3f9a…" or "password 'hunter2hunter2…'": a long run after the word.
        r"""(?i)\b(?:api[ _\-]?key|key|token|secret|password|passwd|credential)s?\b"""
        r"""["'`\s:=]{0,3}(?:is\s+)?["'`]?(?P<secret>[A-Za-z0-9+/_\-.~]{16,}=*)""",
        "(?P<secret>"
        + "|".join(
            (
                r"\bsk-[A-Za-z0-9_\-]{6,}",
                r"(?i:\b(?:bearer|basic)\s+[A-Za-z0-9._~+/\-]{8,}=*)",
                r"\bgh[pousr]_[A-Za-z0-9]{20,}",
                r"\bgithub_pat_[A-Za-z0-9_]{20,}",
                r"\bxox[abprs]-[A-Za-z0-9\-]{10,}",
                r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b",
                r"\bAIza[0-9A-Za-z_\-]{30,}",
                r"\bhf_[A-Za-z0-9]{20,}",
                r"\blsv2_[a-z]{2}_[A-Za-z0-9_]{20,}",
                r"\beyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}",
            )
        )
        + ")",
    )
)
_MARK_BYTES = MARK.encode()


def _blank(pattern: re2._Regexp, group: int, data: bytes) -> bytes:
    """`data` with each match's `secret` group replaced by MARK; one pass."""
    pieces, end = [], 0
    for match in pattern.finditer(data):
        start, stop = match.span(group)
        if start >= 0:
            pieces += (data[end:start], _MARK_BYTES)
            end = stop
    if not pieces:
        return data
    pieces.append(data[end:])
    return b"".join(pieces)


_lock = threading.Lock()
_remembered: dict[str, None] = {}  # insertion-ordered set
_snapshot: tuple[str, ...] = ()


def _variants(secret: str) -> list[str]:
    """The secret as written and as it appears inside a URL (percent-encoded or not)."""
    return list(dict.fromkeys([secret, quote(secret, safe=""), unquote(secret)]))


def _ordered(secrets: Iterable[str]) -> list[str]:
    # Longest first, so a secret that contains another is removed whole.
    return sorted({v for s in secrets for v in _variants(s) if len(v) >= MIN_SECRET_CHARS},
                  key=len, reverse=True)  # fmt: skip


def remember(*secrets: str | None) -> None:
    """Scrub these values from every text from now on (e.g. configured keys)."""
    global _snapshot
    fresh = [s for s in secrets if s and len(s) >= MIN_SECRET_CHARS]
    if not fresh:
        return
    with _lock:
        if all(s in _remembered for s in fresh):
            return
        for secret in fresh:
            _remembered.pop(secret, None)
            _remembered[secret] = None
        while len(_remembered) > MAX_REMEMBERED:
            _remembered.pop(next(iter(_remembered)))
        _snapshot = tuple(_ordered(_remembered))


def url_password(url: str | None) -> str | None:
    """The password in a URL's user info (`scheme://user:password@host`), if any."""
    if not url or "@" not in url:
        return None
    try:
        password = urlsplit(url).password
    except ValueError:
        return None
    return unquote(password) if password else None


def remember_environment(environ: dict[str, str] | None = None) -> None:
    """Remember the values of credential-like environment variables, and URL passwords."""
    environ = dict(os.environ if environ is None else environ)
    for name, value in environ.items():
        upper = name.upper()
        if upper in ("PWD", "OLDPWD"):  # the working directory, not a password
            continue
        if _SECRET_ENV_NAME.search(upper) and len(value) >= MIN_ENV_SECRET_CHARS:
            remember(value)
        if "://" in value:
            remember(url_password(value))


def scrub(text: str, secrets: Iterable[str | None] = ()) -> str:
    """`text` without credentials: given and remembered values, URL user info,
    credential-like parameters and anything shaped like a key."""
    if not text:
        return text
    given = _ordered(s for s in secrets if s)
    for secret in (*given, *_snapshot):
        if secret in text:
            text = text.replace(secret, MARK)
    # Every match starts and ends at an ASCII character, so the bytes decode again.
    data = text.encode("utf-8", "surrogatepass")
    for pattern, group in _PATTERNS:
        data = _blank(pattern, group, data)
    return data.decode("utf-8", "surrogatepass")


def is_secret_name(name: str) -> bool:
    """Whether a parameter named `name` carries a credential (its value is hidden)."""
    return _SECRET_NAME.search(name) is not None


# --- logging ------------------------------------------------------------------------


class ScrubbingRecord(logging.LogRecord):
    """A log record whose message, exception text and stack are scrubbed once made.

    Done at creation (the record factory), not in a handler's filter, so it holds for
    every handler: Streamlit's, the root's, Python's last-resort stderr handler and any
    added later, and for other libraries' records (httpx logs whole request URLs).
    """

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        try:
            message = self.getMessage()
        except Exception:  # bad format arguments: keep what can be shown, scrubbed
            message = f"{self.msg!s} {self.args!r}"
        self.msg, self.args = scrub(message), ()
        _scrub_attachments(self)


def _scrub_attachments(record: logging.LogRecord) -> None:
    # The traceback is rendered here, scrubbed, and the live exception dropped, so no
    # handler can render it again from `exc_info` with the secrets in its messages.
    if record.exc_info:
        if not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        record.exc_info = None
    if record.exc_text:
        record.exc_text = scrub(record.exc_text)
    if record.stack_info:
        record.stack_info = scrub(record.stack_info)


_installed = False


def install_log_scrubber() -> None:
    """Make every log record of this process pass through `scrub` (idempotent)."""
    global _installed
    with _lock:
        if _installed:
            return
        previous = logging.getLogRecordFactory()
        if previous is logging.LogRecord:
            logging.setLogRecordFactory(ScrubbingRecord)
        else:  # someone else's factory: keep it, scrub what it makes
            logging.setLogRecordFactory(_wrapping(previous))
        _installed = True
    remember_environment()


def _wrapping(factory: object) -> object:
    def make(*args: object, **kwargs: object) -> logging.LogRecord:
        record = factory(*args, **kwargs)  # type: ignore[operator]
        try:
            record.msg, record.args = scrub(record.getMessage()), ()
        except Exception:
            record.msg, record.args = scrub(f"{record.msg!s} {record.args!r}"), ()
        _scrub_attachments(record)
        return record

    return make


def redact_url(url: str) -> str:
    """`url` without user, password or credential-like query values, for logs and the page.

    Worked on as text (not urlsplit) so `sqlite:////abs/path` keeps its four slashes.
    """
    head, sep, rest = url.partition("://")
    if not sep:
        return scrub(url)
    netloc, slash, path = rest.partition("/")
    netloc = netloc.rpartition("@")[2]
    path, question, query = f"{slash}{path}".partition("?")
    if question:
        pairs = parse_qsl(query, keep_blank_values=True)
        query = urlencode([(k, MARK if is_secret_name(k) else v) for k, v in pairs], safe="*/:[]")
    return scrub(f"{head}://{netloc}{path}{question}{query}")
