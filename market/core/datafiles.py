"""A user's file held in memory: an upload, or a file read from a folder the operator allows.

The dashboard never takes a server path. A user's scenario TOML, records file or curves CSV
reaches the loaders as a :class:`DataFile`: the bytes and the name the user gave the file,
which is all any message shows. :func:`files_by_name` and :func:`read_allow_listed` make the
``resolve_data`` a scenario TOML needs to find the records it names (``data = "..."``): among
the files uploaded with it, or in an allow-listed folder.

The command line reads paths; its loaders go through the same parsers with the path as the
file's label, and :func:`file_bytes` and :func:`utf8_text` give a missing file and an
unreadable one (no permission, a folder, not UTF-8) the same message.
"""

from __future__ import annotations

import hashlib
import os
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath

from market.core.errors import UserInputError

MAX_NAMES_LISTED = 20
#: The largest input file the command line reads (scenario, records, curves, grid): 256 MB,
#: read at most this far, so ``/dev/zero`` or a huge file is refused before it fills memory.
#: The paper's records are a few MB; the dashboard's uploads are capped lower (20 MB).
MAX_FILE_BYTES = 256 * 1024**2


def is_plain_name(name: object) -> bool:
    """Whether ``name`` is a file name with no folder, no control character and not hidden."""
    return (
        isinstance(name, str)
        and bool(name.strip())
        and not name.startswith(".")
        and "/" not in name
        and "\\" not in name
        and name.isprintable()
    )


def is_absolute_path(text: str) -> bool:
    """Whether ``text`` is an absolute path on any system: ``/x``, ``~/x``, ``C:/x``, ``//host``."""
    return (
        PurePosixPath(text).is_absolute()
        or PureWindowsPath(text).is_absolute()
        or bool(PureWindowsPath(text).drive)
        or text.startswith("~")
    )


@dataclass(frozen=True)
class DataFile:
    """One user file held in memory (never written to disk).

    Hashable and picklable, so frozen scenario records hold it and caches key on it.

    Attributes:
        name: The file name as the user gave it, e.g. ``"my-market.toml"``: what every message
            says. A plain name, never a path.
        content: The file's bytes.
    """

    name: str
    content: bytes

    def __post_init__(self) -> None:
        if not is_plain_name(self.name):
            raise UserInputError(
                "file name", "a plain file name (no folder, not hidden, one line)", self.name
            )
        if not isinstance(self.content, bytes):
            if not isinstance(self.content, bytearray | memoryview):
                raise UserInputError(
                    f"{self.name}", "the file's content as bytes", type(self.content).__name__
                )
            object.__setattr__(self, "content", bytes(self.content))

    def __repr__(self) -> str:
        return f"DataFile({self.name!r}, {len(self.content)} bytes)"

    @property
    def suffix(self) -> str:
        """The name's suffix in lower case, like ``Path.suffix`` (``".csv"``, or ``""``)."""
        return PurePosixPath(self.name).suffix.lower()

    def digest(self) -> str:
        """The SHA-256 of :attr:`content`, in hex: the file's identity in run keys."""
        return hashlib.sha256(self.content).hexdigest()


