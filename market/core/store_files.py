"""The store's file: the ``--store`` path checked, how readers open it, and opening patiently.

Split from :mod:`market.core.store` along the file/connection seam: everything here is about
the SQLite file on disk (its path as the user typed it, whether it can be read, whose tables it
holds, the URI a reader opens it with so that it writes nothing), not about its tables.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

from market.core.errors import UserInputError

STORE_EXPECTED = "a store file path (an llm-market SQLite store, created if missing)"
#: Characters of a path quoted in an error, at most.
SHOWN_PATH = 200
WAL_HEADER_OFFSET = 18  # bytes 18-19 of a SQLite file are 2 in WAL mode


def store_path(text) -> Path:
    """The ``--store`` path, checked before any work: named, in an existing writable folder."""
    if text is None or not str(text).strip():
        raise UserInputError("store", STORE_EXPECTED, text)
    path, shown = Path(text), short_path(text)
    try:
        is_dir, parent_is_dir = path.is_dir(), path.parent.is_dir()
    except OSError as error:  # a name too long, a loop of links
        raise UserInputError("store", STORE_EXPECTED, shown, note=error.strerror) from None
    if is_dir:
        raise UserInputError("store", STORE_EXPECTED, shown, note="it is a directory")
    if not parent_is_dir:
        raise UserInputError("store", STORE_EXPECTED, shown, note="its folder does not exist")
    return path


def short_path(text, most: int = SHOWN_PATH) -> str:
    """A path to quote in an error: itself, or its first ``most`` characters."""
    text = str(text)
    return text if len(text) <= most else text[:most] + "..."


def is_readable_file(path) -> bool:
    """Whether ``path`` names an existing file this process can open for reading."""
    try:
        with Path(path).open("rb"):
            return Path(path).is_file()
    except OSError:
        return False


def refuse_foreign(connection: sqlite3.Connection, path) -> None:
    """Refuse, before writing anything, an SQLite file that holds another program's tables."""
    tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
    if tables and "store_info" not in tables:
        raise UserInputError(
            "store",
            "an llm-market store or a new file",
            short_path(path),
            note="it is another program's SQLite database; nothing was written to it",
        )


def patiently(step: Callable[[], None], seconds: float) -> None:
    """``step()``, tried again while SQLite says the store is locked, for up to ``seconds``.

    Two drivers opening one new store at once can meet where SQLite answers "locked" at once
    rather than waiting (switching the journal to WAL needs the file alone).
    """
    deadline = time.monotonic() + seconds
    while True:
        try:
            return step()
        except sqlite3.OperationalError as error:
            text = str(error).lower()
            if not ("locked" in text or "busy" in text) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def reader_uri(path: Path) -> str:
    """The URI a read-only reader opens ``path`` with, so that it writes no file at all.

    ``mode=ro`` in general. ``immutable=1`` (no locks, no side files) when the folder is
    read-only, or when the file is in WAL mode without a ``-wal`` file: no writer has it open
    (a writer keeps its ``-wal`` file while open), and a ``mode=ro`` reader of a WAL file would
    create ``-wal`` and ``-shm`` files and leave them behind.
    """
    uri = path.absolute().as_uri()
    if not os.access(path.parent, os.W_OK):
        return f"{uri}?immutable=1"
    try:
        with path.open("rb") as file:
            header = file.read(WAL_HEADER_OFFSET + 2)
    except OSError:
        return f"{uri}?mode=ro"
    wal_mode = header[WAL_HEADER_OFFSET:] == bytes((2, 2))
    if wal_mode and not Path(f"{path}-wal").exists():
        return f"{uri}?immutable=1"
    return f"{uri}?mode=ro"
