"""Response tables and list prices for the delegation game (market.delegation.responses).

Known answers come from the paper (Sec. 6.1: L = 38,058), the shared data README (the two
negative token counts, the list prices) and the hand-made fixtures in tests/data/ (six records:
alpha 10/20/30 -> reward 1, 0.5, 0 and 100, 200, 300 tokens; beta -> 0.25, 0.75, 1 and 40, -5, 60).
"""

from __future__ import annotations

import importlib.util
import json
import pickle
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from market.core.errors import UserInputError
from market.delegation.prices import PRICE_LIST, PRICES, list_price, usd_per_token
from market.delegation.responses import (
    SHIPPED_SOURCE,
    ResponseTable,
    load_records,
    shipped_arrays,
    shipped_table,
)

DATA = Path(__file__).parent / "data"
SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "nlgraph-maxflow"
PAPER_MODELS = ("gpt-5-high", "deepseek-r1", "gpt-5-medium", "o3-mini", "o1-mini", "claude-4-0")
ALL_MODELS = {
    "claude-4-0", "deepseek-r1", "deepseek-v3", "gpt-35-turbo", "gpt-4.1", "gpt-4", "gpt-4o-mini",
    "gpt-4o", "gpt-5-high", "gpt-5-low", "gpt-5-medium", "o1-mini", "o1", "o3-mini", "o4-mini",
    "qwen-max",
}  # fmt: skip


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


HEADER = "model,query_id,reward,output_tokens\n"


# --- the shipped NLGraph max-flow table ------------------------------------------------------


def test_shipped_table_shape_and_paper_length_bound():
    table = shipped_table()
    assert set(table.models) == ALL_MODELS
    assert table.n_queries == 2000
    assert table.query_ids.tolist() == list(range(2000))
    assert table.max_length == 38058  # Sec. 6.1: "L to 38,058 (the maximum output length)"
    assert table.length[table.model_index("gpt-5-medium")].max() == 38058
    assert table.source == SHIPPED_SOURCE
    assert table.reward.min() >= 0.0 and table.reward.max() <= 1.0


def test_paper_models_keep_the_paper_length_bound():
    assert shipped_table().subset(PAPER_MODELS).max_length == 38058


def test_shipped_file_keeps_the_raw_negative_counts():
    arrays = shipped_arrays()
    models = list(arrays["models"])
    tokens = arrays["output_tokens"]
    assert tokens[models.index("gpt-5-high"), 1831] == -26
    assert tokens[models.index("gpt-5-low"), 444] == -14
    assert (tokens < 0).sum() == 2


def test_clip_policy_sets_the_two_negatives_to_zero_and_says_so():
    table = shipped_table("clip")
    assert table.length[table.model_index("gpt-5-high"), 1831] == 0
    assert table.length[table.model_index("gpt-5-low"), 444] == 0
    assert table.length.min() == 0
    (note,) = table.notes
    assert "2 records" in note and "clipped to 0" in note
    assert "gpt-5-high query 1831 (-26)" in note and "gpt-5-low query 444 (-14)" in note


def test_drop_policy_removes_both_queries_for_every_model():
    table = shipped_table("drop")
    assert table.n_queries == 1998
    assert 444 not in table.query_ids and 1831 not in table.query_ids
    clipped = shipped_table("clip")
    keep = ~np.isin(clipped.query_ids, [444, 1831])
    np.testing.assert_array_equal(table.reward, clipped.reward[:, keep])
    np.testing.assert_array_equal(table.length, clipped.length[:, keep])
    (note,) = table.notes
    assert "dropped 2 query ids (444, 1831) for all models" in note


def test_error_policy_rejects_the_shipped_data_naming_the_records():
    with pytest.raises(UserInputError, match=r"gpt-5-high query 1831 \(-26\)"):
        shipped_table("error")


def test_unknown_policy_is_a_user_error():
    with pytest.raises(UserInputError, match="negative_tokens: expected one of clip, drop, error"):
        shipped_table("ignore")
    with pytest.raises(UserInputError, match="negative_tokens"):
        load_records(DATA / "small_records.csv", negative_tokens="silent")


