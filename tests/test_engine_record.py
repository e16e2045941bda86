"""The engine record (market.core.engine) and the registry names in the CLI's help.

One frozen :class:`~market.core.engine.Engine` says how and where an experiment's runs are
computed; its fields are checked once, each mistake naming its field. ``jobs=`` and ``store=``
are shorthands that build it. The help of ``--strategies``, ``--mechanism`` and ``--learner``
lists the registries' names when it is printed, so a strategy added from outside shows there.
"""

from __future__ import annotations

import argparse
import itertools
import json
from pathlib import Path

import pandas as pd
import pytest
from registry_strategies import Patient

from agents.delegation.strategies import STRATEGIES
from market.core.cli import engine_from_args, engine_options
from market.core.engine import Engine, engine_with
from market.core.errors import UserInputError
from market.delegation.pricing import sweep_price
from market.games import main
from mechanisms.delegation import MECHANISMS

# ---- the record ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fields, field",
    [
        ({"jobs": 0}, "jobs"),
        ({"jobs": "two"}, "jobs"),
        ({"executor": "threads"}, "executor"),
        ({"scheduler": "tcp://127.0.0.1:8786"}, "scheduler"),  # without executor="dask"
        ({"store": ""}, "store"),
        ({"progress": "yes"}, "progress"),
        ({"resume_hint": 3}, "resume_hint"),
    ],
)
def test_each_bad_field_is_refused_naming_it(fields, field):
    with pytest.raises(UserInputError) as refused:
        Engine(**fields)
    assert refused.value.field == field


def test_a_store_that_is_a_folder_is_refused_as_store(tmp_path):
    with pytest.raises(UserInputError, match=r"store: .*directory"):
        Engine(store=tmp_path)


def test_the_record_is_frozen_and_reads_its_fields(tmp_path):
    engine = Engine(store=str(tmp_path / "s.db"), jobs="1e1")
    assert engine.store == tmp_path / "s.db" and isinstance(engine.store, Path)
    assert engine.jobs == 10
    with pytest.raises(AttributeError):
        engine.jobs = 2


def test_shorthands_build_the_record_and_never_sit_beside_it(tmp_path):
    assert engine_with(None) == Engine()
    assert engine_with(jobs=3, store=tmp_path / "s.db") == Engine(store=tmp_path / "s.db", jobs=3)
    given = Engine(jobs=2)
    assert engine_with(given) is given
    with pytest.raises(UserInputError, match=r"jobs: .*either jobs= or engine="):
        engine_with(given, jobs=4)
    with pytest.raises(UserInputError, match="engine: "):
        engine_with({"jobs": 2})


def cli_args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    engine_options(parser)
    return parser.parse_args(argv)


def test_the_cli_reads_the_record_from_its_flags(tmp_path):
    store = tmp_path / "s.db"
    args = cli_args("--store", str(store), "--jobs", "1")
    args.command_line = "llm-market delegation sweep --store s.db"
    engine = engine_from_args(args, progress=True)
    assert engine == Engine(store, "local", 1, None, True, args.command_line)


@pytest.mark.parametrize(
    "argv, flag",
    [
        (["--jobs", "0"], "--jobs"),
        (["--jobs=abc"], "--jobs"),
        (["--executor", "threads"], "--executor"),
        (["--scheduler", "tcp://127.0.0.1:1"], "--scheduler"),
    ],
)
def test_a_bad_engine_flag_is_one_line_naming_the_flag_as_typed(tmp_path, capsys, argv, flag):
    out = tmp_path / "out"
    command = ["ttc", "sweep-beta", "--scenario", "intro-example", "--betas", "1:10:2"]
    code = main([*command, "--out", str(out), *argv])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1
    assert err.startswith(f"llm-market: error: {flag}: ")


def test_a_sweep_given_the_record_equals_the_sweep_given_shorthands(tmp_path):
    from market.delegation.runs import sweep

    args = {"T": 5000, "seeds": 1, "seed": 3, "strategies": ["ours", "honest"]}
    by_record = sweep("cao2026", **args, engine=Engine(store=tmp_path / "a.db", jobs=2))
    by_shorthand = sweep("cao2026", **args, jobs=2, store=tmp_path / "b.db")
    assert by_record.profiles.equals(by_shorthand.profiles)
    assert by_record.settings["jobs"] == 2
    with pytest.raises(UserInputError, match="store: "):
        sweep("cao2026", **args, engine=Engine(), store=tmp_path / "c.db")


