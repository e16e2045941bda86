"""DataCollector columns and provider numbering: one convention in every game.

Every model's DataCollector holds one number or one string per cell, names a per-provider
quantity ``<quantity>[Provider <k>]`` with providers numbered from 1, and names the same quantity
the same way in every game; delegation's phase is the mechanism's phase name. Provider k is the
same provider in Python, in the CLI and in ``to_dict()``.
"""

from __future__ import annotations

import json
import numbers
import re

import pytest

from market.core.errors import UserInputError
from market.core.providers import provider_column, provider_index
from market.delegation.model import DelegationMarket
from market.games import GAMES, main
from market.rosa import runs as rosa_runs
from market.rosa.model import RosaMarket
from market.rosa.scenarios import get_setting

#: Small settings per game name (a game not listed is built with its defaults).
SMALL = {
    "delegation": {"T": 5000, "batch": 500},
    "rosa": {"T": 200, "batch": 20},
}
STEPS = 6
MARKET_COLUMN = re.compile(r"[a-z][a-z0-9_]*")
PROVIDER_COLUMN = re.compile(r"([a-z][a-z0-9_]*)\[Provider ([1-9][0-9]*)\]")
#: Columns every game records, by the same name.
SHARED = ("step", provider_column("utility", 1))


def stepped(game):
    model = game.model(**SMALL.get(game.name, {}), rng=3)
    for _ in range(STEPS):
        model.step()
    return model


@pytest.fixture(scope="module", params=GAMES, ids=lambda game: game.name)
def frame_of(request):
    model = stepped(request.param)
    return model, model.datacollector.get_model_vars_dataframe()


def test_every_cell_is_one_number_or_one_string(frame_of):
    _, frame = frame_of
    assert len(frame) >= 2
    for column in frame.columns:
        for cell in frame[column]:
            assert isinstance(cell, numbers.Number | str), (column, cell)


def test_columns_follow_the_naming_convention(frame_of):
    model, frame = frame_of
    numbered = set()
    for column in frame.columns:
        per_provider = PROVIDER_COLUMN.fullmatch(column)
        assert per_provider or MARKET_COLUMN.fullmatch(column), column
        if per_provider:
            numbered.add(int(per_provider.group(2)))
    assert numbered == set(range(1, len(model.providers) + 1))
    assert set(SHARED) <= set(frame.columns)
    steps = frame["step"].tolist()
    assert steps[0] == 0 and steps == sorted(set(steps)) and steps[-1] <= model.steps


def test_delegation_phase_column_holds_the_mechanism_phase_names():
    model = DelegationMarket(T=5000, batch=500, rng=3)
    model.run()
    frame = model.datacollector.get_model_vars_dataframe()
    phases = model.platform.mechanism.phases
    assert set(frame["phase"]) <= {*phases, "done"}
    assert list(dict.fromkeys(frame["phase"])) == [*phases, "done"]  # in the mechanism's order
    assert frame["phase"].iloc[-1] == "done" and frame["queries"].iloc[-1] == model.platform.used
    result = model.result()
    for k, provider in enumerate(result.providers, start=1):
        assert frame[provider_column("queries", k)].iloc[-1] == provider.delegations
        assert frame[provider_column("utility", k)].iloc[-1] == provider.provider_utility


def test_provider_numbers_become_indices_and_refuse_zero():
    assert provider_index(1, 3) == 0 and provider_index(3, 3) == 2
    for wrong in (0, 4, -1, 1.0, True):
        with pytest.raises(UserInputError, match="providers are numbered from 1"):
            provider_index(wrong, 3, field="provider")


def run_cli(argv, capsys) -> dict:
    code = main(argv)
    out = capsys.readouterr().out
    assert code == 0
    return json.loads(out)


def test_rosa_provider_k_is_the_same_provider_in_python_cli_and_json(capsys):
    setting = get_setting(T=200, providers=3)
    k, seed = 2, 5
    curve = rosa_runs.truthfulness_curve(setting, seed, k, [0.0, 0.25], runs=2)
    market = RosaMarket(providers=3, T=200, rng=seed).run()
    assert curve.provider == k and curve.to_dict()["provider"] == k
    assert market.providers[k - 1].name == f"P{k}"
    assert curve.true_cost == market.providers[k - 1].cost
    assert curve.true_cost != market.providers[k].cost  # not the neighbour (0-based) either
    argv = ["rosa", "truthfulness", "--T", "200", "--providers", "3", "--runs", "2"]
    argv += ["--bids", "0:0.25:2", "--provider", str(k), "--seed", str(seed), "--json"]
    payload = run_cli(argv, capsys)
    assert payload["provider"] == k and payload["true_cost"] == curve.true_cost
    with pytest.raises(UserInputError, match="providers are numbered from 1"):
        rosa_runs.truthfulness_curve(setting, seed, 0, [0.0], runs=1)
    with pytest.raises(UserInputError, match="provider"):
        rosa_runs.bid_outcomes(setting, seed, 4, [0.0], runs=1)


def test_delegation_chosen_provider_is_the_same_in_python_cli_and_json(capsys):
    strategies = "honest,ours,dishonest-all"
    model = DelegationMarket(strategies=strategies, T=5000, batch=500, rng=3)
    result = model.run()
    assert result.chosen is not None and 1 <= result.chosen <= len(result.providers)
    exploited = {s.provider for s in model.platform.served if s.phase == "exploitation"}
    assert exploited == {result.chosen}  # the served records number providers from 1 too
    assert result.to_dict()["chosen"] == result.json_record()["chosen_provider"] == result.chosen
    argv = ["delegation", "run", "--scenario", "cao2026", "--T", "5000", "--seed", "3"]
    payload = run_cli([*argv, "--strategies", strategies, "--json"], capsys)
    assert payload["chosen_provider"] == result.chosen