def test_shipped_table_is_cached_and_read_only():
    table = shipped_table()
    assert shipped_table() is table
    with pytest.raises(ValueError, match="read-only"):
        table.reward[0, 0] = 0.5
    with pytest.raises(ValueError, match="read-only"):
        table.length[0, 0] = 1
    with pytest.raises(ValueError, match="read-only"):
        table.query_ids[0] = 7


@pytest.mark.skipif(not SHARED.is_dir(), reason=f"shared NLGraph records absent ({SHARED})")
def test_shipped_file_equals_the_shared_jsonl_records():
    arrays = shipped_arrays()
    files = sorted(SHARED.glob("*.jsonl"))
    assert sorted(arrays["models"].tolist()) == sorted(f.stem for f in files)
    for f in files:
        m = arrays["models"].tolist().index(f.stem)
        rows = sorted((json.loads(line) for line in f.open()), key=lambda r: r["id"])
        assert [r["id"] for r in rows] == arrays["query_ids"].tolist()
        assert [r["score"] for r in rows] == arrays["score"][m].tolist()
        assert [r["output_tokens"] for r in rows] == arrays["output_tokens"][m].tolist()
        assert [r["input_tokens"] for r in rows] == arrays["input_tokens"][m].tolist()


@pytest.mark.skipif(not SHARED.is_dir(), reason=f"shared NLGraph records absent ({SHARED})")
def test_loading_the_shared_folder_gives_the_shipped_table():
    loaded = load_records(SHARED)
    shipped = shipped_table()
    assert loaded.models == shipped.models
    np.testing.assert_array_equal(loaded.query_ids, shipped.query_ids)
    np.testing.assert_array_equal(loaded.reward, shipped.reward)
    np.testing.assert_array_equal(loaded.length, shipped.length)
    assert "gpt-5-high.jsonl line 1832" in loaded.notes[0]


# --- ResponseTable ---------------------------------------------------------------------------


def test_means_subset_and_index_on_hand_made_records():
    table = load_records(DATA / "small_records.csv")
    assert table.models == ("beta", "alpha")  # order of first appearance
    assert table.query_ids.tolist() == [10, 20, 30]
    np.testing.assert_allclose(table.mean_reward(), [2 / 3, 0.5])
    np.testing.assert_allclose(table.mean_length(), [100 / 3, 200.0])
    assert table.max_length == 300
    alpha = table.subset(["alpha"])
    assert alpha.models == ("alpha",) and alpha.max_length == 300
    assert alpha.notes == table.notes
    assert table.model_index("alpha") == 1
    with pytest.raises(UserInputError, match=r"model: expected one of beta, alpha.*'gamma'"):
        table.model_index("gamma")
    with pytest.raises(UserInputError, match="each model named once"):
        table.subset(["alpha", "alpha"])
    with pytest.raises(UserInputError, match="at least one model"):
        table.subset([])


def test_table_rejects_inconsistent_arrays():
    with pytest.raises(UserInputError, match="shape"):
        ResponseTable(("a",), np.array([1, 2]), np.zeros((1, 3)), np.zeros((1, 2)), "x")
    with pytest.raises(UserInputError, match="lengths >= 0"):
        ResponseTable(("a",), np.array([1]), np.zeros((1, 1)), -np.ones((1, 1)), "x")
    with pytest.raises(UserInputError, match="unique model names"):
        ResponseTable(("a", "a"), np.array([1]), np.zeros((2, 1)), np.zeros((2, 1)), "x")
    with pytest.raises(UserInputError, match="unique query ids"):
        ResponseTable(("a",), np.array([1, 1]), np.zeros((1, 2)), np.zeros((1, 2)), "x")


def test_table_copies_its_inputs_and_pickles_read_only():
    reward = np.array([[0.5, 1.0]])
    table = ResponseTable(("a",), np.array([1, 2]), reward, np.array([[3, 4]]), "x")
    reward[0, 0] = 0.0
    assert table.reward[0, 0] == 0.5
    again = pickle.loads(pickle.dumps(table))
    np.testing.assert_array_equal(again.reward, table.reward)
    assert not again.reward.flags.writeable and not again.length.flags.writeable


