"""Property: ``without_values()`` never shows what a file holds, wherever the file holds it.

A secret string is planted in a user's file (a scenario TOML, its records, a curves CSV) at a
position that makes the file wrong: a bad value, an unknown key, a key under ``[prices]``, a
bad CSV cell, malformed TOML, a model name the error lists. The full message may quote it (the
command line's user owns the file); ``without_values()`` must not.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from market.core.datafiles import DataFile, files_by_name
from market.core.errors import UserInputError
from market.delegation.responses import load_records
from market.delegation.scenarios import scenario_from_data_file
from market.ttc.curves import COLUMNS, load_curves
from market.ttc.runs import build_game

MY_MARKET = Path(__file__).parent / "data" / "my-market"
TOML = (MY_MARKET / "my-market.toml").read_text()
RECORDS = (MY_MARKET / "records.csv").read_text()
HEADER = "model,query_id,reward,output_tokens\n"
CURVES_HEADER = ",".join(COLUMNS)
CURVES = [
    "GSM8K,A,False,best_of_n,1,0.5,100,0.1",
    "GSM8K,A,False,best_of_n,4,0.6,400,0.1",
    "GSM8K,B,False,best_of_n,1,0.7,200,0.2",
    "GSM8K,B,False,best_of_n,4,0.8,800,0.2",
]
#: A secret: a bare TOML key, a CSV cell and a JSON string alike, never a number or a word of
#: the messages (the "Zq" prefix).
SECRETS = st.from_regex(r"Zq[A-Za-z0-9_-]{6,16}", fullmatch=True)


def scenario(toml: str, records: str = RECORDS) -> Callable[[], object]:
    files = files_by_name([DataFile("records.csv", records.encode())])
    return lambda: scenario_from_data_file(DataFile("mine.toml", toml.encode()), files)


def records(text: str, name: str = "r.csv", **kwargs) -> Callable[[], object]:
    return lambda: load_records(DataFile(name, text.encode()), **kwargs)


def parquet_with_a_bad_reward(secret: str) -> Callable[[], object]:
    frame = pd.DataFrame(
        {"model": ["a"], "query_id": [1], "reward": [secret], "output_tokens": [3]}
    )
    buffer = io.BytesIO()
    frame.to_parquet(buffer)
    return lambda: load_records(DataFile("r.parquet", buffer.getvalue()))


def curves(rows: list[str], header: str = CURVES_HEADER) -> Callable[[], object]:
    text = "\n".join([header, *rows]) + "\n"
    return lambda: load_curves(DataFile("c.csv", text.encode()))


def curves_game(secret: str) -> Callable[[], object]:
    rows = [row.replace("GSM8K", secret) for row in CURVES]
    text = ("\n".join([CURVES_HEADER, *rows]) + "\n").encode()
    return lambda: build_game(curves=DataFile("c.csv", text), benchmark="GSM8K", method="best_of_n")


PRICE = '"my-small-model" = 1.0'
SMALL_MENU = 'models = ["my-small-model"]'
#: position -> (secret -> the call that must fail)
PLANTED: dict[str, Callable[[str], Callable[[], object]]] = {
    "toml: a bad value": lambda s: scenario(TOML.replace("eps = 0.3", f'eps = "{s}"')),
    "toml: a bad text": lambda s: scenario(
        TOML.replace('"Two providers on my own records"', f'["{s}"]')
    ),
    "toml: an unknown key": lambda s: scenario(f"{s} = 1\n" + TOML),
    "toml: an unknown provider key": lambda s: scenario(TOML + f"{s} = 1\n"),
    "toml: a price key": lambda s: scenario(TOML.replace(PRICE, f'{PRICE}\n{s} = "cheap"')),
    "toml: a price below 0": lambda s: scenario(
        TOML.replace(PRICE, f"{PRICE}\n{s} = -1").replace(SMALL_MENU, f'models = ["{s}"]')
    ),
    "toml: a price off the menus": lambda s: scenario(TOML.replace(PRICE, f"{PRICE}\n{s} = 2")),
    "toml: a model without a price": lambda s: scenario(
        TOML.replace(SMALL_MENU, f'models = ["{s}"]')
    ),
    "toml: a model not in the records": lambda s: scenario(
        TOML.replace(SMALL_MENU, f'models = ["{s}"]').replace(PRICE, f"{PRICE}\n{s} = 2")
    ),
    "toml: malformed, a table twice": lambda s: scenario(TOML + f"[{s}]\n[{s}]\n"),
    "toml: malformed, no equals sign": lambda s: scenario(f"{s} {s}\n" + TOML),
    "toml: malformed, an open string": lambda s: scenario(f'name = "{s}\n' + TOML),
    "records: a model the scenario lacks": lambda s: scenario(
        TOML, RECORDS.replace("my-big-model", s)
    ),
    "records: a bad reward cell": lambda s: records(HEADER + f"a,1,{s},3\n"),
    "records: a bad token cell": lambda s: records(HEADER + f"a,1,0.5,{s}\n"),
    "records: a duplicate": lambda s: records(HEADER + f"{s},1,0.5,3\n{s},1,0.5,3\n"),
    "records: a model lacking queries": lambda s: records(HEADER + f"{s},1,0.5,3\nb,2,0.5,3\n"),
    "records: a column missing": lambda s: records(f"model,{s},reward\na,1,0.5\n"),
    "records: a negative count": lambda s: records(
        HEADER + f"{s},1,0.5,-3\n", negative_tokens="error"
    ),
    "records: a model asked for": lambda s: records(HEADER + f"{s},1,0.5,3\n", models=["a"]),
    "records: a JSONL line": lambda s: records(f'{{"model": "{s}", oops\n', "r.jsonl"),
    "records: a JSONL value": lambda s: records(
        f'{{"model": "a", "query_id": 1, "reward": "{s}", "output_tokens": 1}}\n', "r.jsonl"
    ),
    "records: a Parquet cell": parquet_with_a_bad_reward,
    "curves: a bad cell": lambda s: curves([CURVES[0].replace("0.5", s), *CURVES[1:]]),
    "curves: a bad flag": lambda s: curves([CURVES[0].replace("False", s), *CURVES[1:]]),
    "curves: an extra column": lambda s: curves(CURVES, CURVES_HEADER + f",{s}"),
    "curves: a duplicate": lambda s: curves([r.replace(",A,", f",{s},") for r in CURVES[:2]] * 2),
    "curves: levels that differ": lambda s: curves(
        [r.replace(",A,", f",{s},") for r in CURVES[:3]]
    ),
    "curves: a benchmark listed": curves_game,
}
#: Positions whose full message need not quote the secret (tomllib says where, not what).
UNQUOTED = {"toml: malformed, an open string", "toml: malformed, no equals sign"}


@pytest.mark.parametrize("position", list(PLANTED))
@settings(max_examples=12, deadline=None)
@given(secret=SECRETS)
def test_without_values_never_shows_a_planted_secret(position, secret):
    with pytest.raises(UserInputError) as error:
        PLANTED[position](secret)()
    plain = error.value.without_values()
    assert secret not in plain, plain
    assert "\n" not in plain and plain.startswith(error.value.field.split(secret)[0])
    if position not in UNQUOTED:
        assert secret in str(error.value)  # the secret did reach the error: the test has teeth


@pytest.mark.parametrize(
    ("position", "plain"),
    [
        (
            "toml: an unknown key",
            "mine.toml: <unknown key>: expected one of the keys name, description, mechanism, "
            "T, eps, eta, reward_bound, max_length, data, negative_tokens, prices, providers",
        ),
        ("toml: a price key", "mine.toml: prices.<model>: expected a TOML number"),
        ("toml: a bad value", "mine.toml: eps: expected a TOML number"),
        ("toml: malformed, a table twice", "mine.toml: expected valid TOML (line 21, column 10)"),
        (
            "records: a model the scenario lacks",
            "mine.toml: providers[1].models: expected models in the records",
        ),
        (
            "records: a bad reward cell",
            "r.csv line 2, column 'reward': expected a number in [0, 1]",
        ),
        ("curves: a bad cell", "curves column accuracy: expected finite numbers (line 2)"),
    ],
)
def test_what_without_values_says(position, plain):
    with pytest.raises(UserInputError) as error:
        PLANTED[position]("ZqSECRET")()
    assert error.value.without_values() == plain
