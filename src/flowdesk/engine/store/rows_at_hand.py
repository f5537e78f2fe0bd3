"""An instance's active projection rows without a query, when the session already holds them.

Open tickets mirror the READY user tasks of the last save one to one, and active action jobs
the STARTED action tasks. A command on a ticket or a job has that row loaded, and with one
task waiting (the usual case) it is all there is: the lookup before refreshing is skipped.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session


def rows_at_hand(session: Session, kind: type, instance_id: str, task_ids: frozenset[str] | None,
                 is_active: Callable[[object], bool],
                 belongs: Callable[[object], bool] = lambda row: True) -> list | None:
    """The active rows of ``kind`` for ``task_ids`` if the session holds a row for each; else None."""
    if task_ids is None:
        return None
    held: dict[str, object] = {}
    for row in session.identity_map.values():
        if isinstance(row, kind) and row.instance_id == instance_id and belongs(row):
            if row.task_id in held:
                return None  # two rows for one task (one of them finished): ask the database
            held[row.task_id] = row
    if not task_ids <= held.keys():
        return None
    return [held[task_id] for task_id in sorted(task_ids) if is_active(held[task_id])]