# --- load_records: every accepted form gives the same table ----------------------------------


@pytest.mark.parametrize(
    "name", ["small_records.csv", "small_records.jsonl", "small_records.parquet", "small_folder"]
)
def test_every_format_gives_the_hand_made_table(name):
    if name.endswith(".parquet"):
        pytest.importorskip("pyarrow", reason="Parquet needs the optional pyarrow (extra: parquet)")
    table = load_records(DATA / name).subset(["alpha", "beta"])
    assert table.query_ids.tolist() == [10, 20, 30]
    assert table.reward.tolist() == [[1.0, 0.5, 0.0], [0.25, 0.75, 1.0]]
    assert table.length.tolist() == [[100, 200, 300], [40, 0, 60]]
    (note,) = table.notes
    assert "1 record with negative output_tokens clipped to 0: beta query 20" in note


def test_notes_name_the_line_of_each_repair():
    assert "[line 7] (-5)" in load_records(DATA / "small_records.csv").notes[0]
    assert "[line 7] (-5)" in load_records(DATA / "small_records.jsonl").notes[0]  # blank line 4
    if importlib.util.find_spec("pyarrow") is not None:
        assert "[row 6] (-5)" in load_records(DATA / "small_records.parquet").notes[0]
    assert "[beta.jsonl line 3] (-5)" in load_records(DATA / "small_folder").notes[0]


def test_drop_and_error_policies_on_a_file():
    dropped = load_records(DATA / "small_records.csv", negative_tokens="drop")
    assert dropped.query_ids.tolist() == [10, 30]
    np.testing.assert_allclose(dropped.mean_reward(), [0.625, 0.5])
    np.testing.assert_allclose(dropped.mean_length(), [50.0, 200.0])
    with pytest.raises(UserInputError, match=r"small_records.csv, column output_tokens.*line 7"):
        load_records(DATA / "small_records.csv", negative_tokens="error")


def test_clean_records_have_no_notes(tmp_path):
    path = write(tmp_path, "r.csv", HEADER + "a,1,0.5,10\nb,1,1,20\n")
    assert load_records(path).notes == ()


@pytest.mark.parametrize("suffix", [".ndjson", ".pq", ".CSV"])
def test_other_accepted_suffixes(tmp_path, suffix):
    source = DATA / ("small_records.jsonl" if suffix == ".ndjson" else "small_records.csv")
    if suffix == ".pq":
        pytest.importorskip("pyarrow", reason="Parquet needs the optional pyarrow (extra: parquet)")
        source = DATA / "small_records.parquet"
    path = tmp_path / f"records{suffix}"
    path.write_bytes(source.read_bytes())
    assert load_records(path).length.tolist() == [[40, 0, 60], [100, 200, 300]]


