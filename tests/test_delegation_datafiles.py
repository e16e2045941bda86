"""Delegation records and scenarios held in memory parse exactly as the same bytes from a path."""

from __future__ import annotations

import builtins
import io
import json
import os
import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from market.core.datafiles import DataFile, files_by_name
from market.core.errors import UserInputError
from market.delegation.experiments import data_stamp, scenario_fields, scenario_id
from market.delegation.model import DelegationMarket
from market.delegation.responses import ResponseTable, load_records
from market.delegation.runs import sweep
from market.delegation.scenarios import get_scenario, scenario_from_data_file, scenario_from_toml

DATA = Path(__file__).parent / "data"
MY_MARKET = DATA / "my-market"
HEADER = "model,query_id,reward,output_tokens\n"


def in_memory(path: Path, name: str | None = None) -> DataFile:
    return DataFile(name or path.name, path.read_bytes())


def assert_same_table(a: ResponseTable, b: ResponseTable) -> None:
    assert a.models == b.models and a.notes == b.notes
    np.testing.assert_array_equal(a.query_ids, b.query_ids)
    np.testing.assert_array_equal(a.reward, b.reward)
    np.testing.assert_array_equal(a.length, b.length)


def my_market_from_memory():
    records = in_memory(MY_MARKET / "records.csv")
    return scenario_from_data_file(
        in_memory(MY_MARKET / "my-market.toml"), files_by_name([records])
    )


# --- records ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        DATA / "small_records.csv",
        DATA / "small_records.jsonl",
        DATA / "small_records.parquet",
        MY_MARKET / "records.csv",
    ],
    ids=lambda p: p.name,
)
@pytest.mark.parametrize("policy", ["clip", "drop"])
def test_records_from_memory_equal_the_same_bytes_from_a_path(path, policy):
    from_path = load_records(path, negative_tokens=policy)
    from_memory = load_records(in_memory(path), negative_tokens=policy)
    assert_same_table(from_memory, from_path)
    assert from_memory.source == path.name and from_path.source == str(path)


def test_ndjson_and_upper_case_suffixes_from_memory():
    jsonl, csv = (
        (DATA / "small_records.jsonl").read_bytes(),
        (DATA / "small_records.csv").read_bytes(),
    )
    reference = load_records(DATA / "small_records.csv")
    assert_same_table(load_records(DataFile("r.ndjson", jsonl)), reference)
    assert_same_table(load_records(DataFile("R.CSV", csv)), reference)


def test_a_parquet_written_in_memory_is_read_from_memory():
    frame = pd.DataFrame(
        {"model": ["a", "b"], "query_id": [1, 1], "reward": [0.5, 1.0], "output_tokens": [3, 4]}
    )
    buffer = io.BytesIO()
    frame.to_parquet(buffer)
    table = load_records(DataFile("r.pq", buffer.getvalue()))
    assert table.models == ("a", "b") and table.length.tolist() == [[3], [4]]


def test_the_folder_form_is_path_only():
    with pytest.raises(UserInputError) as error:
        load_records(DataFile("small_folder", b""))
    assert str(error.value) == (
        "small_folder, file suffix: expected one of .csv, .jsonl, .ndjson, .parquet, .pq"
        " (a folder: from a path only), got 'no suffix'"
    )


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("r.csv", HEADER + "a,1,abc,10\n", "r.csv line 2, column 'reward': expected a number"),
        ("r.csv", "model,reward\na,1\n", "r.csv, columns: expected columns model, query_id"),
        ("r.csv", HEADER + "a,1,0.5\n", "r.csv line 2: expected 4 comma-separated fields"),
        ("r.csv", HEADER + "a,1,0.5,1\na,1,0.5,1\n", "r.csv line 3: expected one record per"),
        ("r.csv", "", "r.csv: expected a header line and at least one record"),
        ("r.jsonl", "not json\n", "r.jsonl line 1: expected one JSON object per line"),
        ("r.jsonl", '{"model": "a"}\n', "r.jsonl, columns: expected columns model, query_id"),
        ("r.parquet", "not parquet", "r.parquet: expected a readable Parquet file"),
        ("r.xlsx", "x", "r.xlsx, file suffix: expected one of .csv"),
    ],
)
def test_bad_records_in_memory_name_the_file_and_the_line(name, text, expected):
    with pytest.raises(UserInputError) as error:
        load_records(DataFile(name, text.encode()))
    message = str(error.value)
    assert message.startswith(expected) and "\n" not in message
    assert os.sep not in message.replace("1/2", "")  # never a server path
    assert error.value.without_values().startswith(expected)


