"""A page's own files: uploads held in the tab, or names from the server's data folder.

No URL parameter or text field names a server path (``shared/STYLE.md`` 15). A setting that
names a user's file (a delegation scenario, TTC curves) holds one of:

- ``upload:NAME``: a file uploaded in this tab, held in the tab's memory (at most
  :data:`MAX_UPLOAD_BYTES`, :data:`MAX_UPLOADS` per tab), never written to disk; a link with it
  works only in a tab that has the upload, and says so;
- ``NAME``: a file in the folder the person serving chose (``llm-market dashboard --data-dir
  DIR``); only the plain names of that folder's files are accepted (no folders, no hidden
  files, nothing that resolves outside it), and a missing file and an unreadable one read the
  same. Without ``--data-dir`` there is no such folder.

Mistakes in a file's content are shown without the values found in it
(:meth:`~market.core.errors.UserInputError.redacted`).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path

from market.core.datafiles import DataFile, allow_listed_names, files_by_name, is_plain_name
from market.core.errors import UserInputError

#: The environment variable ``llm-market dashboard --data-dir`` sets for the server.
DATA_DIR_VARIABLE = "LLM_MARKET_DATA_DIR"
UPLOAD_PREFIX = "upload:"
MAX_UPLOAD_BYTES = 20 * 1024**2
MAX_UPLOADS = 8


def data_folder() -> Path | None:
    """The folder the server offers files from (None: no ``--data-dir``)."""
    folder = os.environ.get(DATA_DIR_VARIABLE)
    return Path(folder).resolve() if folder else None


def served_names(suffixes: tuple[str, ...]) -> list[str]:
    """The names of the data folder's files with these suffixes (none without a folder)."""
    folder = data_folder()
    if folder is None:
        return []
    return [n for n in allow_listed_names(folder, suffixes) if inside(folder, n)]


def inside(folder: Path, name: str) -> bool:
    """Whether ``folder/name`` resolves inside ``folder`` (a link out of it does not)."""
    try:
        return (folder / name).resolve().parent == folder
    except OSError:
        return False


def served_file(name: str, field: str) -> DataFile:
    """The data folder's file ``name``, read (UserInputError alike if absent or unreadable)."""
    folder = data_folder()
    expected = "the name of a file in the server's data folder"
    if folder is None or not is_plain_name(name) or not inside(folder, name):
        raise UserInputError(field, expected, name)
    try:
        if (folder / name).stat().st_size > MAX_UPLOAD_BYTES:
            raise OSError("too large")
        return DataFile(name, (folder / name).read_bytes())
    except OSError:
        raise UserInputError(field, expected, name) from None


class Uploads:
    """A tab's uploaded files, in memory: at most :data:`MAX_UPLOADS`, the newest kept."""

    def __init__(self):
        self.lock = threading.Lock()
        self.files: dict[str, DataFile] = {}
        self.version = 0

    def add(self, file: DataFile) -> None:
        """Keep ``file`` (replacing one of the same name; the oldest goes beyond the cap)."""
        with self.lock:
            self.files.pop(file.name, None)
            self.files[file.name] = file
            while len(self.files) > MAX_UPLOADS:
                self.files.pop(next(iter(self.files)))
            self.version += 1

    def get(self, name: str, field: str) -> DataFile:
        """The upload called ``name`` (UserInputError if this tab has none)."""
        with self.lock:
            if name not in self.files:
                raise UserInputError(
                    field,
                    f"a file uploaded in this tab (upload {name} on this page: uploads stay "
                    "in the tab that made them)",
                    name,
                )
            return self.files[name]

    def resolver(self, field: str = "data") -> Callable[[str], DataFile]:
        """A scenario's ``resolve_data`` among this tab's uploads."""
        with self.lock:
            return files_by_name(list(self.files.values()), field)


def is_upload(choice: str) -> bool:
    """Whether a setting names an upload (``upload:NAME``)."""
    return choice.startswith(UPLOAD_PREFIX)


def user_file(choice: str, uploads: Uploads, field: str) -> DataFile:
    """The file a setting names: an upload of this tab or a file of the data folder."""
    if choice == UPLOAD_PREFIX:
        raise UserInputError(field, "a file uploaded with the chooser on this page")
    if is_upload(choice):
        return uploads.get(choice.removeprefix(UPLOAD_PREFIX), field)
    return served_file(choice, field)


def records_resolver(choice: str, uploads: Uploads) -> Callable[[str], DataFile]:
    """Where a scenario file's ``data = "..."`` is looked up: beside it, uploaded or served."""
    if is_upload(choice):
        return uploads.resolver("data")
    return lambda name: served_file(name, "data")


def too_large(size: int) -> str:
    """The refusal of an upload above :data:`MAX_UPLOAD_BYTES`."""
    return (
        f"upload: expected a file of at most {MAX_UPLOAD_BYTES // 1024**2} MB, got "
        f"{size / 1024**2:.1f} MB"
    )


def file_choices(
    fixed: list[tuple[str, str]], suffixes: tuple[str, ...], current: str, what: str
) -> list[tuple[str, str]]:
    """A select's ``(setting, label)`` choices: ``fixed``, the data folder's files, uploads.

    The current upload (if any) is listed by its name; the last choice asks for a new one.
    """
    served = [(name, f"{name} (server's data folder)") for name in served_names(suffixes)]
    uploaded = []
    if is_upload(current) and current != UPLOAD_PREFIX:
        uploaded = [(current, f"{current.removeprefix(UPLOAD_PREFIX)} (uploaded)")]
    return [*fixed, *served, *uploaded, (UPLOAD_PREFIX, f"upload {what}...")]