def test_byte_order_mark_and_spaces_in_the_header(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("\ufeffmodel, query_id ,reward,output_tokens\na, 1 , 0.5 ,10\n", "utf-8")
    table = load_records(path)
    assert table.query_ids.tolist() == [1] and table.reward.tolist() == [[0.5]]


def test_large_integer_query_ids_are_exact(tmp_path):
    big = 2**62 + 1  # not representable as float64
    path = write(tmp_path, "r.jsonl", json.dumps(
        {"model": "a", "query_id": big, "reward": 1, "output_tokens": 2}) + "\n")  # fmt: skip
    assert load_records(path).query_ids.tolist() == [big]


def test_string_query_ids_are_kept(tmp_path):
    path = write(tmp_path, "r.csv", HEADER + "a,q2,0.5,10\na,q1,1,20\nb,q1,0,1\nb,q2,0,2\n")
    table = load_records(path)
    assert table.query_ids.tolist() == ["q1", "q2"]
    assert table.length.tolist() == [[20, 10], [1, 2]]


def test_reward_bound_widens_the_reward_range(tmp_path):
    path = write(tmp_path, "r.csv", HEADER + "a,1,7.5,10\nb,1,10,20\n")
    assert load_records(path, reward_bound=10).reward.tolist() == [[7.5], [10.0]]
    with pytest.raises(UserInputError, match=r"line 2, column 'reward'.*'7.5'"):
        load_records(path)


# --- load_records: validation ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "pattern"),
    [
        ("model,query_id,reward\na,1,0.5\n", r"columns.*missing: output_tokens"),
        (HEADER + "a,1,abc,10\n", r"r.csv line 2, column 'reward': expected a number in \[0, 1\]"),
        (HEADER + "a,1,nan,10\n", r"line 2, column 'reward'.*'nan'"),
        (HEADER + "a,1,,10\n", r"line 2, column 'reward'.*''"),
        (HEADER + "a,1,1.5,10\n", r"line 2, column 'reward': expected a reward in \[0, 1\]"),
        (HEADER + "a,1,-0.1,10\n", r"line 2, column 'reward'.*'-0.1'"),
        (HEADER + "a,1,0.5,10.5\n", r"line 2, column 'output_tokens': expected an integer"),
        (HEADER + "a,1,0.5,ten\n", r"line 2, column 'output_tokens'.*'ten'"),
        (HEADER + "a,1,0.5,10\na,1,0.7,11\n", r"r.csv line 3.*one record per.*also at line 2"),
        (HEADER + "a,1,0.5,10\nb,2,0.5,10\n", r"every model to cover.*a lacks 1: 2; b lacks 1: 1"),
        (HEADER + ",1,0.5,10\n", r"line 2, column 'model': expected a model name"),
        (HEADER + "a,,0.5,10\n", r"line 2, column 'query_id': expected a query id"),
        (HEADER + "a,1,0.5\n", r"r.csv line 2: expected 4 comma-separated fields"),
        (HEADER, r"at least one record"),
        ("", r"r.csv: expected a header line and at least one record"),
        ("\n\n", r"r.csv: expected a header line"),
    ],
)
def test_csv_mistakes_are_named(tmp_path, text, pattern):
    path = write(tmp_path, "r.csv", text)
    with pytest.raises(UserInputError, match=pattern):
        load_records(path)


def test_many_bad_values_are_counted(tmp_path):
    rows = "".join(f"a,{q},x,10\n" for q in range(8))
    path = write(tmp_path, "r.csv", HEADER + rows)
    with pytest.raises(UserInputError, match=r"8 bad values in all: line 2, line 3.*, \.\.\."):
        load_records(path)


@pytest.mark.parametrize(
    ("text", "pattern"),
    [
        ('{"model": "a", "query_id": 1, "reward": 0.5}\n', r"columns.*missing: output_tokens"),
        ("not json\n", r"r.jsonl line 1: expected one JSON object per line"),
        ("[1, 2]\n", r"line 1: expected a JSON object, got 'list'"),
        (
            '{"model": "a", "query_id": 1, "reward": 0.5, "output_tokens": 1}\n'
            '{"model": "b", "query_id": 1, "reward": 0.5}\n',
            r"r.jsonl line 2: expected the keys.*missing: output_tokens",
        ),
        (
            '{"model": "a", "query_id": 1, "reward": true, "output_tokens": 1}\n',
            r"line 1, column 'reward'.*True",
        ),
        (
            '{"model": 3, "query_id": 1, "reward": 0.5, "output_tokens": 1}\n',
            r"line 1, column 'model': expected a model name",
        ),
        (
            '{"model": "a", "query_id": 1, "reward": NaN, "output_tokens": 1}\n',
            r"line 1, column 'reward'.*nan",
        ),
        ("\n", r"at least one record"),
    ],
)
def test_jsonl_mistakes_are_named(tmp_path, text, pattern):
    path = write(tmp_path, "r.jsonl", text)
    with pytest.raises(UserInputError, match=pattern):
        load_records(path)