def test_the_front_door_offers_the_record():
    import market

    assert market.Engine is Engine and "Engine" in market.__all__


# ---- registry names in the help -----------------------------------------------------------


def help_text(capsys, *argv: str) -> str:
    with pytest.raises(SystemExit) as done:
        main([*argv, "--help"])
    assert done.value.code == 0
    return " ".join(capsys.readouterr().out.split()).replace("- ", "-")  # lines rejoined


@pytest.mark.parametrize("command", ["run", "sweep", "metagame"])
def test_a_strategy_registered_from_outside_shows_in_the_help(capsys, command):
    outsider = type("Outsider", (Patient,), {"name": "outsider-help", "__module__": "__main__"})
    with STRATEGIES.scoped():
        STRATEGIES.register(outsider)
        shown = help_text(capsys, "delegation", command)
    assert "outsider-help" in shown
    assert all(name in shown for name in STRATEGIES.names())
    assert "outsider-help" not in help_text(capsys, "delegation", command)


def test_a_mechanism_registered_from_outside_shows_in_the_help(capsys):
    base = MECHANISMS.get("second-best")
    outsider = type("Outsider", (base,), {"name": "outsider-mechanism"})
    with MECHANISMS.scoped():
        MECHANISMS.register(outsider)
        assert "outsider-mechanism" in help_text(capsys, "delegation", "horizon")


def test_rosa_help_lists_its_learners_and_mechanisms(capsys):
    from mechanisms.rosa.learners import LEARNERS
    from mechanisms.rosa.resampling import MECHANISMS as ROSA_MECHANISMS

    shown = help_text(capsys, "rosa", "monotonicity")
    for name in [*LEARNERS.names(), *ROSA_MECHANISMS.names()]:
        assert name in shown


# ---- --strategies for sweep and metagame ---------------------------------------------------


def test_sweep_plays_only_the_strategies_named(tmp_path, capsys):
    out = tmp_path / "out"
    argv = ["delegation", "sweep", "--scenario", "cao2026", "--T", "5000", "--jobs", "1"]
    code = main([*argv, "--strategies", "ours, honest", "--out", str(out), "--json"])
    assert code == 0
    settings = json.loads(capsys.readouterr().out)["settings"]
    assert settings["strategies"] == ["ours", "honest"]
    assert settings["profiles"] == 2 ** len(settings["providers"])


@pytest.mark.parametrize(
    "command, strategies, expected",
    [
        (["sweep"], "ours,nope", "one of"),
        (["sweep"], "ours,ours", "each strategy named once"),
        (["metagame", "--no-store"], "nope", "one of"),
    ],
)
def test_a_bad_strategy_set_is_one_line_before_anything_is_written(
    tmp_path, capsys, command, strategies, expected
):
    out = tmp_path / "out"
    argv = ["delegation", *command, "--scenario", "cao2026", "--T", "5000"]
    code = main([*argv, "--strategies", strategies, "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1
    assert err.startswith("llm-market: error: --strategies: ") and expected in err
    assert not out.exists()


def test_metagame_builds_its_table_from_the_strategies_named(tmp_path, capsys):
    out = tmp_path / "out"
    argv = ["delegation", "metagame", "--scenario", "cao2026", "--T", "5000", "--seeds", "1"]
    code = main(
        [
            *argv,
            "--strategies",
            "ours,honest",
            "--no-store",
            "--no-theorem-check",
            "--out",
            str(out),
        ]
    )
    capsys.readouterr()
    assert code == 0
    payoffs = pd.read_csv(out / "payoffs.csv")
    played = {tuple(profile.split("|")) for profile in payoffs["profile"]}
    assert played == set(itertools.product(["ours", "honest"], repeat=3))  # K = 3 providers


def test_a_smaller_strategy_set_is_priced_as_less_work():
    sizes = {"scenario": "cao2026", "T": None, "seeds": "1", "jobs": "1"}
    six = sweep_price(argparse.Namespace(**sizes, strategies=None))
    two = sweep_price(argparse.Namespace(**sizes, strategies="ours,honest"))
    assert two.estimates[1] < six.estimates[1]