def file_bytes(path: Path, field: str, expected: str, limit: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of the file at ``path``, refused past ``limit`` bytes without reading on.

    Raises:
        UserInputError: ``(field, expected, str(path))`` alike for a missing file and for one
            that cannot be read (no permission, a folder); ``(field, "a file of at most ...")``
            for one larger than ``limit`` (a regular file by its size, a stream such as
            ``/dev/zero`` after ``limit`` bytes).
    """
    try:
        with path.open("rb") as stream:
            size = os.fstat(stream.fileno()).st_size  # 0 for a stream: read in pieces
            content = b"" if size > limit else read_at_most(stream, limit + 1, size + 1)
    except OSError:
        raise UserInputError(field, expected, str(path)) from None
    if size > limit or len(content) > limit:
        raise UserInputError(
            field, f"a file of at most {limit // 1024**2} MB", str(path), note="it is larger"
        )
    return bytes(content)


def read_at_most(stream, most: int, piece: int) -> bytearray:
    """Up to ``most`` bytes of ``stream``, read ``piece`` bytes at a time (at least 64 KB).

    ``read(n)`` reserves ``n`` bytes up front, so a file is never read with ``read(most)``;
    the pieces go into one growing buffer (no joined copy).
    """
    content = bytearray()
    piece = max(piece, 64 * 1024)
    while len(content) < most:
        chunk = stream.read(min(piece, most - len(content)))
        if not chunk:
            break
        content += chunk
    return content


def toml_document(text: str, label: str) -> dict:
    """The TOML document in ``text``; ``label`` names the file in messages.

    Raises:
        UserInputError: ``(label, "valid TOML")`` with the parser's position, or for arrays or
            tables nested too deep to parse (the parser recurses once a level).
    """
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise UserInputError(label, "valid TOML", note=str(error)) from None
    except RecursionError:
        raise UserInputError(
            label, "valid TOML nested at most a few hundred levels", note="nested deeper"
        ) from None


def utf8_text(content: bytes, field: str, expected: str, label: str, *, bom: bool = True) -> str:
    """``content`` decoded as UTF-8 (a leading byte-order mark dropped if ``bom``).

    Raises:
        UserInputError: ``(field, expected, label)``: the same message as a missing file.
    """
    try:
        return content.decode("utf-8-sig" if bom else "utf-8")
    except UnicodeDecodeError:
        raise UserInputError(field, expected, label) from None


def listing(names: Iterable[str]) -> str:
    names = sorted(names)
    shown = ", ".join(names[:MAX_NAMES_LISTED])
    more = ", ..." if len(names) > MAX_NAMES_LISTED else ""
    return f"{shown}{more}" if names else "none"


def files_by_name(files: Iterable[DataFile], field: str = "data") -> Callable[[str], DataFile]:
    """A ``resolve_data`` that finds a name among files uploaded together.

    A name with folders (``"runs/records.csv"``) matches the upload called by its last part
    (``"records.csv"``): browsers upload files without their folders.

    Args:
        files: The uploaded files.
        field: The field that names the file, for messages.

    Returns:
        ``name -> DataFile``; an absent name raises a UserInputError listing the uploads.
    """
    by_name = {file.name: file for file in files}

    def resolve(name: str) -> DataFile:
        last = PurePosixPath(str(name).replace("\\", "/")).name
        if last not in by_name:
            raise UserInputError(
                field,
                f"the name of an uploaded file ({listing(by_name)})",
                name,
                expected_without_values="the name of an uploaded file",
            )
        return by_name[last]

    return resolve


def read_allow_listed(folder: str | Path, name: str, field: str = "data") -> DataFile:
    """The file called ``name`` in ``folder`` (a folder the server's operator allows), read.

    Only a plain name in the folder itself is accepted: no folders, no hidden files, no
    absolute paths. A missing file and an unreadable one give the same message.

    Args:
        folder: The allow-listed folder.
        name: The file's name, as the user chose it.
        field: The field that names the file, for messages.

    Returns:
        The file's bytes, under ``name``.
    """
    folder = Path(folder)
    expected = "the name of a readable file in the server's data folder"
    if not is_plain_name(name):
        raise UserInputError(field, expected, name)
    try:
        content = (folder / name).read_bytes()
    except OSError:
        raise UserInputError(field, expected, name) from None
    return DataFile(name, content)


def allow_listed_names(folder: str | Path, suffixes: tuple[str, ...] = ()) -> list[str]:
    """The plain names of the regular files in ``folder`` (only ``suffixes``, if given), sorted."""
    try:
        entries = list(Path(folder).iterdir())
    except OSError:
        return []
    return sorted(
        entry.name
        for entry in entries
        if is_plain_name(entry.name)
        and entry.is_file()
        and (not suffixes or entry.suffix.lower() in suffixes)
    )


__all__ = [
    "DataFile",
    "allow_listed_names",
    "file_bytes",
    "files_by_name",
    "is_absolute_path",
    "is_plain_name",
    "read_allow_listed",
    "utf8_text",
]