def test_folder_mistakes_are_named(tmp_path):
    folder = tmp_path / "runs"
    folder.mkdir()
    with pytest.raises(UserInputError, match=r"no \*.jsonl files"):
        load_records(folder)
    write(folder, "a.jsonl", '{"id": 1, "score": 0.5, "output_tokens": 3}\n')
    write(folder, "b.jsonl", '{"id": 1, "score": 2, "output_tokens": 3}\n')
    with pytest.raises(UserInputError, match=r"runs b.jsonl line 1, column 'score'"):
        load_records(folder)
    write(folder, "b.jsonl", '{"id": 1, "reward": 0.5, "output_tokens": 3}\n')
    with pytest.raises(UserInputError, match=r"b.jsonl, columns.*missing: score"):
        load_records(folder)
    write(folder, "b.jsonl", "")
    with pytest.raises(UserInputError, match=r"b.jsonl: expected at least one record"):
        load_records(folder)


def test_file_level_mistakes(tmp_path):
    with pytest.raises(UserInputError, match=r"r.xlsx, file suffix: expected one of .csv"):
        load_records(write(tmp_path, "r.xlsx", "x"))
    with pytest.raises(UserInputError, match="data: expected an existing file or folder"):
        load_records(tmp_path / "absent.csv")
    with pytest.raises(UserInputError, match=r"readable Parquet|pyarrow installed"):
        load_records(write(tmp_path, "r.parquet", "not parquet"))
    with pytest.raises(UserInputError, match="reward_bound: expected a finite number > 0"):
        load_records(DATA / "small_records.csv", reward_bound=0)


def test_every_record_negative_under_drop_is_an_error(tmp_path):
    path = write(tmp_path, "r.csv", HEADER + "a,1,0.5,-1\nb,1,0.5,3\n")
    with pytest.raises(UserInputError, match="at least one query id without negative"):
        load_records(path, negative_tokens="drop")


# --- property: a random table survives a round trip through every format ---------------------


@st.composite
def raw_tables(draw):
    n_models = draw(st.integers(1, 4))
    n_queries = draw(st.integers(1, 6))
    ids = draw(st.lists(st.integers(-50, 10**6), min_size=n_queries, max_size=n_queries,
                        unique=True))  # fmt: skip
    reward = draw(
        st.lists(
            st.floats(0, 1, allow_nan=False),
            min_size=n_models * n_queries,
            max_size=n_models * n_queries,
        )
    )
    length = draw(
        st.lists(st.integers(-3, 40_000), min_size=n_models * n_queries,
                 max_size=n_models * n_queries)
    )  # fmt: skip
    order = draw(st.permutations(range(n_models * n_queries)))
    shape = (n_models, n_queries)
    return (
        [f"m{i}" for i in range(n_models)],
        np.array(ids),
        np.array(reward).reshape(shape),
        np.array(length).reshape(shape),
        order,
    )


def _records(models, ids, reward, length, order):
    cells = [(m, q) for m in range(len(models)) for q in range(len(ids))]
    return [
        {
            "model": models[cells[k][0]],
            "query_id": int(ids[cells[k][1]]),
            "reward": float(reward[cells[k]]),
            "output_tokens": int(length[cells[k]]),
        }
        for k in order
    ]


@settings(max_examples=40, deadline=None)
@given(raw_tables(), st.sampled_from(["csv", "jsonl"]), st.sampled_from(["clip", "drop"]))
def test_round_trip_equals_the_policy_applied_by_hand(raw, suffix, policy):
    models, ids, reward, length, order = raw
    records = _records(models, ids, reward, length, order)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"records.{suffix}"
        if suffix == "csv":
            path.write_text(
                HEADER
                + "".join(
                    f"{r['model']},{r['query_id']},{r['reward']!r},{r['output_tokens']}\n"
                    for r in records
                )
            )
        else:
            path.write_text("".join(json.dumps(r) + "\n" for r in records))
        negative_columns = (length < 0).any(axis=0)
        if policy == "drop" and negative_columns.all():
            with pytest.raises(UserInputError):
                load_records(path, negative_tokens=policy)
            return
        table = load_records(path, negative_tokens=policy)
    # expected, by hand: sort the columns by id; clip or drop
    appearance = list(dict.fromkeys(r["model"] for r in records))
    rows = [models.index(m) for m in appearance]
    cols = np.argsort(ids)
    if policy == "drop":
        cols = cols[~negative_columns[cols]]
    assert table.models == tuple(appearance)
    np.testing.assert_array_equal(table.query_ids, ids[cols])
    np.testing.assert_array_equal(table.reward, reward[np.ix_(rows, cols)])
    np.testing.assert_array_equal(table.length, np.maximum(length, 0)[np.ix_(rows, cols)])
    assert (len(table.notes) == 1) == bool((length < 0).any())


