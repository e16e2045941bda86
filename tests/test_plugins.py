"""Plugins through entry points (issue 17): found lazily, ordinary entries once loaded.

The example plugin of ``examples/plugins/llm-market-extras`` is not installed here: a fake
installed distribution (a ``*.dist-info`` folder with an ``entry_points.txt``) is put on
``sys.path`` beside the example's source, so the suite never depends on what is installed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings
from importlib.metadata import EntryPoints, PackageNotFoundError, distribution, distributions
from pathlib import Path
from typing import ClassVar

import pandas as pd
import pytest

import market
import market.core.parallel as parallel
from agents.delegation.strategies import STRATEGIES, DelegationStrategy, HonestStrategy
from app.games import delegation as delegation_page
from market.core import plugins
from market.core.registry import Registry, registrations_for_workers
from market.delegation.model import DelegationMarket
from market.delegation.payoffs import payoff_table
from market.delegation.runs import sweep
from market.games import BUILTIN_GAMES, main
from mechanisms.delegation import MECHANISMS, DelegationMechanism

ROOT = Path(__file__).resolve().parents[1]
EXTRAS = ROOT / "examples" / "plugins" / "llm-market-extras"
STRATEGY = "honest-then-second-best"
MECHANISM = "explore-then-commit-t23"
EXTRAS_ENTRY_POINTS = {
    "llm_market.delegation.strategies": [
        f"{STRATEGY} = llm_market_extras.strategies:HonestThenSecondBest"
    ],
    "llm_market.delegation.mechanisms": [
        f"{MECHANISM} = llm_market_extras.mechanisms:ExploreThenCommitT23"
    ],
}
SMALL_T = 20_000


class Impostor(DelegationStrategy):
    """A plugin strategy that takes a built-in's name (refused)."""

    name = "ours"
    behaviours: ClassVar[dict] = HonestStrategy.behaviours


def fake_distribution(folder: Path, name: str, groups: dict[str, list[str]]) -> Path:
    """An installed distribution's metadata declaring ``groups`` of entry points."""
    info = folder / f"{name.replace('-', '_')}-0.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1\n")
    text = "".join(
        f"[{group}]\n" + "".join(f"{line}\n" for line in lines) + "\n"
        for group, lines in groups.items()
    )
    (info / "entry_points.txt").write_text(text)
    return folder


def extras_source(folder: Path) -> Path:
    """A folder holding only the example's package (a link to it), to put on ``sys.path``.

    Never the example's own folder: once installed in development mode it also holds the
    package's ``*.egg-info``, which would declare its entry points to every test.
    """
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "llm_market_extras").symlink_to(EXTRAS / "llm_market_extras")
    return folder


@pytest.fixture
def install(tmp_path, monkeypatch):
    """Install fake distributions (each a dict of groups) for one test; the example's source
    is importable; the entry-point cache is cleared before and after."""
    monkeypatch.syspath_prepend(str(extras_source(tmp_path / "source")))
    monkeypatch.delenv(plugins.DISABLE_VARIABLE, raising=False)
    sites: list[str] = []

    def fake_entry_points():
        """The entry points of the fake packages only (never a real installed plugin's)."""
        return EntryPoints(ep for dist in distributions(path=sites) for ep in dist.entry_points)

    fake_entry_points.cache_clear = lambda: None
    monkeypatch.setattr(plugins, "installed_entry_points", fake_entry_points)

    def installing(name: str, groups: dict[str, list[str]]) -> Path:
        site = fake_distribution(tmp_path / name, name, groups)
        monkeypatch.syspath_prepend(str(site))
        sites.append(str(site))
        return site

    yield installing
    plugins.installed_entry_points.cache_clear()


