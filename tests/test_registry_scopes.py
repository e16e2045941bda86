"""Registries that can be scoped or replaced, default sweeps that stay the paper's, and
user-registered strategies in worker processes (issue 16)."""

from __future__ import annotations

import itertools
import multiprocessing
from pathlib import Path

import pandas as pd
import pytest
from registry_strategies import Patient, strategy_names_in_worker

import market.core.executors as executors
import market.core.parallel as parallel
from agents.delegation.strategies import STRATEGIES, paper_strategy_names
from app.games.metagame import strategy_names as metagame_strategy_names
from market.core.engine import Engine
from market.core.errors import UserInputError
from market.core.grids import read_grid
from market.core.registry import (
    REGISTRIES,
    Registry,
    registrations_for_workers,
    restore_registrations,
)
from market.delegation.experiments import grid_experiment
from market.delegation.model import DelegationMarket
from market.delegation.runs import sweep
from market.delegation.tables import strategy_profiles
from market.games import GAMES

# Cao et al. (2026), Table 1: the provider strategies of the simulations (Figures 2-3).
PAPER_TABLE_1 = (
    "ours",
    "honest",
    "dishonest-model",
    "dishonest-length",
    "dishonest-all",
    "ours-honest-length",
)
SMALL_T = 5000
README = Path(__file__).resolve().parents[1] / "README.md"
EXAMPLE_GRID = README.parent / "examples" / "grids" / "delegation-mechanisms.toml"


def named(name: str, module: str | None = None) -> type:
    """A fresh class called ``name`` (the same module and qualname at every call)."""

    class Entry:
        pass

    Entry.name = name
    if module is not None:
        Entry.__module__ = module
    return Entry


# ---- register, replace, unregister, scoped -----------------------------------------------


def test_register_works_bare_and_with_replace_as_a_decorator():
    kinds = Registry("kind")

    @kinds.register
    class First:
        name = "a"

    @kinds.register(replace=True)
    class Second:
        name = "a"

    assert kinds.get("a") is Second and kinds.names() == ["a"]


def test_a_definition_run_again_replaces_itself_silently():
    kinds = Registry("kind")
    before, again = named("cell"), named("cell")  # a notebook cell run twice
    assert before is not again
    kinds.register(before)
    kinds.register(again)
    assert kinds.get("cell") is again and len(kinds) == 1


def test_another_entry_under_a_taken_name_is_refused_saying_how_to_replace():
    kinds = Registry("strategy")
    kinds.register(Patient)
    with pytest.raises(UserInputError, match=r"strategy 'patient'.*replace=True") as caught:
        kinds.register(named("patient"))
    assert isinstance(caught.value, ValueError)
    assert "registry_strategies.Patient" in str(caught.value)
    assert kinds.get("patient") is Patient


def test_replace_keeps_the_entry_s_place():
    kinds = Registry("kind")
    for name in ("a", "b", "c"):
        kinds.register(named(name, module=f"m{name}"))
    replacement = named("b", module="elsewhere")
    kinds.register(replacement, replace=True)
    assert kinds.names() == ["a", "b", "c"] and kinds.get("b") is replacement


def test_unregister_removes_and_an_unknown_name_lists_the_known_ones():
    kinds = Registry("kind")
    entry = kinds.register(named("a"))
    assert kinds.unregister("a") is entry and "a" not in kinds
    kinds.register(named("b"))
    with pytest.raises(UserInputError, match="one of b"):
        kinds.unregister("a")


def test_scoped_undoes_registrations_replacements_and_removals_even_on_error():
    kinds = Registry("kind")
    original = [kinds.register(named(n, module=f"m{n}")) for n in ("a", "b", "c")]
    with pytest.raises(RuntimeError), kinds.scoped() as inside:
        assert inside is kinds
        kinds.register(named("d"))
        kinds.register(named("a", module="other"), replace=True)
        kinds.unregister("b")
        assert kinds.names() == ["a", "c", "d"]
        raise RuntimeError
    assert list(kinds) == original and kinds.names() == ["a", "b", "c"]


GAME_REGISTRIES = [
    registry for game in GAMES for registry in (game.scenarios, game.strategies, game.mechanisms)
]


@pytest.mark.parametrize("registry", GAME_REGISTRIES, ids=repr)
def test_every_game_s_registries_scope_and_replace(registry):
    assert registry in REGISTRIES
    first = registry.names()[0]
    with registry.scoped():
        stand_in = named(first, module="somewhere.else")
        registry.register(stand_in, replace=True)
        registry.register(named("extra", module="somewhere.else"))
        assert registry.get(first) is stand_in and "extra" in registry
    assert registry.get(first) is not stand_in and "extra" not in registry


# ---- default sweeps stay the paper's -----------------------------------------------------


def test_a_registered_strategy_leaves_the_default_profiles_the_paper_s():
    with STRATEGIES.scoped():
        STRATEGIES.register(Patient)
        assert tuple(paper_strategy_names()) == PAPER_TABLE_1
        assert strategy_profiles(3) == list(itertools.product(PAPER_TABLE_1, repeat=3))
        assert tuple(metagame_strategy_names()) == PAPER_TABLE_1
        named_too = strategy_profiles(3, [*PAPER_TABLE_1, "patient"])
        assert len(named_too) == 7**3 and ("patient",) * 3 in named_too


