"""TTC curves held in memory parse exactly as the same bytes from a path."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from market.core.datafiles import DataFile
from market.core.errors import UserInputError
from market.ttc.curves import COLUMNS, load_curves
from market.ttc.runs import build_game

HEADER = ",".join(COLUMNS)
GOOD_ROWS = [
    "GSM8K,A,False,best_of_n,1,0.5,100,0.1",
    "GSM8K,A,False,best_of_n,4,0.6,400,0.1",
    "GSM8K,B,False,best_of_n,1,0.7,200,0.2",
    "GSM8K,B,False,best_of_n,4,0.8,800,0.2",
]


def curves_text(rows=GOOD_ROWS, header=HEADER) -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


def shipped_bytes() -> bytes:
    return resources.files("market.ttc.data").joinpath("ttc_curves.csv").read_bytes()


@pytest.mark.parametrize("content", [shipped_bytes(), curves_text()], ids=["shipped", "small"])
def test_curves_from_memory_equal_the_same_bytes_from_a_path(tmp_path, content):
    path = tmp_path / "curves.csv"
    path.write_bytes(content)
    from_path = load_curves(path, approximate=True)
    from_memory = load_curves(DataFile("my curves.csv", content), approximate=True)
    pd.testing.assert_frame_equal(from_memory.frame, from_path.frame)
    assert from_memory.source == "my curves.csv" and from_path.source == str(path)
    assert from_memory.approximate


def test_a_game_from_uploaded_curves_equals_the_game_from_the_file(tmp_path):
    path = tmp_path / "curves.csv"
    path.write_bytes(shipped_bytes())
    kwargs = {"benchmark": "GSM8K", "method": "best-of-n", "beta": 1000.0}
    from_path = build_game(curves=path, **kwargs)
    from_memory = build_game(curves=DataFile("mine.csv", shipped_bytes()), **kwargs)
    assert from_memory.source == "curves mine.csv (GSM8K, best-of-n)"
    assert from_memory.game.providers == from_path.game.providers
    np.testing.assert_array_equal(from_memory.game.value, from_path.game.value)
    assert from_memory.warnings == from_path.warnings


@pytest.mark.parametrize(
    ("rows", "header", "message"),
    [
        (
            ["GSM8K,A,False,best_of_n,1,1.5,100,0.1", *GOOD_ROWS[1:]],
            HEADER,
            "curves column accuracy: expected a fraction in [0, 1], got 1.5 (c.csv, line 2)",
        ),
        (
            ["GSM8K,A,False,best_of_n,1,,100,0.1", *GOOD_ROWS[1:]],
            HEADER,
            "curves column accuracy: expected a value in every row, got 'NaN/empty' "
            "(c.csv, line 2)",
        ),
        (
            GOOD_ROWS,
            HEADER.replace(",avg_tokens", ""),
            "curves columns: expected exactly benchmark, model, reasoning, ttc_method, theta, "
            "accuracy, avg_tokens, price_per_1m_tokens, got ['benchmark', 'model', 'reasoning', "
            "'ttc_method', 'theta', 'accuracy', 'price_per_1m_tokens'] (c.csv: missing "
            "['avg_tokens'], unexpected none)",
        ),
    ],
)
def test_bad_curves_in_memory_name_the_file_and_the_line(rows, header, message):
    with pytest.raises(UserInputError) as error:
        load_curves(DataFile("c.csv", curves_text(rows, header)))
    assert str(error.value) == message


def test_curves_that_are_not_utf8_read_like_a_missing_file(tmp_path):
    messages = set()
    for source, label in [
        (DataFile("c.csv", b"benchmark\n\xff\n"), "c.csv"),
        (tmp_path / "absent.csv", str(tmp_path / "absent.csv")),
        (tmp_path, str(tmp_path)),
    ]:
        with pytest.raises(UserInputError) as error:
            load_curves(source)
        messages.add(str(error.value).replace(label, "FILE"))
    assert messages == {"curves: expected an existing CSV file (readable, UTF-8), got 'FILE'"}


def test_a_path_still_works_for_the_command_line(tmp_path):
    path = Path(tmp_path) / "curves.csv"
    path.write_bytes(curves_text())
    assert len(load_curves(str(path))) == 4
