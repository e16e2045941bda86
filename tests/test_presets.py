"""Named delegation scenarios and their TOML format (market.delegation.scenarios).

Known answers: the three providers and list prices of Cao et al. (2026) Sec. 6.1, the authors'
eta = 0.9 (docs/delegation-variant.md), T = 10^6, eps = 0.3, L = 38,058.
"""

from __future__ import annotations

import pickle
import textwrap
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from market.core.errors import UserInputError
from market.delegation.scenarios import (
    SCENARIOS,
    DelegationScenario,
    ProviderSpec,
    get_scenario,
    scenario_from_toml,
    validate_scenario,
)

DATA = Path(__file__).parent / "data"
PRESETS = Path(__file__).resolve().parents[1] / "market" / "delegation" / "data" / "presets"

PAPER_MENUS = (
    ("gpt-5-high", "deepseek-r1", "gpt-5-medium"),
    ("o3-mini", "o1-mini", "deepseek-r1"),
    ("claude-4-0", "o1-mini", "deepseek-r1"),
)
PAPER_PRICES = {
    "gpt-5-high": 10.0, "deepseek-r1": 2.19, "gpt-5-medium": 10.0,
    "o3-mini": 4.40, "o1-mini": 4.40, "claude-4-0": 15.0,
}  # fmt: skip


