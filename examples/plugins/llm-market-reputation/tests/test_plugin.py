"""The installed game as users meet it: the CLI, grid files into the store, the dashboard page.

These tests need the package installed (``pip install -e examples/plugins/llm-market-reputation``)
beside llm-market, with plugins loading (the default).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time

import market
import pandas as pd
import pytest
from market.games import GAMES, main

RUN = ["reputation", "run", "--preset", "milking", "--rounds", "20", "--json"]


def llm_market(*argv: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "market", *argv], capture_output=True, text=True, timeout=120
    )


def test_the_game_is_found_through_its_entry_point():
    assert GAMES.names()[-1] == "reputation"
    assert market.game("reputation").runs.run("milking", rounds=5).rounds == 5


def test_help_lists_the_game_and_its_command_runs():
    assert "reputation" in llm_market("--help").stdout
    done = llm_market(*RUN)
    assert done.returncode == 0, done.stderr
    record = json.loads(done.stdout)
    assert [p["strategy"] for p in record["providers"]] == ["honest", "cheap", "milk-reputation"]
    assert record == market.game("reputation").runs.run("milking", rounds=20).to_dict()


@pytest.mark.parametrize(
    ("argv", "flag"),
    [
        (["--rounds", "abc"], "--rounds"),
        (["--mechanism", "nope"], "--mechanism"),
        (["--exploration", "2"], "--exploration"),
        (["--strategies", "honest,sly"], "--strategies"),
    ],
)
def test_a_mistake_is_one_line_and_exit_code_2(argv, flag):
    done = llm_market("reputation", "run", *argv)
    assert done.returncode == 2 and done.stdout == ""
    assert len(done.stderr.splitlines()) == 1 and flag in done.stderr, done.stderr


def test_out_writes_the_record_the_history_and_the_figure(tmp_path):
    from llm_market_reputation.runs import run_model

    out = tmp_path / "run"
    done = llm_market(
        "reputation", "run", "--preset", "milking", "--rounds", "20", "--out", str(out)
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-3:] == [
        f"wrote {out / name}" for name in ("run.json", "history.csv", "run.png")
    ]
    model = run_model("milking", rounds=20)
    assert json.loads((out / "run.json").read_text()) == model.result().to_dict()
    pd.testing.assert_frame_equal(pd.read_csv(out / "history.csv"), model.history())
    assert (out / "run.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_out_refuses_a_file_in_one_line_before_the_run(tmp_path):
    taken = tmp_path / "taken"
    taken.write_text("")
    done = llm_market("reputation", "run", "--out", str(taken))
    assert done.returncode == 2 and done.stdout == ""
    assert len(done.stderr.splitlines()) == 1 and "--out" in done.stderr


def test_a_grid_runs_into_the_store(tmp_path, capsys):
    grid = tmp_path / "grid.toml"
    grid.write_text(
        'game = "reputation"\nkind = "profits"\nseed = 42\nseeds = 2\n[grid]\n'
        'preset = ["honest-vs-cheap", "uniform-baseline"]\nrounds = 30\n'
    )
    store = tmp_path / "runs.db"
    argv = ["experiment", "run", str(grid), "--store", str(store), "--jobs", "1", "--json"]
    assert main(argv) == 0
    assert json.loads(capsys.readouterr().out)["computed"] == 4
    table = market.open_store(store).table("reputation_profits")
    assert len(table) == 4 * 3 and sorted(set(table["provider"])) == [1, 2, 3]
    profit = table.groupby(["preset", "strategy"])["profit"].mean()
    assert profit["honest-vs-cheap", "honest"] > profit["honest-vs-cheap", "cheap"]
    assert profit["uniform-baseline", "cheap"] > profit["uniform-baseline", "honest"]
    assert main(argv) == 0  # the same grid again: everything from the store
    assert json.loads(capsys.readouterr().out)["computed"] == 0
    again = market.open_store(store).table("reputation_profits")
    pd.testing.assert_frame_equal(table, again)


def test_a_bad_grid_entry_is_one_line(tmp_path, capsys):
    grid = tmp_path / "grid.toml"
    grid.write_text('game = "reputation"\nkind = "profits"\n[grid]\nmechanism = "nope"\n')
    assert main(["experiment", "run", str(grid), "--store", str(tmp_path / "s.db")]) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and "grid.mechanism" in err and "rating-rank" in err


def test_the_dashboard_routes_and_home_include_the_page():
    from app.pages import page_routes
    from app.pages.home import game_pages

    assert "reputation" in [r.path for r in page_routes()]
    assert [game.name for game, _ in game_pages()][-1] == "reputation"


def test_the_page_renders_steps_and_plots_without_a_browser():
    import ipyvuetify as v
    import solara
    import solara.routing
    import solara.widgets

    from llm_market_reputation.app import page

    @solara.component
    def Harness():
        path, set_path = solara.use_state("/reputation?preset=milking&rounds=10")
        router = solara.routing.Router(path, routes=[solara.Route("/")], set_path=set_path)
        solara.routing.router_context.provide(router)
        page.Page()

    def html() -> str:
        return " ".join(e.widget.unsafe_innerHTML or "" for e in rc.find(solara.widgets.HTML))

    def wait_for(condition, timeout=30.0):
        deadline = time.monotonic() + timeout
        while not condition():
            assert time.monotonic() < deadline, html()[:500]
            time.sleep(0.05)

    _box, rc = solara.render(Harness(), handle_error=False)
    wait_for(lambda: 'data-testid="step-counter">0<' in html())
    rc.find(v.Btn, children=["Step"]).widget.click()
    wait_for(lambda: 'data-testid="step-counter">1<' in html() and "plot-ratings" in html())
    assert "plot-profit" in html()