@pytest.fixture
def extras(install):
    """The example plugin 'installed', its entries loaded into the real registries for one
    test (read before installing: a scope reads a registry not read yet on entering, and
    what it reads then outlives the scope)."""
    assert STRATEGIES.names() and MECHANISMS.names()
    install("llm-market-extras-fake", EXTRAS_ENTRY_POINTS)
    with STRATEGIES.scoped(), MECHANISMS.scoped():
        STRATEGIES.load_plugins()
        MECHANISMS.load_plugins()
        assert STRATEGIES.names()[-1] == STRATEGY and MECHANISMS.names()[-1] == MECHANISM
        yield


def fresh_registry(group: str) -> Registry:
    """A registry of delegation strategies reading ``group`` (the built-ins registered)."""
    registry = Registry("strategy", group=group)
    for _, entry in STRATEGIES.own_entries():
        registry.register(entry)
    return registry


# ---- groups ------------------------------------------------------------------------------


@pytest.mark.parametrize("game", BUILTIN_GAMES, ids=lambda g: g.name)
def test_each_game_s_registries_read_the_group_named_after_the_game(game):
    assert game.strategies.group.startswith(f"llm_market.{game.name}.")
    assert game.mechanisms.group == f"llm_market.{game.name}.mechanisms"


def test_the_groups_of_the_module_docstring_are_the_registries_groups():
    from agents.ttc.strategies import BIDDING_STRATEGIES
    from mechanisms.rosa.learners import LEARNERS

    registries = [BIDDING_STRATEGIES, LEARNERS, *(g.strategies for g in BUILTIN_GAMES)]
    registries += [g.mechanisms for g in BUILTIN_GAMES]
    for registry in registries:
        assert f"``{registry.group}``" in plugins.__doc__


def test_a_registry_made_outside_the_games_packages_reads_no_group():
    assert Registry("strategy").group is None
    assert Registry("strategy", group="my.group").group == "my.group"


# ---- lazily ------------------------------------------------------------------------------


def plugin_environment(site: Path, **env: str) -> dict[str, str]:
    """A command's environment finding the fake packages of ``site``, with plugins loading.

    The suite turns plugin loading off (``tests/conftest.py``); these commands turn it on,
    unless ``env`` says otherwise.
    """
    path = os.pathsep.join([str(site), str(extras_source(site / "source")), str(ROOT)])
    environment = {**os.environ, "PYTHONPATH": path}
    environment.pop(plugins.DISABLE_VARIABLE, None)
    return {**environment, **env}


def example_installed() -> bool:
    """Whether the example plugin is really installed here (CI installs it after the suite)."""
    try:
        distribution("llm-market-extras")
    except PackageNotFoundError:
        return False
    return True


#: Commands started by these tests read every installed package: with the real example plugin
#: installed, its entries would come twice (and clash) beside the fake ones.
needs_no_installed_example = pytest.mark.skipif(
    example_installed(),
    reason="the example plugin is installed in this environment; these commands fake it",
)


def run_python(code: str, site: Path, **env: str) -> str:
    environment = plugin_environment(site, **env)
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=environment, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@needs_no_installed_example
def test_help_and_imports_load_no_plugin_and_the_first_lookup_does(tmp_path):
    site = fake_distribution(tmp_path, "llm-market-extras-fake", EXTRAS_ENTRY_POINTS)
    code = (
        "import contextlib, io, sys\n"
        "from market.games import main\n"
        "with contextlib.suppress(SystemExit), contextlib.redirect_stdout(io.StringIO()):\n"
        "    main(['--help'])\n"
        "import agents.delegation.strategies as s, mechanisms.delegation, app.games.delegation\n"
        "print('llm_market_extras' in sys.modules, end=' ')\n"
        f"print({STRATEGY!r} in s.STRATEGIES, 'llm_market_extras.strategies' in sys.modules)\n"
    )
    assert run_python(code, site) == "False True True"


@needs_no_installed_example
def test_the_variable_of_pytest_s_convention_loads_no_plugin(tmp_path):
    site = fake_distribution(tmp_path, "llm-market-extras-fake", EXTRAS_ENTRY_POINTS)
    code = f"import agents.delegation.strategies as s; print({STRATEGY!r} in s.STRATEGIES)"
    assert run_python(code, site, **{plugins.DISABLE_VARIABLE: "1"}) == "False"


