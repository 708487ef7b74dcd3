"""Schema migrations, one module per version: `vN_<what>.py` turns a version N-1
database into version N.

Version 1 is the first released schema. A new database is created at the latest
version directly: `schema.metadata`, plus the steps registered with `fresh=True`
because they make objects `metadata` cannot describe. `ConversationStore` runs all
pending steps in one transaction, so a step that fails leaves the database, and its
recorded version, as they were before the upgrade began.

A released step is never edited: a change to the schema is a new module, added to
`_STEPS` below.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import overload

from sqlalchemy.engine import Connection

Step = Callable[[Connection], None]

MIGRATIONS: dict[int, Step] = {}
FRESH_EXTRAS: list[Step] = []


@overload
def migration(step: Step) -> Step: ...
@overload
def migration(*, fresh: bool = False) -> Callable[[Step], Step]: ...
def migration(step: Step | None = None, *, fresh: bool = False) -> Step | Callable[[Step], Step]:
    """Register `step` as the next schema version; with `fresh=True` a new database
    runs it too."""

    def register(step: Step) -> Step:
        version = len(MIGRATIONS) + 2
        module = step.__module__.rpartition(".")[2]
        # A step registered under the wrong number would be skipped, or run twice, on
        # databases already stamped with it: fail on import instead.
        if not module.startswith(f"v{version}_"):
            raise ImportError(f"migration {module} was registered as schema {version}")
        MIGRATIONS[version] = step
        if fresh:
            FRESH_EXTRAS.append(step)
        return step

    return register(step) if step else register


# Oldest first; imported by name rather than by import statements, which a formatter
# would sort as text (v10 before v2).
_STEPS = (
    "v2_owners",
    "v3_model_choice",
    "v4_feedback_comments",
    "v5_search",
    "v6_server_secrets",
    "v7_memories",
    "v8_branches",
    "v9_files",
    "v10_passages",
)
for _name in _STEPS:
    importlib.import_module(f"{__name__}.{_name}")

SCHEMA_VERSION = max(MIGRATIONS)
