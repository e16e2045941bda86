"""Games added by installed packages (issue 17): the ``llm_market.games`` entry-point group.

A fake installed distribution (a ``*.dist-info`` folder with an ``entry_points.txt``) declares
a tiny game written in a temporary folder, or the example reputation game of
``examples/plugins/llm-market-reputation`` (its source on ``sys.path``), so the suite never
depends on what is installed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
from test_plugins import fake_distribution

import market
from market.core import plugins
from market.games import BUILTIN_GAMES, GAMES, GAMES_GROUP, commands, main

ROOT = Path(__file__).resolve().parents[1]
REPUTATION = ROOT / "examples" / "plugins" / "llm-market-reputation"

TOY_GAME = """
from market.core.game import GameDescription

GAME = GameDescription(
    name="toy", title="A toy game", reference="none", summary="A game of one command.",
    model_path="", scenarios_path="", strategies_path="", mechanisms_path="",
    runs_path="", cli_path="toy_game.cli",
)
IMPOSTOR = GameDescription(
    name="ttc", title="Not TTC", reference="none", summary="", model_path="",
    scenarios_path="", strategies_path="", mechanisms_path="", runs_path="",
    cli_path="toy_game.cli",
)
NOT_A_GAME = "toy"
"""
TOY_CLI = """
def register(games):
    toy = games.add_parser("toy", help="a toy game")
    toy.add_argument("--rounds", default="1")
    toy.set_defaults(handler=play)


def play(args):
    from market.core.values import count

    print("played", count(args.rounds, "rounds"), "rounds")
    return 0
"""


def toy_site(folder: Path, lines: list[str]) -> Path:
    """A site with the toy game's package and a distribution declaring ``lines``."""
    package = folder / "toy_game"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(TOY_GAME)
    (package / "cli.py").write_text(TOY_CLI)
    return fake_distribution(folder, "toy-game", {GAMES_GROUP: lines})


def llm_market(site: Path, *argv: str, code: str = "") -> subprocess.CompletedProcess:
    """``python -m market argv`` (or ``python -c code``) finding ``site``, plugins loading."""
    environment = {
        **{k: v for k, v in os.environ.items() if k != plugins.DISABLE_VARIABLE},
        "PYTHONPATH": f"{site}:{ROOT}",
    }
    command = ["-c", code] if code else ["-m", "market", *argv]
    return subprocess.run(
        [sys.executable, *command], cwd=ROOT, env=environment, capture_output=True, text=True
    )


def test_help_lists_a_plugin_game_without_importing_it_and_its_command_runs(tmp_path):
    site = toy_site(tmp_path, ["toy = toy_game:GAME"])
    helped = llm_market(site, "--help")
    assert helped.returncode == 0 and "toy" in helped.stdout and "toy-game" in helped.stdout
    code = (
        "import contextlib, io, sys\nfrom market.games import main\n"
        "with contextlib.suppress(SystemExit), contextlib.redirect_stdout(io.StringIO()):\n"
        "    main(['--help'])\nprint('toy_game' in sys.modules)"
    )
    assert llm_market(site, code=code).stdout.strip() == "False"
    played = llm_market(site, "toy", "--rounds", "3")
    assert (played.returncode, played.stdout) == (0, "played 3 rounds\n"), played.stderr
    wrong = llm_market(site, "toy", "--rounds", "x")
    assert wrong.returncode == 2 and wrong.stderr.count("\n") == 1 and "--rounds" in wrong.stderr


