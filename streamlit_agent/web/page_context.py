"""Letting the agent's threads reach this page.

The agent runs tools (and their callbacks) on threads of its own, which Streamlit knows
nothing of: there a draw is dropped and session state is a stranger's. A function made
with `on_this_page` first gives its thread the context of the page that made it.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from streamlit.runtime.scriptrunner import add_script_run_ctx, get_script_run_ctx

P = ParamSpec("P")
R = TypeVar("R")


def on_this_page(work: Callable[P, R]) -> Callable[P, R]:
    """`work`, run with this page's context on whatever thread calls it."""
    ctx = get_script_run_ctx(suppress_warning=True)

    @functools.wraps(work)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        # Set whenever it differs: a pool thread may have served another page before.
        if ctx is not None and get_script_run_ctx(suppress_warning=True) is not ctx:
            add_script_run_ctx(threading.current_thread(), ctx)
        return work(*args, **kwargs)

    return run
