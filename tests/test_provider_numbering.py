"""Providers are numbered from 1 in every record a researcher reads, in every game.

The check is generic: it walks each record's ``to_dict()`` (or its dataclass fields) and
every whole number under a key that names a provider (``provider``, ``chosen``,
``chosen_provider``, ``winner``, ...) must be a provider number, 1 to K. A record that numbered
from 0 would show provider 1 as 0 (delegation's i* is provider 1 in these runs), and fail.
"""

from __future__ import annotations

import dataclasses
import numbers
import re

import pytest

from market.delegation.model import DelegationMarket
from market.games import GAMES
from market.rosa import runs as rosa_runs
from market.rosa.scenarios import get_setting

#: Small settings per game name for ``run()`` (a game not listed runs with its defaults).
SMALL = {
    "delegation": {"T": 5000, "batch": 500, "strategies": "honest,ours,dishonest-all"},
    "rosa": {"T": 200, "batch": 20, "providers": 3},
}
#: Keys whose whole-number values identify a provider (``providers`` is a count, K).
PROVIDER_KEY = re.compile(r"provider|chosen|winner|runner_up|dominant|mover|leader|\w+_provider")


def provider_numbers(record) -> list[tuple[str, int]]:
    """Every (key, whole number) under a provider-naming key, anywhere in ``record``."""
    found = []

    def walk(value, key: str) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                walk(v, str(k))
        elif isinstance(value, list | tuple):
            for v in value:
                walk(v, key)
        elif isinstance(value, numbers.Integral) and not isinstance(value, bool):
            if PROVIDER_KEY.fullmatch(key):
                found.append((key, int(value)))

    walk(record, "")
    return found


def as_dict(record) -> dict:
    """A record's ``to_dict()``, or its fields for a plain dataclass."""
    if hasattr(record, "to_dict"):
        return record.to_dict()
    return dataclasses.asdict(record)


def test_the_walk_finds_provider_numbers_wherever_they_sit():
    record = {"chosen": 2, "winner": "P1", "x": [{"provider": 3, "provider_utility": 7}]}
    assert provider_numbers(record) == [("chosen", 2), ("provider", 3)]


@pytest.mark.parametrize("game", GAMES, ids=lambda game: game.name)
def test_every_games_run_result_numbers_providers_from_1(game):
    result = game.runs.run(seed=3, **SMALL.get(game.name, {}))
    K = len(result.providers)
    for key, number in provider_numbers(as_dict(result)):
        assert 1 <= number <= K, (game.name, key, number)


def test_delegation_records_number_providers_from_1():
    model = DelegationMarket(strategies=SMALL["delegation"]["strategies"], T=5000, batch=500)
    result = model.run()
    served = [as_dict(record) for record in model.platform.served_so_far()]
    found = provider_numbers([as_dict(result), *served])
    assert ("chosen", 1) in found  # i* is provider 1, the best model: 0 if numbered from 0
    assert {n for key, n in found if key == "provider"} == {1, 2, 3}  # all explored


def test_rosa_truthfulness_numbers_its_provider_from_1():
    setting = get_setting(T=200, providers=3)
    curve = rosa_runs.truthfulness_curve(setting, 5, 3, [0.0, 0.25], runs=2)
    assert provider_numbers(as_dict(curve)) == [("provider", 3)]