def test_the_variable_loads_no_plugin_game(tmp_path):
    site = toy_site(tmp_path, ["toy = toy_game:GAME"])
    environment = {"PYTHONPATH": f"{site}:{ROOT}", plugins.DISABLE_VARIABLE: "1"}
    done = subprocess.run(
        [sys.executable, "-m", "market", "--help"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0 and "toy" not in done.stdout


@pytest.fixture
def games_from(tmp_path, monkeypatch):
    """Read GAMES afresh from fake distributions of one test (the shipped games kept)."""
    monkeypatch.delenv(plugins.DISABLE_VARIABLE, raising=False)

    def reading(site: Path):
        monkeypatch.syspath_prepend(str(site))
        from importlib.metadata import EntryPoints, distributions

        found = EntryPoints(ep for d in distributions(path=[str(site)]) for ep in d.entry_points)
        monkeypatch.setattr(plugins, "installed_entry_points", lambda: found)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            added = GAMES.load_plugins()
        return added, [str(w.message) for w in caught if w.category is plugins.PluginWarning]

    with GAMES.scoped():
        yield reading
    assert GAMES.names() == [g.name for g in BUILTIN_GAMES]


def test_a_broken_game_plugin_is_one_warning_each_and_the_rest_load(tmp_path, games_from):
    lines = [
        "missing = no_such_llm_market_game:GAME",  # its module does not import
        "ttc = toy_game:IMPOSTOR",  # a shipped game's name: refused
        "string = toy_game:NOT_A_GAME",  # not a GameDescription
        "misnamed = toy_game:GAME",  # its name is toy
        "toy = toy_game:GAME",
    ]
    added, messages = games_from(toy_site(tmp_path, lines))
    assert added == ["toy"] and GAMES.names() == ["delegation", "ttc", "rosa", "toy"]
    assert GAMES.get("ttc") is BUILTIN_GAMES[1]
    assert len(messages) == 4 and all("\n" not in m for m in messages)
    reasons = " ".join(messages)
    assert "ModuleNotFoundError" in reasons and "'ttc' is taken" in reasons
    assert "GameDescription" in reasons and "its name is 'toy'" in reasons


def test_a_clashing_game_gets_no_second_command(tmp_path, monkeypatch):
    site = toy_site(tmp_path, ["ttc = toy_game:IMPOSTOR", "toy = toy_game:GAME"])
    monkeypatch.delenv(plugins.DISABLE_VARIABLE, raising=False)
    from importlib.metadata import EntryPoints, distributions

    found = EntryPoints(ep for d in distributions(path=[str(site)]) for ep in d.entry_points)
    monkeypatch.setattr(plugins, "installed_entry_points", lambda: found)
    names = [name for module in commands() for name, _ in module.helps]
    assert names.count("ttc") == 1 and "toy" in names


def reputation_site(folder: Path) -> Path:
    """The example reputation game's source and a distribution declaring it."""
    folder.mkdir(parents=True)
    (folder / "llm_market_reputation").symlink_to(REPUTATION / "llm_market_reputation")
    lines = ["reputation = llm_market_reputation:GAME"]
    return fake_distribution(folder, "llm-market-reputation-fake", {GAMES_GROUP: lines})


def test_a_plugin_game_s_grid_runs_into_the_store(tmp_path, games_from, capsys):
    added, messages = games_from(reputation_site(tmp_path / "site"))
    assert added == ["reputation"] and messages == []
    grid = tmp_path / "grid.toml"
    grid.write_text(
        'game = "reputation"\nkind = "profits"\nseed = 1\nseeds = 2\n[grid]\n'
        'mechanism = ["uniform", "rating-rank"]\nrounds = 20\n'
    )
    store = tmp_path / "runs.db"
    argv = ["experiment", "run", str(grid), "--store", str(store), "--jobs", "1", "--json"]
    assert main(argv) == 0
    assert json.loads(capsys.readouterr().out)["computed"] == 4
    table = market.open_store(store).table("reputation_profits")
    assert sorted(set(table["mechanism"])) == ["rating-rank", "uniform"] and len(table) == 12
    assert market.game("reputation").description is GAMES.get("reputation")


def test_a_plugin_game_s_page_is_routed_and_carded(tmp_path, games_from):
    from app.pages import PAGES, page_routes, site_pages
    from app.pages.home import game_pages

    games_from(reputation_site(tmp_path / "site"))
    assert [r.path for r in page_routes()][len(PAGES) :] == ["reputation"]
    assert site_pages()[-1].TITLE == "Reputation market (example)"
    assert [game.name for game, _ in game_pages()] == ["delegation", "ttc", "rosa", "reputation"]


def test_the_example_game_has_the_per_game_shape(tmp_path, games_from):
    from market.core.game import shape_problems

    games_from(reputation_site(tmp_path / "site"))
    assert shape_problems(GAMES.get("reputation")) == []


def test_the_game_tutorial_s_blocks_are_the_example_s(monkeypatch):
    from test_plugins import DOCS, fenced

    page = DOCS / "adding-a-game.md"
    monkeypatch.syspath_prepend(str(REPUTATION))
    import llm_market_reputation

    namespace: dict = {}
    for block in fenced(page, "python"):
        exec(compile(block, page.name, "exec"), namespace)
    assert namespace["GAME"] == llm_market_reputation.GAME
    registry = llm_market_reputation.agents.STRATEGIES
    assert namespace["STRATEGIES"].group == registry.group
    (toml,) = fenced(page, "toml")
    pyproject = (REPUTATION / "pyproject.toml").read_text()
    assert toml.strip() in pyproject and f'"{GAMES_GROUP}"' in toml
