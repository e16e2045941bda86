"""Reading response records as found: CSV, JSONL or Parquet bytes, or a folder of JSONL files.

A records file reaches these readers as bytes under a label: a :class:`~market.core.datafiles.
DataFile` (an upload, labelled with its name) or a file the command line names (labelled with
its path), so both parse the same bytes the same way. The readers collect every record as
found, with the line or row it came from; :mod:`market.delegation.response_files` validates the
values. The folder of per-model JSONL files (the shared NLGraph format) is read from a path
only.

References:
    Cao et al. (2026), Sec. 6.1 (the records).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from market.core.datafiles import DataFile, file_bytes, utf8_text
from market.core.errors import UserInputError

REQUIRED_COLUMNS = ("model", "query_id", "reward", "output_tokens")
RECORD_SUFFIXES = (".csv", ".jsonl", ".ndjson", ".parquet", ".pq")
SUFFIXES = f"one of {', '.join(RECORD_SUFFIXES)}"
#: Column names of the shared per-model JSONL format (``{"id", "score", "output_tokens"}``).
SHARED_FORMAT_COLUMNS = {"query_id": "id", "reward": "score", "output_tokens": "output_tokens"}
#: What a missing or unreadable records file was expected to be (one message for both).
READABLE_RECORDS = "an existing file or folder (readable; CSV and JSONL in UTF-8)"


@dataclass
class RawRecords:
    """Records as read, before validation: one entry per data row, values as found."""

    label: str  # the file or folder, for messages
    unit: str  # "line" or "row"
    files: list[str]  # file names, indexed by file_index (one entry for a single file)
    file_index: list[int]
    position: list[int]  # line (CSV, JSONL) or row (Parquet) number, 1-based
    columns: dict[str, list[object]]  # required column -> values
    column_names: dict[str, str]  # required column -> the name used in the file

    def where(self, i: int) -> str:
        """Where record ``i`` sits, e.g. ``"gpt-5-high.jsonl line 12"``."""
        prefix = f"{self.files[self.file_index[i]]} " if len(self.files) > 1 else ""
        return f"{prefix}{self.unit} {self.position[i]}"


def check_missing_columns(
    label: str, found: Sequence[str], names: Mapping[str, str], wanted: Sequence[str]
) -> None:
    """Raise a UserInputError naming the required columns absent from ``found``."""
    missing = [names[c] for c in wanted if names[c] not in found]
    if missing:
        raise UserInputError(
            f"{label}, columns",
            f"columns {', '.join(names[c] for c in wanted)}",
            ", ".join(str(c) for c in found) or "no columns",
            note=f"missing: {', '.join(missing)}",
        )


def _plain_names() -> dict[str, str]:
    return {c: c for c in REQUIRED_COLUMNS}


def _empty_records(label: str, unit: str, files: list[str], names: dict[str, str]) -> RawRecords:
    return RawRecords(label, unit, files, [], [], {c: [] for c in REQUIRED_COLUMNS}, names)


def _csv_rows(label: str, text: str) -> Iterator[tuple[int, list[str]]]:
    """``(line number, cells)`` of each CSV row; a malformed row is one clear error."""
    reader = csv.reader(io.StringIO(text, newline=""))
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as error:  # a field over csv's limit, a NUL byte, a stray quote
            raise UserInputError(
                f"{label} line {reader.line_num}", "well-formed CSV", note=str(error)
            ) from None
        yield reader.line_num, row


def _read_csv(label: str, text: str) -> RawRecords:
    records = _empty_records(label, "line", [label], _plain_names())
    header: list[str] | None = None
    for line_num, row in _csv_rows(label, text):
        if not any(cell.strip() for cell in row):
            continue
        if header is None:
            header = [cell.strip() for cell in row]
            check_missing_columns(label, header, records.column_names, REQUIRED_COLUMNS)
            columns = {c: header.index(c) for c in REQUIRED_COLUMNS}
            continue
        if len(row) != len(header):
            raise UserInputError(
                f"{label} line {line_num}",
                f"{len(header)} comma-separated fields (as in the header)",
                len(row),
            )
        records.file_index.append(0)
        records.position.append(line_num)
        for column, index in columns.items():
            records.columns[column].append(row[index])
    if header is None:
        raise UserInputError(label, "a header line and at least one record", "an empty file")
    return records


def _json_object(label: str, line_number: int, line: str) -> dict:
    try:
        record = json.loads(line)
    except json.JSONDecodeError as error:
        raise UserInputError(
            f"{label} line {line_number}",
            "one JSON object per line",
            line.strip()[:60],
            note=error.msg,
        ) from None
    if not isinstance(record, dict):
        raise UserInputError(f"{label} line {line_number}", "a JSON object", type(record).__name__)
    return record


def _read_jsonl_lines(
    label: str, text: str, records: RawRecords, file_index: int, model: str | None = None
) -> None:
    """Append the records of one JSONL file (``model`` set: shared per-model format)."""
    names = records.column_names
    wanted = [c for c in REQUIRED_COLUMNS if model is None or c != "model"]
    first = True
    for line_number, line in enumerate(io.StringIO(text, newline=None), start=1):
        if not line.strip():
            continue
        record = _json_object(label, line_number, line)
        if first:  # the file's first record fixes its columns
            check_missing_columns(label, list(record), names, wanted)
            first = False
        absent = [names[c] for c in wanted if names[c] not in record]
        if absent:
            raise UserInputError(
                f"{label} line {line_number}",
                f"the keys {', '.join(names[c] for c in wanted)}",
                ", ".join(record) or "no keys",
                note=f"missing: {', '.join(absent)}",
            )
        records.file_index.append(file_index)
        records.position.append(line_number)
        for column in wanted:
            records.columns[column].append(record[names[column]])
        if model is not None:
            records.columns["model"].append(model)


def _read_jsonl(label: str, text: str) -> RawRecords:
    records = _empty_records(label, "line", [label], _plain_names())
    _read_jsonl_lines(label, text, records, 0)
    return records


def _read_shared_folder(path: Path) -> RawRecords:
    files = sorted(path.glob("*.jsonl"), key=lambda f: f.stem)
    if not files:
        raise UserInputError(
            str(path), "a folder of per-model *.jsonl files (model = file name)", "no *.jsonl files"
        )
    names = dict(SHARED_FORMAT_COLUMNS, model="model (the file name)")
    records = _empty_records(str(path), "line", [f.name for f in files], names)
    for index, file in enumerate(files):
        before = len(records.position)
        content = file_bytes(file, "data", READABLE_RECORDS)
        text = utf8_text(content, "data", READABLE_RECORDS, str(file))
        _read_jsonl_lines(str(file), text, records, index, model=file.stem)
        if len(records.position) == before:
            raise UserInputError(str(file), "at least one record", "an empty file")
    return records


def _read_parquet(label: str, content: bytes) -> RawRecords:
    try:
        import pandas as pd

        frame = pd.read_parquet(io.BytesIO(content))
    except ImportError as error:
        raise UserInputError(
            label,
            "pyarrow installed to read Parquet (pip install 'llm-market[parquet]')",
            note=str(error),
        ) from None
    except Exception as error:  # any reader failure means a malformed file
        raise UserInputError(label, "a readable Parquet file", note=str(error)) from None
    check_missing_columns(label, [str(c) for c in frame.columns], _plain_names(), REQUIRED_COLUMNS)
    n = len(frame)

    def values(column: str) -> list[object]:
        return [None if v is None or v is pd.NA else v for v in frame[column].tolist()]

    return RawRecords(
        label,
        "row",
        [label],
        [0] * n,
        list(range(1, n + 1)),
        {c: values(c) for c in REQUIRED_COLUMNS},
        _plain_names(),
    )


def _check_suffix(label: str, suffix: str, expected: str) -> None:
    if suffix.lower() not in RECORD_SUFFIXES:
        raise UserInputError(f"{label}, file suffix", expected, suffix or "no suffix")


def _read_bytes(label: str, suffix: str, content: bytes) -> RawRecords:
    """The records of one file's bytes; ``suffix`` (already checked) says the format."""
    suffix = suffix.lower()
    if suffix in (".parquet", ".pq"):
        return _read_parquet(label, content)
    text = utf8_text(content, "data", READABLE_RECORDS, label)
    return _read_csv(label, text) if suffix == ".csv" else _read_jsonl(label, text)


def read_raw_records(source: Path | DataFile) -> RawRecords:
    """The records of a file held in memory, or of a file or per-model JSONL folder on disk.

    Raises:
        UserInputError: A missing or unreadable file (one message for both), an unknown
            suffix, or a mistake in the file's shape (columns, fields, JSON).
    """
    if isinstance(source, DataFile):
        _check_suffix(source.name, source.suffix, f"{SUFFIXES} (a folder: from a path only)")
        return _read_bytes(source.name, source.suffix, source.content)
    if source.is_dir():
        return _read_shared_folder(source)
    if not source.exists():
        raise UserInputError("data", READABLE_RECORDS, str(source))
    _check_suffix(str(source), source.suffix, f"{SUFFIXES} or a folder of per-model *.jsonl files")
    return _read_bytes(str(source), source.suffix, file_bytes(source, "data", READABLE_RECORDS))