# ---- a broken plugin is one warning, never a failed start ---------------------------------


BROKEN = {
    "missing-module": "no_such_llm_market_plugin:Thing",  # ImportError
    "truthful": "agents.rosa.strategies:Truthful",  # a ROSA strategy: wrong kind of class
    "a-function": "os.path:join",  # not a class
    "ours": "test_plugins:Impostor",  # a built-in's name
    "misnamed": "llm_market_extras.strategies:HonestThenSecondBest",  # name differs
}


def test_each_broken_plugin_is_one_warning_naming_it_and_the_rest_load(install):
    group = "llm_market.test.strategies"
    lines = [f"{name} = {value}" for name, value in BROKEN.items()]
    install("broken-plugin", {group: [*lines, EXTRAS_ENTRY_POINTS[STRATEGIES.group][0]]})
    registry = fresh_registry(group)
    shipped = [name for name, _ in STRATEGIES.own_entries()]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        names = registry.names()
    assert names == [*shipped, STRATEGY]
    assert registry.get("ours") is STRATEGIES.get("ours")
    messages = [str(w.message) for w in caught if issubclass(w.category, plugins.PluginWarning)]
    assert len(messages) == len(BROKEN) == len(caught)
    for (name, value), message in zip(sorted(BROKEN.items()), messages, strict=True):
        assert f"'{name} = {value}' (group {group}, distribution broken-plugin)" in message
        assert "\n" not in message
    reasons = " ".join(messages)
    assert "ModuleNotFoundError" in reasons and "subclass of" in reasons
    assert "expected a class" in reasons and "taken by agents.delegation" in reasons
    assert "its name is 'honest-then-second-best'" in reasons