def test_the_default_sweep_plays_the_paper_s_strategies_and_a_named_one_joins():
    with STRATEGIES.scoped():
        STRATEGIES.register(Patient)
        default = sweep("cao2026", T=SMALL_T, seeds=1, seed=7)
        assert default.settings["strategies"] == list(PAPER_TABLE_1)
        assert default.settings["profiles"] == 6**3
        chosen = sweep("cao2026", T=SMALL_T, seeds=1, seed=7, strategies=["ours", "patient"])
    assert chosen.settings["profiles"] == 2**3
    assert set(chosen.strategy_means["strategy"]) == {"ours", "patient"}


def test_a_grid_without_strategies_plays_the_paper_s():
    with STRATEGIES.scoped():
        STRATEGIES.register(Patient)
        runs = grid_experiment(read_grid(EXAMPLE_GRID)).runs  # names no strategies
    profiles = {tuple(run.config["strategies"]) for run in runs}
    assert profiles == set(itertools.product(PAPER_TABLE_1, repeat=3))


# ---- worker processes --------------------------------------------------------------------


def fail_to_start(*args, **kwargs):
    raise AssertionError("a worker process was started")


@pytest.fixture
def not_forked(monkeypatch):
    """Workers started afresh, as in a Jupyter kernel (which runs threads)."""
    monkeypatch.setattr(parallel, "fork_context", lambda: None)


def test_nothing_travels_to_workers_without_outside_registrations():
    assert registrations_for_workers() == ()


def test_carried_registrations_put_back_the_parent_s_names_in_order():
    with STRATEGIES.scoped():
        STRATEGIES.register(Patient)
        parent = STRATEGIES.names()
        carried = registrations_for_workers()
    with STRATEGIES.scoped():
        restore_registrations(carried)
        assert STRATEGIES.names() == parent and STRATEGIES.get("patient") is Patient
    assert "patient" not in STRATEGIES


def test_forked_workers_need_nothing_carried():
    with STRATEGIES.scoped():
        STRATEGIES.register(named("notebook", module="__main__"))
        assert parallel.registrations_to_carry(multiprocessing.get_context("fork")) == ()


@pytest.mark.parametrize("module", ["__main__", None])  # a notebook cell; a function's class
def test_an_unimportable_class_is_refused_before_any_worker_starts(not_forked, monkeypatch, module):
    monkeypatch.setattr(executors, "ProcessPoolExecutor", fail_to_start)
    monkeypatch.setattr(parallel, "ProcessPoolExecutor", fail_to_start)
    notebook = type("Notebook", (Patient,), {"name": "notebook"})
    notebook.__module__ = module or __name__
    notebook.__qualname__ = "Notebook" if module else "test.<locals>.Notebook"
    expected = r"^jobs: expected Notebook defined in a \.py module .*or jobs=1 \(strategy 'notebook"
    with STRATEGIES.scoped():
        STRATEGIES.register(notebook)
        with pytest.raises(UserInputError, match=expected) as caught:
            sweep("cao2026", T=SMALL_T, jobs=2, strategies=["ours", "notebook"])
        assert len(str(caught.value).splitlines()) == 1
        with pytest.raises(UserInputError, match=expected):
            parallel.map_chunks(strategy_names_in_worker, [1, 2], jobs=2)


@pytest.mark.slow
def test_workers_started_afresh_see_a_strategy_from_an_imported_module(not_forked):
    with STRATEGIES.scoped():
        STRATEGIES.register(Patient)
        names = parallel.map_chunks(strategy_names_in_worker, [1, 2], jobs=2)
        assert names == [STRATEGIES.names()] * 2
        args = dict(T=SMALL_T, seeds=1, seed=3, strategies=["ours", "patient"])
        two = sweep("cao2026", jobs=2, **args)
        one = sweep("cao2026", jobs=1, **args)
    pd.testing.assert_frame_equal(one.profiles, two.profiles)


@pytest.mark.slow
def test_dask_workers_receive_even_a_notebook_class():
    pytest.importorskip("distributed")
    notebook = type("Notebook", (Patient,), {"name": "notebook", "__module__": "__main__"})
    args = dict(T=SMALL_T, seeds=1, seed=3, strategies=["ours", "notebook"])
    with STRATEGIES.scoped():
        STRATEGIES.register(notebook)
        on_dask = sweep("cao2026", engine=Engine(executor="dask", jobs=2), **args)
        here = sweep("cao2026", jobs=1, **args)
    pd.testing.assert_frame_equal(on_dask.profiles, here.profiles)


# ---- the README's section ----------------------------------------------------------------


def readme_block(heading: str) -> str:
    """The first Python block under ``heading`` in the README."""
    section = README.read_text().split(f"\n{heading}\n", 1)[1]
    return section.split("```python\n", 1)[1].split("```", 1)[0]


def test_the_readme_s_custom_strategy_runs_as_written(capsys):
    before = STRATEGIES.names()
    namespace = {"__name__": "__main__"}
    exec(compile(readme_block("### Custom strategies"), str(README), "exec"), namespace)
    assert STRATEGIES.names() == before  # the README's scope undid its registration
    assert namespace["table"].settings["profiles"] == 2**3
    assert "patient" in capsys.readouterr().out
    with STRATEGIES.scoped():  # the README's Patient is this module's Patient
        STRATEGIES.register(Patient)
        ours = DelegationMarket("cao2026", strategies="patient,ours,honest", T=20_000, rng=42)
        ours.run_model()
    assert ours.result().providers == namespace["model"].result().providers


def test_the_default_tournament_plays_the_paper_s_strategies():
    import market

    with STRATEGIES.scoped():
        STRATEGIES.register(Patient)
        played = market.Tournament(T=SMALL_T, seed=7).play()
    assert played.settings["strategies"] == list(PAPER_TABLE_1)
    assert sorted(played.ranked_names) == sorted(PAPER_TABLE_1)
