"""A user's file held in memory (market/core/datafiles.py) and messages without a file's values."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import pytest

from market.core.datafiles import (
    DataFile,
    allow_listed_names,
    file_bytes,
    files_by_name,
    is_absolute_path,
    read_allow_listed,
    toml_document,
    utf8_text,
)
from market.core.errors import UserInputError

# --- DataFile ---------------------------------------------------------------------------------


def test_a_data_file_is_its_name_and_bytes():
    file = DataFile("My-Market.TOML", b"name = 'x'\n")
    assert file.suffix == ".toml" and DataFile("records", b"").suffix == ""
    assert DataFile("a.tar.GZ", b"").suffix == Path("a.tar.gz").suffix
    assert file == DataFile("My-Market.TOML", b"name = 'x'\n")
    assert file != DataFile("My-Market.TOML", b"name = 'y'\n")
    assert len({file, DataFile("My-Market.TOML", b"name = 'x'\n")}) == 1  # a cache key
    assert pickle.loads(pickle.dumps(file)) == file
    assert DataFile("b.csv", bytearray(b"ab")).content == b"ab"
    assert file.digest() == DataFile("other.toml", b"name = 'x'\n").digest()


def test_its_repr_never_shows_the_content():
    file = DataFile("r.csv", b"SECRET" * 1000)
    assert repr(file) == "DataFile('r.csv', 6000 bytes)" and "SECRET" not in repr(file)


def test_it_is_immutable():
    file = DataFile("r.csv", b"x")
    with pytest.raises(AttributeError):
        file.name = "s.csv"  # type: ignore[misc]


@pytest.mark.parametrize(
    "name", ["", " ", "/etc/shadow", "../r.csv", "sub/r.csv", "C:\\r.csv", ".env", "a\nb.csv"]
)
def test_its_name_is_a_plain_file_name_never_a_path(name):
    with pytest.raises(UserInputError, match=r"^file name: expected a plain file name"):
        DataFile(name, b"")


def test_its_content_is_bytes():
    with pytest.raises(UserInputError, match="expected the file's content as bytes, got 'str'"):
        DataFile("r.csv", "text")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "absolute"),
    [
        ("/etc/shadow", True),
        ("~/r.csv", True),
        ("C:\\data\\r.csv", True),
        ("C:r.csv", True),
        ("\\\\host\\share\\r.csv", True),
        ("r.csv", False),
        ("runs/r.csv", False),
        ("../r.csv", False),
    ],
)
def test_absolute_paths_on_any_system(text, absolute):
    assert is_absolute_path(text) is absolute


# --- resolvers: uploads by name, an allow-listed folder ---------------------------------------


def test_files_by_name_finds_an_upload_by_its_last_part():
    records, other = DataFile("records.csv", b"1"), DataFile("other.csv", b"2")
    resolve = files_by_name([records, other])
    assert resolve("records.csv") is records and resolve("runs/records.csv") is records
    with pytest.raises(UserInputError) as error:
        resolve("absent.csv")
    assert str(error.value) == (
        "data: expected the name of an uploaded file (other.csv, records.csv), got 'absent.csv'"
    )
    assert error.value.without_values() == "data: expected the name of an uploaded file"


def test_an_allow_listed_folder_gives_plain_names_only(tmp_path):
    (tmp_path / "records.csv").write_bytes(b"model\n")
    (tmp_path / ".hidden.csv").write_bytes(b"x")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "inner.csv").write_bytes(b"x")
    assert read_allow_listed(tmp_path, "records.csv") == DataFile("records.csv", b"model\n")
    assert allow_listed_names(tmp_path) == ["records.csv"]
    assert allow_listed_names(tmp_path, (".toml",)) == []
    assert allow_listed_names(tmp_path / "absent") == []
    messages = set()
    for name in [
        "absent.csv",
        "sub",
        "sub/inner.csv",
        "../records.csv",
        "/etc/passwd",
        ".hidden.csv",
    ]:
        with pytest.raises(UserInputError) as error:
            read_allow_listed(tmp_path, name)
        messages.add(str(error.value).replace(repr(name), "NAME"))
        assert str(tmp_path) not in str(error.value)
    assert messages == {
        "data: expected the name of a readable file in the server's data folder, got NAME"
    }


def test_a_missing_and_an_unreadable_file_give_the_same_message(tmp_path, monkeypatch):
    def message(path):
        with pytest.raises(UserInputError) as error:
            file_bytes(path, "data", "an existing file")
        return str(error.value).replace(str(path), "PATH")

    folder = tmp_path / "folder"
    folder.mkdir()
    denied = tmp_path / "denied.csv"
    denied.write_bytes(b"x")
    missing = message(tmp_path / "absent.csv")
    assert missing == "data: expected an existing file, got 'PATH'"
    assert message(folder) == missing

    def refuse(self, *args, **kwargs):
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "open", refuse)  # root can read a chmod-000 file
    assert message(denied) == missing


def test_text_that_is_not_utf8_gives_the_missing_file_message():
    assert utf8_text(b"\xef\xbb\xbfa,b", "data", "a file", "r.csv") == "a,b"
    assert utf8_text(b"\xef\xbb\xbfa", "data", "a file", "r.csv", bom=False) == "\ufeffa"
    with pytest.raises(UserInputError) as error:
        utf8_text(b"\xff\xfe", "data", "an existing file", "r.csv")
    assert str(error.value) == "data: expected an existing file, got 'r.csv'"


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads a mode-000 file")
def test_a_file_without_read_permission(tmp_path):
    path = tmp_path / "r.csv"
    path.write_bytes(b"x")
    path.chmod(0)
    with pytest.raises(UserInputError, match=r"^data: expected an existing file, got '"):
        file_bytes(path, "data", "an existing file")


# --- UserInputError.without_values ------------------------------------------------------------


def test_without_values_is_the_field_and_the_expectation():
    error = UserInputError("r.csv line 3, column 'reward'", "a number in [0, 1]", "SECRET")
    assert str(error) == "r.csv line 3, column 'reward': expected a number in [0, 1], got 'SECRET'"
    assert error.without_values() == "r.csv line 3, column 'reward': expected a number in [0, 1]"


def test_without_values_keeps_only_the_positions_a_note_names():
    error = UserInputError(
        "s.toml", "valid TOML", note="Cannot declare ('SECRET',) twice (at line 2, column 3)"
    )
    assert error.without_values() == "s.toml: expected valid TOML (line 2, column 3)"
    note = "SECRET\nlacks 3: line 4, row 5, line 4, end of document"
    assert UserInputError("x", "y", note=note).without_values() == (
        "x: expected y (line 4, row 5, end of document)"
    )
    assert UserInputError("x", "y", "v", note="no position").without_values() == "x: expected y"


def test_raise_sites_can_name_a_file_key_without_it():
    error = UserInputError(
        "s.toml: prices.SECRET",
        "a TOML number",
        "cheap",
        field_without_values="s.toml: prices.<model>",
    )
    assert str(error) == "s.toml: prices.SECRET: expected a TOML number, got 'cheap'"
    assert error.without_values() == "s.toml: prices.<model>: expected a TOML number"
    listed = UserInputError("m", "one of SECRET, b", "c", expected_without_values="a model")
    assert listed.without_values() == "m: expected a model"


def test_a_note_is_always_one_line():
    error = UserInputError("x", "y", note="first\nsecond\tthird")
    assert str(error) == "x: expected y (first second third)" and error.note == "first second third"


def test_a_file_over_the_limit_is_refused_by_its_size_without_reading_it(tmp_path):
    big = tmp_path / "big.csv"
    big.write_bytes(b"x" * 101)
    assert file_bytes(big, "curves", "a CSV file", limit=101) == b"x" * 101
    with pytest.raises(UserInputError, match=r"^curves: expected a file of at most 0 MB"):
        file_bytes(big, "curves", "a CSV file", limit=100)


def test_an_endless_stream_is_read_only_up_to_the_limit():
    with pytest.raises(UserInputError, match="a file of at most 1 MB") as refused:
        file_bytes(Path("/dev/zero"), "curves", "a CSV file", limit=1024**2)
    assert "/dev/zero" in str(refused.value)


def test_toml_nested_past_the_parsers_depth_is_one_error_not_a_recursion():
    deep = "a = " + "[" * 5000 + "]" * 5000
    with pytest.raises(UserInputError, match=r"^g.toml: expected valid TOML nested at most"):
        toml_document(deep, "g.toml")
    with pytest.raises(UserInputError, match=r"^g.toml: expected valid TOML \(.*end of document"):
        toml_document("a = [", "g.toml")
    assert toml_document("a = [[1]]", "g.toml") == {"a": [[1]]}
