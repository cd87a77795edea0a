"""The sandboxes' database: a new SQLite file in the output folder, migrated, each run."""

from __future__ import annotations

from pathlib import Path

from firefighter.db import upgrade


def fresh_sqlite(folder: Path, filename: str) -> tuple[Path, str]:
    """A new, migrated SQLite file `filename` in `folder` (created): its path and its URL.

    The previous run's file goes, with its write-ahead log: the play starts from nothing.
    """
    folder.mkdir(parents=True, exist_ok=True)
    database = folder / filename
    for leftover in (database, Path(f"{database}-wal"), Path(f"{database}-shm")):
        leftover.unlink(missing_ok=True)
    url = f"sqlite:///{database}"
    upgrade(url)
    return database, url