def test_records_that_are_not_utf8_read_like_a_missing_file():
    with pytest.raises(UserInputError) as error:
        load_records(DataFile("r.csv", HEADER.encode() + b"\xff,1,0.5,1\n"))
    assert str(error.value) == (
        "data: expected an existing file or folder (readable; CSV and JSONL in UTF-8), got 'r.csv'"
    )


def test_a_missing_and_an_unreadable_records_path_give_the_same_message(tmp_path):
    not_utf8 = tmp_path / "r.csv"
    not_utf8.write_bytes(b"\xff\xfe")
    messages = set()
    for path in (tmp_path / "absent.csv", not_utf8):
        with pytest.raises(UserInputError) as error:
            load_records(path)
        messages.add(str(error.value).replace(str(path), "PATH"))
    assert messages == {
        "data: expected an existing file or folder (readable; CSV and JSONL in UTF-8), got 'PATH'"
    }


# --- scenarios --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("toml", "records"),
    [
        (MY_MARKET / "my-market.toml", MY_MARKET / "records.csv"),
        (DATA / "small_scenario.toml", DATA / "small_records.csv"),
    ],
    ids=["my-market", "small"],
)
def test_a_scenario_from_memory_equals_the_same_files_from_paths(toml, records):
    from_path = scenario_from_toml(toml)
    from_memory = scenario_from_data_file(in_memory(toml), files_by_name([in_memory(records)]))
    assert from_memory.data == in_memory(records)
    assert from_path.data == str(records.resolve())
    assert from_memory.replace(data=from_path.data) == from_path
    assert_same_table(from_memory.table(), from_path.table())
    assert from_memory.length_bound() == from_path.length_bound()


def test_a_scenario_from_memory_never_touches_the_filesystem(monkeypatch):
    toml, records = in_memory(MY_MARKET / "my-market.toml"), in_memory(MY_MARKET / "records.csv")

    def refuse(*args, **kwargs):
        raise AssertionError(f"the filesystem was touched: {args}")

    for module, name in [(builtins, "open"), (io, "open"), (os, "stat"), (os, "lstat")]:
        monkeypatch.setattr(module, name, refuse)
    monkeypatch.setattr(os, "scandir", refuse)
    scenario = scenario_from_data_file(toml, files_by_name([records]))
    table = scenario.replace(T=300_000).table()
    with pytest.raises(AssertionError, match="the filesystem was touched"):
        scenario_from_toml(MY_MARKET / "my-market.toml")  # the guard works
    monkeypatch.undo()
    assert table.models == ("my-big-model", "my-small-model")


@pytest.mark.parametrize("data", ["/etc/shadow", "C:\\data\\records.csv", "~/records.csv"])
def test_an_absolute_data_path_is_refused_from_memory(data):
    text = (MY_MARKET / "my-market.toml").read_text().replace('"records.csv"', json.dumps(data))
    looked_up = []
    with pytest.raises(UserInputError) as error:
        scenario_from_data_file(DataFile("mine.toml", text.encode()), looked_up.append)
    assert str(error.value) == (
        f"mine.toml: data: expected the name of a records file (not a path on the server), "
        f"got {data!r}"
    )
    assert error.value.without_values() == (
        "mine.toml: data: expected the name of a records file (not a path on the server)"
    )
    assert looked_up == []


def test_a_data_file_the_caller_cannot_find_is_its_error():
    toml = in_memory(MY_MARKET / "my-market.toml")
    with pytest.raises(
        UserInputError, match=r"^data: expected the name of an uploaded file \(none\)"
    ):
        scenario_from_data_file(toml)
    with pytest.raises(UserInputError, match=r"uploaded file \(other.csv\), got 'records.csv'$"):
        scenario_from_data_file(toml, files_by_name([DataFile("other.csv", b"")]))


def test_a_scenario_from_memory_without_data_uses_the_shipped_records():
    text = (
        'name = "mine"\n[[providers]]\nmodels = ["o1-mini"]\n[[providers]]\nmodels = ["o3-mini"]\n'
    )
    scenario = scenario_from_data_file(DataFile("mine.toml", text.encode()))
    assert scenario.data is None and scenario.table().source.startswith("shipped")


