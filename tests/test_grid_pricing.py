"""Grid files are priced before a model is built, a run listed or a store opened.

``experiment run`` refuses a grid whose runs would take past the work limit, or whose listed
runs would not fit the memory limit, in one line naming the grid, the most runs that fit and
the estimate; and it leaves no store. Another program's SQLite file is never written to, and
``results`` reads a store it cannot open like a missing one.
"""

import hashlib
import re
import sqlite3
from pathlib import Path

import pytest

from market.core import pricing
from market.core.errors import UserInputError
from market.core.grids import read_grid
from market.core.store import ExperimentStore
from market.delegation.experiments import grid_experiment as delegation_grid
from market.games import main
from market.rosa.experiments import REGRET
from market.rosa.experiments import grid_experiment as rosa_grid

REFUSAL = re.compile(
    r"^llm-market: error: g\.toml: \[grid\]: expected at most ([\d,]+) runs on this machine, "
    r"got '([\d,]+) runs' \(about .+ of (work on .+|memory); the limit is .+\)$"
)

ROSA = 'game = "rosa"\nkind = "regret"\nseed = 1\n'
DELEGATION = 'game = "delegation"\nkind = "profiles"\n[grid]\npreset = "cao2026"\n'


def write(folder: Path, text: str) -> Path:
    path = folder / "g.toml"
    path.write_text(text)
    return path


def refused(argv, capsys) -> str:
    assert main(argv) == 2
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1
    return lines[0]


def test_a_grid_past_the_work_limit_is_refused_naming_what_fits(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path, ROSA + "seeds = 100000000\n[grid]\nT = 1000\n")
    monkeypatch.setenv(pricing.WORK_VARIABLE, "1h")
    line = refused(["experiment", "run", "g.toml", "--store", "s.db", "--jobs", "1"], capsys)
    fits, given = (int(n.replace(",", "")) for n in REFUSAL.match(line).groups()[:2])
    assert given == 100_000_000
    # the most runs that fit: an hour of the kind's own estimate, run by run
    one_run = REGRET.seconds_of(rosa_grid(read_grid("g.toml")).runs[0].config)
    assert fits == int(3600 / one_run) or fits == int(3600 / one_run) - 1
    assert not (tmp_path / "s.db").exists()
    monkeypatch.setenv(pricing.WORK_VARIABLE, "30d")  # the same grid fits a larger limit
    pricing.runs_price(rosa_grid(read_grid("g.toml")), "g.toml: [grid]", 1)


@pytest.mark.slow
def test_a_grid_of_two_million_horizons_is_refused_before_any_model(tmp_path, capsys):
    values = ", ".join(str(200_000 + i) for i in range(2_000_000))
    write(tmp_path, f"{DELEGATION}T = [{values}]\n")
    line = refused(["experiment", "run", str(tmp_path / "g.toml"), "--store", "s.db"], capsys)
    assert REFUSAL.match(line)
    assert "432,000,000 runs" in line  # 2e6 horizons x 6^3 profiles
    assert not Path("s.db").exists()


def test_a_delegation_horizon_beyond_the_query_ids_drawn_up_front(tmp_path):
    write(tmp_path, f"{DELEGATION}T = 10000000000000\n")
    with pytest.raises(UserInputError, match=r"grid\.T: expected an integer T from 1 to"):
        delegation_grid(read_grid(tmp_path / "g.toml"))


def test_another_programs_sqlite_file_is_never_written(tmp_path):
    foreign = tmp_path / "photos.db"
    with sqlite3.connect(foreign) as connection:
        connection.execute("CREATE TABLE photos (name TEXT)")
        connection.execute("INSERT INTO photos VALUES ('cat')")
    connection.close()
    before = hashlib.sha256(foreign.read_bytes()).hexdigest()
    with pytest.raises(UserInputError, match=r"an llm-market store or a new file.*another program"):
        ExperimentStore(foreign)
    assert hashlib.sha256(foreign.read_bytes()).hexdigest() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["photos.db"]


def test_a_store_that_cannot_be_opened_reads_like_a_missing_one(tmp_path, monkeypatch):
    store = tmp_path / "s.db"
    ExperimentStore(store).close()

    def message(path) -> str:
        with pytest.raises(UserInputError) as error:
            ExperimentStore(path, readonly=True)
        return str(error.value).replace(str(path), "PATH")

    missing = message(tmp_path / "absent.db")
    original = Path.open

    def refuse(self, *args, **kwargs):
        if self == store:
            raise PermissionError(13, "Permission denied", str(self))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", refuse)  # root reads a chmod-000 file
    assert message(store) == missing == "store: expected an existing store file, got 'PATH'"


def test_long_grid_work_is_announced_once_before_it_starts(tmp_path, capsys):
    write(tmp_path, f"{DELEGATION.replace('[grid]', 'seeds = 40\n[grid]')}")
    experiment = delegation_grid(read_grid(tmp_path / "g.toml"))
    assert capsys.readouterr().err == ""  # the grid's own check prices, quietly
    pricing.runs_price(experiment, "g.toml: [grid]", 2)
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1 and "(8,640 runs): about" in lines[0], lines
