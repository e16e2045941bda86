"""The background renderer (market.core.renderer): same PNG bytes, always a result, no leftovers.

The helper process only saves time: whatever it draws must be byte for byte what the command
would draw itself, a helper that died or a plot that fails must still end in the command's own
drawing (and its real error), and no helper may outlive the block or a killed command.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pandas as pd
import psutil
import pytest

from market.core import renderer as renderer_module
from market.core.renderer import BackgroundRenderer

ROOT = Path(__file__).resolve().parents[1]
DRAW_HERE = renderer_module.draw_png
PRELUDE = "from tests.test_renderer import *\n"
PLOTS = "market.delegation.plots"
STRATEGIES = ["ours", "honest", "dishonest-model", "dishonest-length"]


def summary() -> pd.DataFrame:
    """A small Figure 2/3 table: two providers, four strategies, made-up means."""
    rows = []
    for provider in (1, 2):
        for i, strategy in enumerate(STRATEGIES):
            rows.append(
                {
                    "provider": provider,
                    "strategy": strategy,
                    "provider_utility": 1000.0 * (i + provider),
                    "user_utility": 250.0 * (4 - i),
                    "delegations": 10.0 * (i + 1),
                }
            )
    return pd.DataFrame(rows)


def calls() -> dict:
    table = summary()
    return {
        "figure2.png": ("figure2", (table, 1, "Provider 1\nsmall test")),
        "figure3.png": ("figure3", (table[table["provider"] == 2], "Provider 2\nsmall test")),
    }


def ended(process: psutil.Process, timeout: float = 10) -> bool:
    """Whether ``process`` ends within ``timeout`` s (a zombie waiting to be reaped has ended)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if process.status() == psutil.STATUS_ZOMBIE:
                return True
        except psutil.NoSuchProcess:
            return True
        time.sleep(0.05)
    return False


def drawn_here(figures: dict) -> dict:
    """What the command draws itself: every figure, one after the other, in this process."""
    return {name: DRAW_HERE(PLOTS, call) for name, call in figures.items()}


def refuse_here(*_args):
    raise AssertionError("drawn in the command, not in the helper")


def in_a_fresh_process(body: str) -> None:
    """Run ``body`` (after this module's helpers) in a new interpreter; fail with its stderr.

    The helper is only forked from a process with no other Python thread, and earlier tests
    in this pytest process may have left one (a dashboard server, a Dask client).
    """
    code = PRELUDE + textwrap.dedent(body)
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT
    )
    assert done.returncode == 0, done.stderr


@pytest.mark.slow
def test_the_helper_draws_the_bytes_the_command_would_draw():
    in_a_fresh_process(
        """
        with BackgroundRenderer(PLOTS) as renderer:
            assert renderer.process is not None, "fork is available: a helper should start"
            renderer_module.draw_png = refuse_here  # in this process only, after the fork
            drawn = renderer.draw(calls())
        renderer_module.draw_png = DRAW_HERE
        assert list(drawn) == ["figure2.png", "figure3.png"]
        assert drawn == drawn_here(calls())
        assert all(png.startswith(b"\\x89PNG") for png in drawn.values())
        """
    )


@pytest.mark.slow
def test_a_dead_helper_is_replaced_by_drawing_here():
    in_a_fresh_process(
        """
        with BackgroundRenderer(PLOTS) as renderer:
            renderer.process.kill()
            renderer.process.join()
            drawn = renderer.draw(calls())
        assert drawn == drawn_here(calls())
        """
    )


def test_a_broken_plot_raises_its_own_error_in_the_command():
    broken = {"figure2.png": ("figure2", (None, 1, "no table"))}
    with BackgroundRenderer(PLOTS) as renderer, pytest.raises(TypeError):
        renderer.draw(broken)


def test_no_helper_outlives_the_block_even_when_it_fails():
    in_a_fresh_process(
        """
        try:
            with BackgroundRenderer(PLOTS) as renderer:
                helper = psutil.Process(renderer.process.pid)
                raise RuntimeError("the command failed")
        except RuntimeError:
            pass
        assert ended(helper)
        """
    )


def test_the_helper_dies_with_a_killed_command(tmp_path):
    script = textwrap.dedent(
        f"""
        import time
        from market.core.renderer import BackgroundRenderer
        with BackgroundRenderer({PLOTS!r}) as renderer:
            print(renderer.process.pid, flush=True)
            time.sleep(60)
        """
    )
    command = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, cwd=tmp_path
    )
    helper = psutil.Process(int(command.stdout.readline()))
    command.kill()
    command.wait()
    assert ended(helper), "the helper outlived the command that was killed"


def test_what_is_imported_with_the_collector_paused_is_frozen_and_it_runs_again():
    """A command's heavy imports are frozen (never walked again, here or in forked workers)."""
    script = textwrap.dedent(
        f"""
        import gc
        from market.core.cli import collector_paused
        from market.core.renderer import load
        with collector_paused():
            assert not gc.isenabled()
            kept = [[i] for i in range(1000)]
        assert gc.isenabled() and gc.get_freeze_count() >= 1000, gc.get_freeze_count()
        gc.disable()
        with collector_paused():
            pass
        assert not gc.isenabled(), "a collector switched off stays off"
        gc.enable()
        frozen = gc.get_freeze_count()
        load({PLOTS!r})
        assert gc.isenabled() and gc.get_freeze_count() > frozen + 10_000, gc.get_freeze_count()
        print("ok")
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, check=False
    )
    assert done.stdout.strip() == "ok", done.stderr