def test_mistakes_in_memory_name_the_uploaded_files():
    toml = (MY_MARKET / "my-market.toml").read_text()
    records = files_by_name([DataFile("records.csv", (HEADER + "my-big-model,1,2,3\n").encode())])
    with pytest.raises(UserInputError, match=r"^mine.toml: eps: expected a TOML number, got 'x'$"):
        scenario_from_data_file(DataFile("mine.toml", toml.replace("0.3", '"x"').encode()), records)
    with pytest.raises(UserInputError, match=r"^records.csv line 2, column 'reward': expected a"):
        scenario_from_data_file(DataFile("mine.toml", toml.encode()), records)
    with pytest.raises(UserInputError) as error:
        scenario_from_data_file(DataFile("mine.toml", b"\xff"), records)
    assert (
        str(error.value)
        == "scenario: expected an existing .toml file (readable, UTF-8), got 'mine.toml'"
    )


def test_a_missing_and_an_unreadable_toml_path_give_the_same_message(tmp_path):
    not_utf8 = tmp_path / "s.toml"
    not_utf8.write_bytes(b"name = '\xff'\n")
    folder = tmp_path / "folder.toml"
    folder.mkdir()
    messages = set()
    for path in (tmp_path / "absent.toml", folder, not_utf8):
        with pytest.raises(UserInputError) as error:
            get_scenario(path)
        messages.add(str(error.value).replace(str(path), "PATH"))
    assert messages == {"scenario: expected an existing .toml file (readable, UTF-8), got 'PATH'"}


# --- a scenario holding a DataFile: pickling, keys, runs ----------------------------------------


def test_a_scenario_holding_a_data_file_pickles():
    scenario = my_market_from_memory()
    again = pickle.loads(pickle.dumps(scenario))
    assert again == scenario and isinstance(again.data, DataFile)
    assert_same_table(again.table(), scenario.table())


def test_its_run_key_is_the_file_name_size_and_digest():
    scenario = my_market_from_memory()
    content = (MY_MARKET / "records.csv").read_bytes()
    assert data_stamp(scenario.data) == [
        "in memory",
        "records.csv",
        len(content),
        scenario.data.digest(),
    ]
    json.dumps(scenario_fields(scenario))  # JSON-ready, as the store needs
    assert scenario_id(scenario) == scenario_id(my_market_from_memory())
    changed = scenario.replace(data=DataFile("records.csv", content.replace(b"1.0,", b"0.0,", 1)))
    assert scenario_id(changed) != scenario_id(scenario)
    path = MY_MARKET / "records.csv"  # a path's key is unchanged: path, size, mtime
    stat = path.stat()
    assert data_stamp(str(path)) == [str(path.resolve()), stat.st_size, stat.st_mtime_ns]


def test_a_run_on_records_in_memory_equals_the_run_on_the_file():
    results = []
    for scenario in (my_market_from_memory(), scenario_from_toml(MY_MARKET / "my-market.toml")):
        model = DelegationMarket(scenario, strategies="ours,honest", T=200_000, batch=10_000, rng=7)
        while model.running:
            model.step()
        results.append(model.result().to_dict())
    assert results[0] == results[1]
    assert results[0]["queries_used"] > 0


def test_a_sweep_sends_the_file_to_worker_processes(tmp_path):
    records = in_memory(DATA / "small_records.csv")
    memory = scenario_from_data_file(
        in_memory(DATA / "small_scenario.toml"), files_by_name([records])
    )
    path = scenario_from_toml(DATA / "small_scenario.toml")
    strategies = ["ours", "honest", "dishonest-all"]
    ran = sweep(memory, jobs=2, strategies=strategies, store=tmp_path / "runs.db")
    again = sweep(memory, jobs=1, strategies=strategies, store=tmp_path / "runs.db")  # stored
    reference = sweep(path, jobs=1, strategies=strategies)
    pd.testing.assert_frame_equal(ran.profiles, reference.profiles)
    pd.testing.assert_frame_equal(again.profiles, reference.profiles)


def test_a_csv_field_over_the_csv_limit_is_one_error_naming_its_line(tmp_path):
    records = tmp_path / "r.csv"
    header = "model,query_id,reward,output_tokens\n"
    records.write_text(header + "m,q1,1,10\n" + "m,q2,1," + "9" * 200_000 + "\n")
    with pytest.raises(UserInputError, match=r"r.csv line 3: expected well-formed CSV \(field"):
        load_records(records)