@needs_no_installed_example
def test_a_plugin_s_failing_import_never_stops_the_cli(tmp_path):
    site = fake_distribution(
        tmp_path,
        "broken-plugin",
        {
            STRATEGIES.group: [
                f"x = {BROKEN['missing-module']}",
                EXTRAS_ENTRY_POINTS[STRATEGIES.group][0],
            ]
        },
    )
    argv = [
        "delegation",
        "run",
        "--scenario",
        "cao2026",
        "--T",
        str(SMALL_T),
        "--json",
        "--strategies",
        f"{STRATEGY},honest,ours",
    ]
    done = subprocess.run(
        [sys.executable, "-m", "market", *argv],
        cwd=ROOT,
        text=True,
        capture_output=True,
        env=plugin_environment(site),
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["providers"][0]["strategy"] == STRATEGY
    warning = [line for line in done.stderr.splitlines() if "PluginWarning" in line]
    assert len(warning) == 1 and "'x = no_such_llm_market_plugin:Thing'" in warning[0]


# ---- a loaded plugin is an ordinary entry -------------------------------------------------


def run_json(capsys, *argv: str) -> dict:
    assert main(list(argv)) == 0
    return json.loads(capsys.readouterr().out)


def test_the_cli_runs_a_plugin_strategy_under_a_plugin_mechanism(extras, capsys):
    args = ["delegation", "run", "--scenario", "cao2026-paper", "--T", str(SMALL_T), "--json"]
    out = run_json(
        capsys, *args, "--strategies", f"{STRATEGY},ours,honest", "--mechanism", MECHANISM
    )
    assert out["mechanism"] == MECHANISM
    assert [p["strategy"] for p in out["providers"]] == [STRATEGY, "ours", "honest"]
    model = DelegationMarket(
        "cao2026-paper",
        strategies=f"{STRATEGY},ours,honest",
        T=SMALL_T,
        mechanism=MECHANISM,
        rng=42,
    )
    model.run()
    assert model.result().to_dict()["providers"] == out["providers"]


def test_the_dashboard_s_selects_offer_the_plugin(extras):
    assert STRATEGY in delegation_page.strategy_names()
    assert MECHANISM in dict(delegation_page.mechanism_choices())


def test_the_plugin_leaves_with_its_test(extras):
    assert STRATEGY in STRATEGIES


def test_the_plugin_left_with_the_previous_test():
    assert STRATEGY not in STRATEGIES and MECHANISM not in MECHANISMS
    assert registrations_for_workers() == ()


def test_the_front_door_lists_the_plugin(extras):
    delegation = market.game("delegation")
    assert STRATEGY in delegation.strategies.names()
    assert MECHANISM in delegation.mechanisms.names()


def test_a_grid_naming_the_plugin_runs_into_the_store(extras, tmp_path, capsys):
    grid = tmp_path / "grid.toml"
    grid.write_text(
        'game = "delegation"\nkind = "profiles"\nseed = 42\nseeds = 1\n[grid]\n'
        f'preset = "cao2026"\nT = {SMALL_T}\nmechanism = ["{MECHANISM}"]\n'
        f'strategies = ["{STRATEGY}", "ours"]\n'
    )
    store = tmp_path / "runs.db"
    run_json(capsys, "experiment", "run", str(grid), "--store", str(store), "--json")
    view = market.open_store(store)
    rows = pd.concat([view.table(name) for name in view.tables()])
    played = {str(value) for value in rows.to_numpy().ravel()}
    assert {STRATEGY, MECHANISM} <= played, rows.columns


def test_the_metagame_s_payoff_table_plays_the_plugin(extras):
    table, _ = payoff_table("cao2026", T=SMALL_T, strategies=["ours", STRATEGY], use_store=False)
    assert set(table.strategies) == {"ours", STRATEGY}


def test_workers_started_afresh_run_a_plugin_strategy(extras, monkeypatch):
    monkeypatch.setattr(parallel, "fork_context", lambda: None)  # as in a Jupyter kernel
    assert any(STRATEGY in dict(s.entries) for s in registrations_for_workers())
    args = dict(T=SMALL_T, seeds=1, seed=3, strategies=["ours", STRATEGY], mechanism=MECHANISM)
    two = sweep("cao2026", jobs=2, **args)
    one = sweep("cao2026", jobs=1, **args)
    pd.testing.assert_frame_equal(one.profiles, two.profiles)


def test_leaving_a_scope_keeps_the_plugins_read_in_it(install):
    install("llm-market-extras-fake", EXTRAS_ENTRY_POINTS)
    registry = fresh_registry(STRATEGIES.group)
    with registry.scoped():  # the first read happens on entering: it outlives the block
        assert STRATEGY in registry
    assert STRATEGY in registry


# ---- the tutorials in docs/ ----------------------------------------------------------------


DOCS = ROOT / "docs"


def fenced(path: Path, language: str) -> list[str]:
    """The fenced ``language`` blocks of a Markdown file, in order."""
    parts = path.read_text().split(f"```{language}\n")[1:]
    return [part.split("```", 1)[0] for part in parts]


@pytest.mark.parametrize(
    ("page", "registry", "base"),
    [
        ("adding-a-strategy.md", STRATEGIES, DelegationStrategy),
        ("adding-a-mechanism.md", MECHANISMS, DelegationMechanism),
    ],
)
def test_the_tutorial_s_code_runs_as_written_and_its_group_is_the_registry_s(page, registry, base):
    blocks = fenced(DOCS / page, "python")
    namespace = {"__name__": "tutorial"}
    exec(compile(blocks[0], page, "exec"), namespace)
    (entry,) = [v for v in namespace.values() if isinstance(v, type) and v.__module__ == "tutorial"]
    assert issubclass(entry, base) and entry.__doc__.count("References:") == 1
    (toml,) = fenced(DOCS / page, "toml")
    header, line = toml.strip().splitlines()
    assert header == f'[project.entry-points."{registry.group}"]'
    assert line.startswith(f"{entry.name} = ") and line.endswith(f':{entry.__name__}"')
    before = registry.names()
    exec(compile(blocks[1], page, "exec"), namespace)
    assert registry.names() == before  # the tutorial's scope undid its registration
    assert namespace["model"].result().T == 20_000