def toml(tmp_path: Path, text: str, name: str = "s.toml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


BASE = """
name = "t"
[[providers]]
name = "one"
models = ["gpt-5-high", "deepseek-r1"]
[[providers]]
name = "two"
models = ["o1-mini"]
"""


# --- the shipped presets ---------------------------------------------------------------------


def test_registry_holds_the_two_presets():
    assert SCENARIOS.names() == ["cao2026", "cao2026-paper"]


@pytest.mark.parametrize(
    ("name", "mechanism", "eta"),
    [("cao2026", "second-best-artifact", 0.9), ("cao2026-paper", "second-best", 1.0)],
)
def test_presets_are_the_papers_experiment(name, mechanism, eta):
    s = get_scenario(name)
    assert s.name == name
    assert s.mechanism == mechanism
    assert s.eta == eta
    assert (s.T, s.eps, s.reward_bound) == (1_000_000, 0.3, 1.0)
    assert [p.name for p in s.providers] == ["provider 1", "provider 2", "provider 3"]
    assert tuple(p.models for p in s.providers) == PAPER_MENUS
    assert dict(s.prices) == pytest.approx(PAPER_PRICES)
    assert s.data is None and s.max_length is None and s.negative_tokens == "clip"
    table = s.table()
    assert table.models == ("gpt-5-high", "deepseek-r1", "gpt-5-medium", "o3-mini", "o1-mini",
                            "claude-4-0")  # fmt: skip
    assert table.n_queries == 2000
    assert s.length_bound() == 38058  # Sec. 6.1


def test_presets_differ_only_in_name_description_mechanism_and_eta():
    a, b = get_scenario("cao2026"), get_scenario("cao2026-paper")
    same = b.replace(name=a.name, description=a.description, mechanism=a.mechanism, eta=a.eta)
    assert same == a


def test_preset_files_load_through_the_toml_path():
    for name in SCENARIOS.names():
        assert scenario_from_toml(PRESETS / f"{name}.toml") == get_scenario(name)
        assert get_scenario(str(PRESETS / f"{name}.toml")) == get_scenario(name)


def test_preset_mechanisms_are_registered():
    mechanisms = pytest.importorskip("mechanisms.delegation")
    for s in SCENARIOS:
        assert s.mechanism in mechanisms.MECHANISMS


def test_unknown_scenario_lists_the_known_ones():
    with pytest.raises(
        UserInputError,
        match=r"scenario: expected one of cao2026, cao2026-paper or a path to a .toml file",
    ):
        get_scenario("cao2025")
    with pytest.raises(UserInputError, match=r"scenario: expected an existing \.toml file"):
        get_scenario("nowhere.toml")


def test_scenarios_pickle_and_prices_are_read_only():
    s = get_scenario("cao2026")
    assert pickle.loads(pickle.dumps(s)) == s
    with pytest.raises(TypeError):
        s.prices["gpt-5-high"] = 1.0


# --- replace ---------------------------------------------------------------------------------


def test_replace_validates():
    s = get_scenario("cao2026")
    small = s.replace(T=10_000, eps=0.25)
    assert (small.T, small.eps, small.eta) == (10_000, 0.25, 0.9)
    assert s.T == 1_000_000  # the preset is untouched
    with pytest.raises(UserInputError, match=r"eps: expected a number strictly between 0 and 1/2"):
        s.replace(eps=0.5)
    with pytest.raises(UserInputError, match=r"scenario field: expected one of name.*'Tee'"):
        s.replace(Tee=5)


@settings(max_examples=50, deadline=None)
@given(
    T=st.integers(-5, 10**9),
    eps=st.floats(-1, 1, allow_nan=False),
    eta=st.floats(-2, 2, allow_nan=False),
)
def test_replace_accepts_exactly_the_valid_numbers(T, eps, eta):
    s = get_scenario("cao2026-paper")
    valid = T >= 1 and 0 < eps < 0.5 and eta > 0
    if valid:
        assert s.replace(T=T, eps=eps, eta=eta).T == T
    else:
        with pytest.raises(UserInputError, match=r"^(T|eps|eta): expected"):
            s.replace(T=T, eps=eps, eta=eta)


@pytest.mark.parametrize(
    ("changes", "pattern"),
    [
        ({"T": 0}, r"^T: expected a positive integer"),
        ({"T": 10.0}, r"^T: expected a positive integer"),
        ({"T": True}, r"^T: expected a positive integer"),
        ({"eps": 0.0}, r"^eps: expected"),
        ({"eps": float("nan")}, r"^eps: expected"),
        ({"eta": 0}, r"^eta: expected a number > 0"),
        ({"reward_bound": 0}, r"^reward_bound: expected a number R > 0"),
        ({"reward_bound": 0.5}, r"^reward_bound: expected R at least the largest reward.*\(1\)"),
        ({"max_length": 0}, r"^max_length: expected a positive integer"),
        ({"negative_tokens": "keep"}, r"^negative_tokens: expected one of clip, drop, error"),
        ({"mechanism": "vcg"}, r"^mechanism: expected one of second-best"),
        ({"name": ""}, r"^name: expected a non-empty name"),
        (
            {"providers": (ProviderSpec("solo", ("gpt-5-high",)),)},
            r"^providers: expected at least 2 providers \(K >= 2\), got 1",
        ),
        (
            {"providers": (ProviderSpec("a", ("gpt-5-high",)), ProviderSpec("a", ("o1-mini",)))},
            r"^providers\[2\].name: expected a name no other provider has",
        ),
        (
            {"providers": (ProviderSpec("a", ("o1", "o1")), ProviderSpec("b", ("o1-mini",)))},
            r"^providers\[1\].models: expected each model once",
        ),
        (
            {"providers": (ProviderSpec("a", ()), ProviderSpec("b", ("o1-mini",)))},
            r"^providers\[1\].models: expected at least one model",
        ),
        (
            {"providers": (ProviderSpec("a", ("gpt-6",)), ProviderSpec("b", ("o1-mini",)))},
            r"^prices: expected a price .* for gpt-6",
        ),
    ],
)
def test_each_invalid_field_is_named(changes, pattern):
    with pytest.raises(UserInputError, match=pattern):
        get_scenario("cao2026").replace(**changes)


def test_smaller_length_bound_is_allowed():
    # spec section 1: a set L caps the lengths; the simulation caps, the preset only validates
    assert get_scenario("cao2026").replace(max_length=20_000).length_bound() == 20_000


def test_prices_must_be_positive_and_only_for_used_models():
    s = get_scenario("cao2026")
    with pytest.raises(UserInputError, match=r"^prices.o1-mini: expected a price > 0"):
        s.replace(prices={**s.prices, "o1-mini": 0.0})
    with pytest.raises(UserInputError, match=r"^prices: expected prices only for models.*'o1'"):
        s.replace(prices={**s.prices, "o1": 60.0})


def test_model_missing_from_the_records_is_named():
    s = get_scenario("cao2026")
    providers = (ProviderSpec("a", ("gpt-6",)), ProviderSpec("b", ("o1-mini",)))
    with pytest.raises(UserInputError, match=r"^providers\[1\].models: expected models in the"):
        s.replace(providers=providers, prices={"gpt-6": 5.0, "o1-mini": 4.4})


def test_scenario_built_in_code_validates():
    s = DelegationScenario(
        name="code",
        description="",
        mechanism="explore-then-commit",
        providers=[ProviderSpec("a", ["o1-mini"]), ProviderSpec("b", "o3-mini")],
        prices={"o1-mini": 4.4, "o3-mini": 4.4},
        T=100,
    )
    validate_scenario(s)
    assert s.models == ("o1-mini", "o3-mini")
    assert s.providers[1].models == ("o3-mini",)


# --- TOML ------------------------------------------------------------------------------------


def test_toml_with_own_records_resolves_the_relative_path():
    s = get_scenario(DATA / "small_scenario.toml")
    assert s.name == "small" and s.mechanism == "second-best"
    assert (s.T, s.eps, s.eta, s.max_length) == (5000, 0.25, 0.9, 32768)
    assert s.data == str((DATA / "small_records.csv").resolve())
    assert dict(s.prices) == {"alpha": 3.0, "beta": 1.5}
    table = s.table()  # negative_tokens = "drop": query 20 had beta's -5
    assert table.models == ("alpha", "beta")
    assert table.query_ids.tolist() == [10, 30]
    np.testing.assert_array_equal(table.length, [[100, 300], [40, 60]])
    assert "dropped 1 query id (20)" in table.notes[0]


def test_toml_defaults_and_list_prices(tmp_path):
    s = get_scenario(toml(tmp_path, BASE))
    assert s.mechanism == "second-best" and s.description == ""
    assert (s.T, s.eps, s.eta, s.reward_bound) == (1_000_000, 0.3, 1.0, 1.0)
    assert dict(s.prices) == {"gpt-5-high": 10.0, "deepseek-r1": 2.19, "o1-mini": 4.40}


def test_toml_price_overrides_and_integral_float_T(tmp_path):
    text = BASE.replace('name = "t"', 'name = "t"\nT = 1e5\n') + '[prices]\n"deepseek-r1" = 0.5\n'
    s = get_scenario(toml(tmp_path, text))
    assert s.T == 100_000
    assert s.prices["deepseek-r1"] == 0.5 and s.prices["gpt-5-high"] == 10.0


@pytest.mark.parametrize(
    ("text", "pattern"),
    [
        ("colour = 1\n" + BASE, r"s.toml: colour: expected one of the keys name, description"),
        (BASE.replace('name = "t"\n', ""), r"s.toml: name: expected a scenario name"),
        ('name = "t"\n', r"s.toml: providers: expected \[\[providers\]\] tables"),
        ("name = \n", r"s.toml: expected valid TOML"),
        ('eps = "x"\n' + BASE, r"s.toml: eps: expected a TOML number, got 'x'"),
        ("T = 10.5\n" + BASE, r"s.toml: T: expected a TOML integer, got 10.5"),
        ("eps = 0.7\n" + BASE, r"s.toml: eps: expected a number strictly between 0 and 1/2"),
        ('mechanism = "vcg"\n' + BASE, r"s.toml: mechanism: expected one of second-best"),
        ('data = "absent.csv"\n' + BASE, r"data: expected an existing file or folder"),
        ('providers = "x"\n name = "t"\n', r"s.toml: providers: expected an array of tables"),
        (BASE + "price = 3\n", r"s.toml: providers\[2\].price: expected one of the keys name"),
        (BASE + "[prices]\no1 = 60.0\n", r"s.toml: prices: expected prices only for models"),
        (BASE + '[prices]\no1-mini = "cheap"\n', r"s.toml: prices.o1-mini: expected a TOML num"),
        (BASE + "[prices]\no1-mini = -1\n", r"s.toml: prices.o1-mini: expected a price > 0"),
        (
            BASE.replace('"o1-mini"', '"gpt-6"'),
            r"s.toml: prices: expected a price .* for gpt-6.*give one under \[prices\]",
        ),
        (
            BASE.replace('models = ["o1-mini"]', "models = 3"),
            r"s.toml: providers\[2\].models: expected a list of model names",
        ),
        (
            BASE.replace('"o1-mini"', '"gpt-6"') + "[prices]\ngpt-6 = 5.0\n",
            r"s.toml: providers\[2\].models: expected models in the records",
        ),
    ],
)
def test_toml_mistakes_name_the_file_and_key(tmp_path, text, pattern):
    with pytest.raises(UserInputError, match=pattern):
        get_scenario(toml(tmp_path, text))


def test_negative_token_policy_applies_to_the_scenarios_models():
    # gpt-5-high (provider 1) has the -26 at query 1831; gpt-5-low (-14 at 444) is on no menu
    s = get_scenario("cao2026")
    assert s.replace(negative_tokens="drop").table().n_queries == 1999
    clipped = s.table()
    assert clipped.length[clipped.model_index("gpt-5-high"), 1831] == 0
    assert "gpt-5-low" not in clipped.notes[0]
    with pytest.raises(UserInputError, match=r"gpt-5-high query 1831 \(-26\)"):
        s.replace(negative_tokens="error")
