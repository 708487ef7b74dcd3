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

import streamlit as st
from streamlit.runtime.scriptrunner import add_script_run_ctx, get_script_run_ctx
from streamlit.runtime.scriptrunner_utils.script_requests import ScriptRequestType

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


def rerunning_alone() -> bool:
    """Whether this run is a fragment's alone (the rest of the page was not run)."""
    ctx = get_script_run_ctx(suppress_warning=True)
    return bool(ctx is not None and ctx.fragment_ids_this_run)


def yield_to_a_click() -> None:
    """End this run now if the person clicked or sent something meanwhile.

    A widget inside a fragment (the conversation: its chat box, Stop) asks for a rerun
    of that fragment, and Streamlit lets such a request wait for the run in progress to
    end rather than interrupt it. A turn waiting for its agent calls this between ticks,
    so Stop and a new message interrupt it as they do a whole page's run: `st.rerun`
    joins the waiting request (its widget values kept) and ends this run at once.
    Reads the request queue's state, which Streamlit keeps private (the version is
    pinned; the browser tests of Stop and of a new message on a later turn fail if it
    changes)."""
    ctx = get_script_run_ctx(suppress_warning=True)
    requests = getattr(ctx, "script_requests", None)
    if requests is None or getattr(requests, "_state", None) != ScriptRequestType.RERUN:
        return
    # A timer's rerun (a fragment's `run_every`, such as the model watcher) waits.
    if getattr(getattr(requests, "_rerun_data", None), "is_auto_rerun", True):
        return
    st.rerun(scope="fragment" if ctx.fragment_ids_this_run else "app")
