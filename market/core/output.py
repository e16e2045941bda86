"""Writing a command's output files: all of them, or none.

Every command computes and renders everything in memory first (CSV, JSON and PNG as bytes),
then :func:`write_outputs` writes the files into a fresh staging directory beside the output
directory and moves them into place only once all exist. An error on the way (a full disk, a
read-only folder) removes the staging directory and raises a
:class:`~market.core.errors.UserInputError` on ``out``: nothing is ever half written.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path

from market.core.errors import UserInputError

OUT_EXPECTED = "a writable directory (created if missing; its parent must be a directory)"


def nearest_existing(path: Path) -> Path:
    """``path`` itself if it exists, else its nearest existing ancestor."""
    existing = path.absolute()
    while not existing.exists():
        existing = existing.parent
    return existing


def output_dir(text) -> Path:
    """The output directory, checked before any work.

    It must be named, must not be an existing file, and its nearest existing ancestor must be a
    writable directory (so ``--out some_file/sub`` fails here, not after the computation).
    """
    if text is None or not str(text).strip():
        raise UserInputError("out", "a directory name (not empty)", text)
    path = Path(text)
    if path.exists() and not path.is_dir():
        raise UserInputError("out", "a directory (not an existing file)", str(text))
    ancestor = nearest_existing(path)
    if not ancestor.is_dir():
        raise UserInputError("out", OUT_EXPECTED, str(text), note=f"{ancestor} is a file")
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise UserInputError("out", OUT_EXPECTED, str(text), note=f"{ancestor} is not writable")
    return path


def write_outputs(out: Path, files: Mapping[str, bytes]) -> list[Path]:
    """Write ``files`` (name -> content) into ``out`` all at once; returns the paths written.

    The files are written into a temporary directory created in ``out``'s nearest existing
    ancestor (same file system); ``out`` is created and each file moved in with an atomic
    ``os.replace`` only when every file is written. Files already in ``out`` under other names
    are left alone.
    """
    out = Path(out)
    try:
        staging = Path(
            tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=nearest_existing(out))
        )
    except OSError as error:
        raise UserInputError("out", OUT_EXPECTED, str(out), note=str(error)) from None
    try:
        for name, content in files.items():
            (staging / name).write_bytes(content)
        out.mkdir(parents=True, exist_ok=True)
        for name in files:
            os.replace(staging / name, out / name)
    except OSError as error:
        raise UserInputError(
            "out", OUT_EXPECTED, str(out), note=error.strerror or str(error)
        ) from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return [out / name for name in files]


def csv_bytes(table, float_format: str | None = None) -> bytes:
    """A DataFrame as CSV bytes, no index (``float_format`` as in ``DataFrame.to_csv``)."""
    return table.to_csv(index=False, float_format=float_format).encode()


def json_bytes(payload: Mapping) -> bytes:
    """A dict as indented JSON bytes (NaN and infinities refused: JSON has none)."""
    return (json.dumps(payload, indent=2, allow_nan=False) + "\n").encode()


def png_bytes(figure) -> bytes:
    """A matplotlib figure rendered as PNG bytes (at the figure's own dpi)."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def json_number(value) -> float | None:
    """A JSON-safe float: non-finite values become ``None`` (null)."""
    value = float(value)
    return value if value == value and abs(value) != float("inf") else None
