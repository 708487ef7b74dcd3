"""The load benchmark, small: concurrent browser sessions chat at once against one app.

`benchmarks/load.py` holds the harness; the full run (20 sessions × 5 turns) is quoted in
the README. Here three sessions prove, in CI, no errors, no cross-talk and every message
stored.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from benchmarks.load import format_summary, run_benchmark

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_three_sessions_chat_at_once_without_errors_cross_talk_or_loss(
    browser: Any, tmp_path: Path
) -> None:
    # `browser` only checks that Chromium is there (and fails in CI if it is not); the
    # harness starts a browser per session, as separate users would.
    result = run_benchmark(3, 4, work_dir=tmp_path, turn_timeout_s=60)
    print(format_summary(result))
    assert result.errors == []
    assert result.cross_talk == []
    assert result.store_problems == []
    assert len(result.turn_results) == 12
    assert result.ok