# --- list prices -----------------------------------------------------------------------------


def test_prices_cover_every_shipped_model():
    assert set(PRICES) == ALL_MODELS == {e.model for e in PRICE_LIST}
    assert all(p > 0 for p in PRICES.values())


def test_list_prices_of_the_paper():
    # shared README / paper Sec. 6.1, USD per 1M output tokens
    expected = {
        "gpt-5-high": 10, "gpt-5-medium": 10, "gpt-5-low": 10, "o3-mini": 4.40,
        "o1-mini": 4.40, "deepseek-r1": 2.19, "claude-4-0": 15, "o1": 60, "o4-mini": 16,
    }  # fmt: skip
    for model, price in expected.items():
        assert list_price(model) == pytest.approx(price)
    inputs = {e.model: e.input_usd_per_1m for e in PRICE_LIST}
    assert inputs["deepseek-r1"] == pytest.approx(0.14)
    assert inputs["claude-4-0"] == pytest.approx(3.0)


def test_artifact_prices_per_token():
    # the authors' simulator, per token: gpt-4.1 1.2e-5, gpt-4o-mini 6e-7, qwen-max 6.4e-6
    assert usd_per_token(list_price("gpt-4.1")) == pytest.approx(1.2e-5)
    assert usd_per_token(list_price("gpt-4o-mini")) == pytest.approx(6e-7)
    assert usd_per_token(list_price("qwen-max")) == pytest.approx(6.4e-6)
    assert {e.model for e in PRICE_LIST if e.input_usd_per_1m is None} == {
        "gpt-4.1", "gpt-4o", "gpt-4", "gpt-4o-mini", "deepseek-v3", "qwen-max", "gpt-35-turbo",
    }  # fmt: skip


def test_unknown_price_is_a_user_error():
    with pytest.raises(UserInputError, match=r"price of model.*gpt-5-high.*'gpt-6'"):
        list_price("gpt-6")
    with pytest.raises(TypeError):
        PRICES["gpt-6"] = 1.0  # read-only mapping


# --- restricting to some models before the negative-token policy -----------------------------


def test_policy_sees_only_the_requested_models():
    dropped = shipped_table("drop", models=PAPER_MODELS)
    assert dropped.models == PAPER_MODELS
    assert dropped.n_queries == 1999  # only gpt-5-high's query 1831; gpt-5-low is not asked for
    assert 444 in dropped.query_ids and 1831 not in dropped.query_ids
    assert "gpt-5-low" not in dropped.notes[0]
    assert shipped_table("clip", models=["o1-mini", "o3-mini"]).notes == ()
    assert shipped_table("error", models=["o1-mini"]).models == ("o1-mini",)
    with pytest.raises(UserInputError, match=r"model: expected one of claude-4-0.*'gpt-6'"):
        shipped_table(models=["gpt-6"])
    with pytest.raises(UserInputError, match="each model named once"):
        shipped_table(models=["o1", "o1"])


def test_restricted_shipped_table_equals_the_subset():
    full, part = shipped_table(), shipped_table(models=("o3-mini", "claude-4-0"))
    expected = full.subset(("o3-mini", "claude-4-0"))
    np.testing.assert_array_equal(part.reward, expected.reward)
    np.testing.assert_array_equal(part.length, expected.length)


def test_load_records_restricted_to_models():
    alpha = load_records(DATA / "small_records.csv", negative_tokens="error", models=["alpha"])
    assert alpha.models == ("alpha",) and alpha.notes == ()
    assert alpha.length.tolist() == [[100, 200, 300]]
    with pytest.raises(UserInputError, match=r"model: expected one of beta, alpha.*'gamma'"):
        load_records(DATA / "small_records.csv", models=["gamma"])
