"""The example notebooks run from top to bottom in a real Jupyter kernel (headless).

``examples/notebooks/`` holds one notebook per game; they are documentation, so they must not
rot: each is executed here with nbclient and ipykernel (the ``test`` extra installs both), in a
fresh kernel whose working folder is a temporary directory (anything a notebook writes, a store
or a PNG, lands there). A failing cell fails the test with that cell's error.
"""

from __future__ import annotations

from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat", reason="nbformat comes with the test extra")
nbclient = pytest.importorskip("nbclient", reason="nbclient comes with the test extra")

#: What each notebook must print: the claims its text makes about what the kernel shows.
PRINTS = {
    "delegation": (
        "jobs: expected CheatsLate defined in a .py module",  # refused in one line in Jupyter
        "jobs=2 equals jobs=1: True",  # spawned workers, the paper's strategies
        "1. ours ",  # Figure 2: the second-best strategy ranks first
        "32 from the store",
    ),
    "ttc": ("PoA", "auction vs market equilibrium"),
    "rosa": ("provider 1 ", "(reconstructed)"),
}

NOTEBOOKS = sorted((Path(__file__).parent.parent / "examples" / "notebooks").glob("*.ipynb"))


def test_there_is_a_notebook_per_game():
    from market.games import BUILTIN_GAMES

    stems = {path.stem for path in NOTEBOOKS}
    assert {game.name for game in BUILTIN_GAMES} <= stems


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_a_notebook_runs_top_to_bottom(path, tmp_path):
    notebook = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        notebook,
        timeout=300,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
    )
    client.execute()
    errors = [
        output
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
        if output.get("output_type") == "error"
    ]
    assert not errors
    printed = "".join(
        output.get("text", "")
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
    )
    for expected in PRINTS.get(path.stem, ()):
        assert expected in printed
