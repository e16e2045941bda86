"""The abuse corpus: hostile input to every command and file format is refused cleanly.

Each case is a command line, with the files it needs, that a user (or a script gone wrong) could
type: sizes far beyond any machine (1e9 to 1e13 points, bids, betas, seeds, runs, instances,
users, T; ``LO:HI:N`` ranges with a huge N), non-finite numbers (nan, inf, -inf, 1e999), wrong
types, zero and negative sizes, malformed and hostile files (truncated or deeply nested TOML,
binary garbage, a 2-million-item list, /dev/zero, a folder, a missing or unreadable file,
CSV files with NaN cells or a 10 MB line) and bad ``results`` requests. Every case must end with

- exit code 2;
- exactly one non-empty line on stderr, no traceback, shorter than :data:`LONGEST_LINE`;
- nothing written: the case's working directory (where every output path points) holds only
  the inputs the case made, unchanged, and its cache folder (``XDG_CACHE_HOME``) stays empty;
- the process tree's peak resident memory under :data:`MEMORY_LIMIT`.

Starting Python for each case would cost about a second apiece, so the cases run inside
``tests/abuse_runner.py`` processes, two at a time taking cases from one queue, each capped at
:data:`ADDRESS_SPACE` of virtual memory (a runaway allocation fails fast instead of swapping)
and each case under a timer (:data:`CASE_SECONDS`). The test samples the memory (PSS) of the
runner and all its workers every 50 ms, kills a runner whose case outlives its timer by
:data:`KILL_GRACE`, and starts a fresh runner after any case that may have left state behind.
A few cases also run as the real ``llm-market`` console script, to show that the in-process
harness reports what a user sees.

References:
    Issue 15, "Every resource bounded, every fault survived" (the project's own abuse corpus).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import queue
import select
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import pytest

ROOT = Path(__file__).resolve().parent.parent
RUNNER = Path(__file__).resolve().parent / "abuse_runner.py"
DATA = Path(__file__).resolve().parent / "data"

MEMORY_LIMIT = 1 << 30  # the process tree's peak resident memory (bytes)
ADDRESS_SPACE = 3 << 30  # RLIMIT_AS of every runner and worker (bytes)
CASE_SECONDS = 5.0  # a refusal is immediate; the runner stops a case after this long
BIG_FILE_SECONDS = 20.0  # ... or after this long for a 16 MB input (parsing it takes seconds)
KILL_GRACE = 5.0  # ... and the test kills the runner this much later if it did not stop
LONGEST_LINE = 400
LANES = 2  # runners at a time
SAMPLE_SECONDS = 0.05

Content = bytes | Callable[[], bytes]


@dataclass(frozen=True)
class Case:
    """One hostile command line and the inputs it makes in its working directory.

    Attributes:
        id: the test id.
        argv: the arguments after ``llm-market`` (paths relative to the working directory).
        files: input files to make (name -> content, or a function making the content).
        dirs: input folders to make.
        unreadable: input files made without read permission (only root can read them).
        seconds: how long the case may take.
    """

    id: str
    argv: tuple[str, ...]
    files: Mapping[str, Content] = field(default_factory=dict)
    dirs: tuple[str, ...] = ()
    unreadable: tuple[str, ...] = ()
    seconds: float = CASE_SECONDS


# ---- input files ----------------------------------------------------------------------------

GARBAGE = bytes(range(256)) * 64 + b"\x00\xff\xfe" * 1000
TRUNCATED_TOML = b'name = "cut"\nT = 5000\n[[providers]]\nname = "provider 1"\nmodels = ["gpt-5-h'
NESTED_ARRAYS = b"x = " + b"[" * 100_000 + b"]" * 100_000 + b"\n"
NESTED_TABLE = b"[" + b".".join([b"a"] * 20_000) + b"]\nx = 1\n"  # (tomllib: quadratic)
NESTED_INLINE = b"x = " + b"{a = " * 50_000 + b"1" + b"}" * 50_000 + b"\n"
HUGE_SEED = "18446744073709551616"  # 2**64: past SQLite's 64-bit integers
SCENARIO_HEAD = (DATA / "small_scenario.toml").read_text()
RECORDS = (DATA / "small_records.csv").read_text()
CURVES_HEADER = (
    "benchmark,model,reasoning,ttc_method,theta,accuracy,avg_tokens,price_per_1m_tokens\n"
)
CURVES_ROWS = (
    "GSM8K,m1,False,best_of_n,1,0.5,100,1.0\n"
    "GSM8K,m1,False,best_of_n,2,0.6,200,1.0\n"
    "GSM8K,m2,False,best_of_n,1,0.4,100,0.5\n"
    "GSM8K,m2,False,best_of_n,2,0.5,200,0.5\n"
)


def scenario(**changes: str) -> bytes:
    """The small test scenario (two providers on ``records.csv``) with TOML lines replaced.

    Each change is ``key = "TOML value"`` put at the top level (after removing the key's line).
    """
    lines = SCENARIO_HEAD.replace('data = "small_records.csv"', 'data = "records.csv"')
    kept = [line for line in lines.splitlines() if line.split("=")[0].strip() not in set(changes)]
    head = [f"{key} = {value}" for key, value in changes.items()]
    return ("\n".join(head + kept) + "\n").encode()


def records(**cells: str) -> bytes:
    """The small records CSV with the second line's cells replaced (column -> text)."""
    lines = RECORDS.splitlines()
    header = lines[0].split(",")
    row = lines[1].split(",")
    for column, value in cells.items():
        row[header.index(column)] = value
    return ("\n".join([lines[0], ",".join(row), *lines[2:]]) + "\n").encode()


def curves(row: str) -> bytes:
    """A curves CSV with one more row after the good ones."""
    return (CURVES_HEADER + CURVES_ROWS + row + "\n").encode()


def long_line_curves() -> bytes:
    """A curves CSV whose model name is a 10 MB line."""
    return curves("GSM8K," + "m" * 10_000_000 + ",False,best_of_n,1,0.5,100,1.0")


def long_line_records() -> bytes:
    """A records CSV with a 10 MB comment cell."""
    return records(comment="x" * 10_000_000)


def grid(game: str, kind: str, *lines: str, top: str = "") -> bytes:
    """A grid file: ``game``, ``kind``, extra top-level ``top`` lines and ``[grid]`` lines."""
    text = f'game = "{game}"\nkind = "{kind}"\n{top}\n[grid]\n' + "\n".join(lines) + "\n"
    return text.encode()


def rosa_grid(*lines: str, top: str = "seed = 1") -> bytes:
    """A small ROSA regret grid with ``lines`` in its ``[grid]``."""
    return grid("rosa", "regret", *(lines or ("T = 50",)), top=top)


def million_list_grid() -> bytes:
    """A delegation grid whose T lists two million distinct horizons (each long enough)."""
    values = ", ".join(str(200_000 + i) for i in range(2_000_000))
    return grid("delegation", "profiles", 'preset = "cao2026"', f"T = [{values}]")


def million_models_scenario() -> bytes:
    """The small scenario whose second provider offers two million models."""
    models = b", ".join(b'"m%d"' % i for i in range(2_000_000))
    return scenario().replace(b'models = ["beta"]', b"models = [" + models + b"]")


def duplicated_list_grid() -> bytes:
    """A delegation grid whose T lists the same horizon two million times."""
    values = ", ".join(["5000"] * 2_000_000)
    return grid("delegation", "profiles", 'preset = "cao2026"', f"T = [{values}]")


@functools.cache
def store_bytes() -> bytes:
    """A small finished store (a ROSA regret experiment: table rosa_regret, with T)."""
    with tempfile.TemporaryDirectory(prefix="abuse-store-") as folder:
        Path(folder, "g.toml").write_bytes(rosa_grid("T = [50, 60]", top="seed = 1\nseeds = 2"))
        command = [sys.executable, "-m", "market", "experiment", "run", "g.toml"]
        subprocess.run(
            [*command, "--store", "s.db", "--jobs", "1"],
            cwd=folder,
            env=case_environment(Path(folder)),
            check=True,
            capture_output=True,
            timeout=120,
        )
        return Path(folder, "s.db").read_bytes()


STORE = {"s.db": store_bytes}


@functools.cache
def foreign_store() -> bytes:
    """A SQLite database that is not an llm-market store (one table of someone else's)."""
    with tempfile.TemporaryDirectory(prefix="abuse-foreign-") as folder:
        path = Path(folder, "other.db")
        with contextlib.closing(sqlite3.connect(path)) as connection:
            connection.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)")
            connection.execute("INSERT INTO invoices (total) VALUES (12.5)")
            connection.commit()
        return path.read_bytes()


# ---- the cases ------------------------------------------------------------------------------

D_RUN = ("delegation", "run", "--scenario", "cao2026", "--strategies", "ours", "--T", "5000")
D_SWEEP = ("delegation", "sweep", "--scenario", "cao2026", "--T", "5000", "--out", "out")
D_PLAN = ("delegation", "plan", "--scenario", "cao2026")
D_META = ("delegation", "metagame", "--scenario", "cao2026", "--T", "5000", "--out", "out")
D_HORIZON = ("delegation", "horizon", "--scenario", "cao2026", "--out", "out")
D_HORIZON_SMALL = (*D_HORIZON, "--T-from", "5000", "--T-to", "10000")
OWN_SCENARIO = ("delegation", "run", "--scenario", "s.toml", "--strategies", "ours")
T_ANALYZE = ("ttc", "analyze", "--scenario", "intro-example")
T_CURVES = ("ttc", "analyze", "--curves", "c.csv", "--benchmark", "GSM8K", "--method", "best_of_n")
T_DYNAMICS = ("ttc", "dynamics", "--scenario", "intro-example", "--out", "out")
T_SWEEP = ("ttc", "sweep-beta", "--scenario", "intro-example", "--out", "out")
T_COMPARE = ("ttc", "compare", "--scenario", "intro-example", "--out", "out")
R_RUN = ("rosa", "run", "--T", "200", "--seed", "1")
R_TRUTH = ("rosa", "truthfulness", "--T", "200", "--seed", "1", "--runs", "2")
R_REGRET = ("rosa", "regret", "--T-from", "100", "--T-to", "200", "--seed", "1", "--out", "out")
R_MONO = ("rosa", "monotonicity", "--T", "100", "--seed", "1")
GRID_RUN = ("experiment", "run", "g.toml", "--store", "s.db")
RESULTS = ("results", "s.db")
DASHBOARD = ("dashboard", "--no-open", "--host", "127.0.0.1")


def flag_cases(prefix: str, base: tuple[str, ...], flag: str, values: Mapping[str, str]):
    """One case per bad value of ``flag`` (``--flag=value``, so ``-inf`` stays a value)."""
    return [
        Case(f"{prefix}{flag}-{name}", (*base, f"{flag}={value}")) for name, value in values.items()
    ]


NON_FINITE = {"nan": "nan", "inf": "inf", "-inf": "-inf", "1e999": "1e999"}
NOT_A_NUMBER = {"abc": "abc", "empty": ""}
NOT_AN_INTEGER = {"abc": "abc", "1.5": "1.5", "empty": ""}


def command_line_cases() -> list[Case]:
    """Flags of every command: huge, non-finite, wrongly typed, zero and negative values."""
    cases = []
    add = cases.extend
    # delegation run / plan
    add(flag_cases("delegation-run", D_RUN, "--T", {**NON_FINITE, **NOT_AN_INTEGER, "0": "0"}))
    add(flag_cases("delegation-run", D_RUN, "--T", {"-5": "-5", "1e13": "1e13"}))
    add(flag_cases("delegation-run", D_RUN, "--eps", {**NON_FINITE, "abc": "abc", "0.5": "0.5"}))
    add(flag_cases("delegation-run", D_RUN, "--seed", {"nan": "nan", "-1": "-1", "1.5": "1.5"}))
    add(flag_cases("delegation-run", D_RUN, "--seed", {"1e999": "1e999"}))
    add(flag_cases("delegation-run", D_RUN, "--batch", {"0": "0", "nan": "nan", "-1": "-1"}))
    add(flag_cases("delegation-run", D_RUN, "--strategies", {"empty": ""}))
    add(flag_cases("delegation-run", D_RUN, "--mechanism", {"bogus": "bogus"}))
    add(flag_cases("delegation-plan", D_PLAN, "--T", {"nan": "nan", "1e999": "1e999"}))
    add(flag_cases("delegation-plan", D_PLAN, "--eps", {"inf": "inf", "-inf": "-inf"}))
    # delegation sweep
    add(flag_cases("delegation-sweep", D_SWEEP, "--seeds", {"1e9": "1e9", "1e13": "1e13"}))
    add(flag_cases("delegation-sweep", D_SWEEP, "--seeds", {"0": "0", "nan": "nan"}))
    add(flag_cases("delegation-sweep", D_SWEEP, "--jobs", {"0": "0", "abc": "abc"}))
    add(flag_cases("delegation-sweep", D_SWEEP, "--T", {"1e13": "1e13", "inf": "inf"}))
    add(flag_cases("delegation-sweep", D_SWEEP, "--executor", {"bogus": "bogus", "empty": ""}))
    cases.append(
        Case(
            "delegation-sweep--seed-2**64-store", (*D_SWEEP, "--seed", HUGE_SEED, "--store", "s.db")
        )
    )
    cases.append(Case("delegation-sweep--store-directory", (*D_SWEEP, "--store", "d"), dirs=("d",)))
    cases.append(
        Case("delegation-sweep--out-file", (*D_SWEEP[:-1], "f.txt"), files={"f.txt": b"x"})
    )
    # delegation metagame (--no-store, except where the default store is the point)
    meta = (*D_META, "--no-store")
    add(flag_cases("delegation-metagame", meta, "--seeds", {"1e9": "1e9", "0": "0"}))
    add(flag_cases("delegation-metagame", meta, "--tolerance", {"nan": "nan", "-inf": "-inf"}))
    add(flag_cases("delegation-metagame", meta, "--z", {"inf": "inf", "abc": "abc"}))
    add(flag_cases("delegation-metagame", meta, "--max-plays", {"0": "0", "nan": "nan"}))
    add(flag_cases("delegation-metagame", meta, "--rule", {"bogus": "bogus"}))
    add(flag_cases("delegation-metagame", meta, "--start", {"bogus": "bogus"}))
    add(flag_cases("delegation-metagame-default-store", D_META, "--seeds", {"1e13": "1e13"}))
    # delegation horizon
    cases.append(
        Case(
            "delegation-horizon--points-1e7",
            (*D_HORIZON, "--T-from", "1e6", "--T-to", "2e6", "--points", "10000000"),
        )
    )
    cases.append(
        Case(
            "delegation-horizon--T-to-1e13-jobs-2",
            (*D_HORIZON, "--T-from", "1e6", "--T-to", "1e13", "--points", "3", "--jobs", "2"),
        )
    )
    add(
        flag_cases(
            "delegation-horizon", (*D_HORIZON_SMALL, "--points", "3"), "--seeds", {"1e9": "1e9"}
        )
    )
    add(
        flag_cases(
            "delegation-horizon",
            D_HORIZON_SMALL,
            "--points",
            {"1": "1", "nan": "nan", "1e13": "1e13"},
        )
    )
    base = (*D_HORIZON, "--T-to", "10000", "--points", "3")
    add(
        flag_cases("delegation-horizon", base, "--T-from", {"nan": "nan", "-inf": "-inf", "0": "0"})
    )
    # ttc analyze / compare
    add(
        flag_cases(
            "ttc-analyze",
            T_ANALYZE,
            "--beta",
            {"nan": "nan", "-inf": "-inf", "0": "0", "abc": "abc"},
        )
    )
    add(flag_cases("ttc-analyze", T_ANALYZE, "--alpha", {"nan": "nan", "inf": "inf", "empty": ""}))
    add(flag_cases("ttc-analyze", T_ANALYZE, "--margin", {"-inf": "-inf", "1e999": "1e999"}))
    add(flag_cases("ttc-analyze", T_ANALYZE, "--v0", {"nan": "nan", "-1e999": "-1e999"}))
    add(flag_cases("ttc-analyze", T_ANALYZE, "--seed", {"-1": "-1", "nan": "nan"}))
    add(flag_cases("ttc-analyze", T_ANALYZE, "--max-profiles", {"-1": "-1", "nan": "nan"}))
    add(flag_cases("ttc-analyze", T_ANALYZE, "--dynamics", {"bogus": "bogus"}))
    add(flag_cases("ttc-analyze", T_ANALYZE, "--scenario", {"empty": "", "bogus": "bogus"}))
    add(flag_cases("ttc-compare", T_COMPARE, "--beta", {"nan": "nan"}))
    add(flag_cases("ttc-compare", T_COMPARE, "--margin", {"inf": "inf"}))
    # ttc dynamics: simulated users
    add(flag_cases("ttc-dynamics", T_DYNAMICS, "--users", {"1e9": "1e9", "1e13": "1e13"}))
    add(flag_cases("ttc-dynamics", T_DYNAMICS, "--users", {"-1": "-1", "nan": "nan", "1.5": "1.5"}))
    add(
        flag_cases(
            "ttc-dynamics",
            (*T_DYNAMICS, "--users", "100"),
            "--user-spread",
            {"1e300": "1e300", "nan": "nan", "-1": "-1"},
        )
    )
    add(flag_cases("ttc-dynamics", T_DYNAMICS, "--schedule", {"bogus": "bogus"}))
    # ttc sweep-beta
    betas = {
        "N-1e9": "1:10:1000000000",
        "N-1e13": "1:10:10000000000000",
        "N-0": "1:10:0",
        "N-1.5": "1:10:1.5",
        "LO-nan": "nan:10:5",
        "HI-inf": "1:inf:5",
        "LO-negative": "-1:10:5",
        "abc": "abc",
        "empty": "",
    }
    add(flag_cases("ttc-sweep-beta", T_SWEEP, "--betas", betas))
    add(flag_cases("ttc-sweep-beta", (*T_SWEEP, "--betas", "1:10:3"), "--jobs", {"-1": "-1"}))
    # rosa run
    add(
        flag_cases("rosa-run", R_RUN, "--T", {"1e13": "1e13", "nan": "nan", "0": "0", "abc": "abc"})
    )
    add(flag_cases("rosa-run", R_RUN, "--providers", {"1e9": "1e9", "0": "0", "nan": "nan"}))
    add(flag_cases("rosa-run", R_RUN, "--dim", {"1e9": "1e9", "0": "0", "1e13": "1e13"}))
    add(flag_cases("rosa-run", R_RUN, "--sigma", {"nan": "nan", "inf": "inf", "-1": "-1"}))
    add(flag_cases("rosa-run", R_RUN, "--mu", {"nan": "nan", "1.5": "1.5", "0": "0"}))
    add(
        flag_cases(
            "rosa-run",
            R_RUN,
            "--strategies",
            {"shade-nan": "shade:nan", "fixed-inf": "fixed:inf", "bogus": "bogus"},
        )
    )
    add(flag_cases("rosa-run", R_RUN, "--run", {"-1": "-1", "1e999": "1e999"}))
    add(flag_cases("rosa-run", R_RUN, "--check-points", {"1e9": "1e9", "-1": "-1"}))
    add(flag_cases("rosa-run", R_RUN, "--jobs", {"-3": "-3", "0": "0"}))
    add(flag_cases("rosa-run", R_RUN[:-2], "--seed", {"-1": "-1", "1e999": "1e999", "abc": "abc"}))
    # rosa truthfulness
    bids = {
        "N-1e9": "0:0.5:1000000000",
        "N-1e13": "0:0.5:10000000000000",
        "N-0": "0:0.5:0",
        "LO-nan": "nan:0.5:3",
        "HI-inf": "0:inf:3",
        "abc": "abc",
    }
    add(flag_cases("rosa-truthfulness", R_TRUTH, "--bids", bids))
    add(
        flag_cases(
            "rosa-truthfulness",
            R_TRUTH[:-2],
            "--runs",
            {"1e9": "1e9", "1e13": "1e13", "0": "0", "nan": "nan"},
        )
    )
    add(
        flag_cases(
            "rosa-truthfulness", R_TRUTH, "--provider", {"99": "99", "-1": "-1", "nan": "nan"}
        )
    )
    cases.append(
        Case(
            "rosa-truthfulness--seed-2**64-store",
            (
                *R_TRUTH[:-4],
                "--runs",
                "2",
                "--bids",
                "0:0.5:3",
                "--seed",
                HUGE_SEED,
                "--store",
                "s.db",
            ),
        )
    )
    # rosa regret
    add(flag_cases("rosa-regret", R_REGRET, "--points", {"1e13": "1e13", "1": "1"}))
    add(flag_cases("rosa-regret", (*R_REGRET, "--points", "2"), "--runs", {"1e9": "1e9", "0": "0"}))
    regret_wide = (*R_REGRET[:2], "--T-from", "1000", "--seed", "1", "--out", "out")
    cases.append(Case("rosa-regret--T-to-1e13", (*regret_wide, "--T-to", "1e13", "--points", "2")))
    cases.append(
        Case("rosa-regret--points-1e7", (*regret_wide, "--T-to", "1e6", "--points", "10000000"))
    )
    add(flag_cases("rosa-regret", (*R_REGRET, "--points", "2"), "--T-from", {"nan": "nan"}))
    # rosa monotonicity
    add(
        flag_cases(
            "rosa-monotonicity", R_MONO, "--instances", {"1e9": "1e9", "1e13": "1e13", "0": "0"}
        )
    )
    add(flag_cases("rosa-monotonicity", R_MONO, "--points", {"1e9": "1e9", "0": "0"}))
    add(flag_cases("rosa-monotonicity", R_MONO, "--learners", {"bogus": "bogus"}))
    # experiment run flags
    good = {"g.toml": rosa_grid()}
    for name, argv in {
        "jobs-0": (*GRID_RUN, "--jobs", "0"),
        "jobs-abc": (*GRID_RUN, "--jobs", "abc"),
        "executor-bogus": (*GRID_RUN, "--executor", "bogus"),
        "store-empty": (*GRID_RUN[:3], "--store", ""),
        "no-store": GRID_RUN[:3],
    }.items():
        cases.append(Case(f"experiment-run--{name}", argv, files=good))
    for name, store in {"garbage": GARBAGE, "foreign-sqlite": foreign_store}.items():
        cases.append(Case(f"experiment-run--store-{name}", GRID_RUN, files={**good, "s.db": store}))
        cases.append(
            Case(
                f"delegation-sweep--store-{name}",
                (*D_SWEEP, "--store", "s.db"),
                files={"s.db": store},
            )
        )
    cases.append(
        Case(
            "experiment-run--store-directory",
            (*GRID_RUN[:3], "--store", "d"),
            files=good,
            dirs=("d",),
        )
    )
    # dashboard
    add(
        flag_cases(
            "dashboard",
            DASHBOARD,
            "--port",
            {"abc": "abc", "1e13": "1e13", "-1": "-1", "nan": "nan"},
        )
    )
    add(
        flag_cases(
            "dashboard",
            DASHBOARD,
            "--memory-budget",
            {"abc": "abc", "nan": "nan", "-5GB": "-5GB", "0": "0"},
        )
    )
    add(flag_cases("dashboard", DASHBOARD, "--workers", {"0": "0", "-1": "-1", "nan": "nan"}))
    return cases


def file_cases() -> list[Case]:
    """Hostile scenario, records, curves, grid and store files."""
    cases = []

    def hostile_paths(
        prefix: str,
        argv: Callable[[str], tuple[str, ...]],
        name: str,
        valid: Content,
        extra: Mapping[str, Content] | None = None,
    ):
        """The command on a missing file, a folder, /dev/zero, garbage and an unreadable file.

        The unreadable file holds ``valid`` content (with ``extra`` files beside it, a good
        input), so only its permissions are wrong.
        """
        extra = dict(extra or {})
        cases.extend(
            [
                Case(f"{prefix}-missing", argv("missing" + Path(name).suffix), files=extra),
                Case(
                    f"{prefix}-directory",
                    argv("d" + Path(name).suffix),
                    files=extra,
                    dirs=("d" + Path(name).suffix,),
                ),
                Case(f"{prefix}-dev-zero", argv("/dev/zero"), files=extra),
                Case(f"{prefix}-garbage", argv(name), files={**extra, name: GARBAGE}),
                Case(
                    f"{prefix}-unreadable",
                    argv(name),
                    files={**extra, name: valid},
                    unreadable=(name,),
                ),
            ]
        )

    # scenario TOML
    own = {"records.csv": RECORDS.encode()}
    hostile_paths(
        "scenario", lambda p: (*OWN_SCENARIO[:3], p, *OWN_SCENARIO[4:]), "s.toml", scenario(), own
    )
    for name, content in {
        "truncated": TRUNCATED_TOML,
        "nested-arrays": NESTED_ARRAYS,
        "nested-tables": NESTED_TABLE,
        "nested-inline-tables": NESTED_INLINE,
        "empty": b"",
        "unknown-key": scenario(colour='"blue"'),
        "T-text": scenario(T='"abc"'),
        "T-2**64": scenario(T=HUGE_SEED),
        "T-1e13": scenario(T="10000000000000"),
        "T-inf": scenario(T="inf"),
        "eps-nan": scenario(eps="nan"),
        "eta-inf": scenario(eta="-inf"),
        "max_length-0": scenario(max_length="0"),
        "max_length-inf": scenario(max_length="inf"),
        "providers-number": scenario(providers="5").replace(b"[[providers]]", b"[[other]]"),
        "data-dev-zero": scenario(data='"/dev/zero"'),
        "data-missing": scenario(data='"nowhere.csv"'),
    }.items():
        cases.append(Case(f"scenario-{name}", OWN_SCENARIO, files={**own, "s.toml": content}))
    cases.append(
        Case(
            "scenario-2-million-models",
            OWN_SCENARIO,
            files={**own, "s.toml": million_models_scenario},
            seconds=BIG_FILE_SECONDS,
        )
    )
    # records files (through the scenario's data key)
    for name, content in {
        "reward-nan": records(reward="nan"),
        "reward-inf": records(reward="inf"),
        "tokens-inf": records(output_tokens="inf"),
        "tokens-1e999": records(output_tokens="1e999"),
        "query-huge": records(query_id="1" * 5000),
        "10MB-line": long_line_records,
        "garbage": GARBAGE,
    }.items():
        cases.append(
            Case(
                f"records-csv-{name}",
                OWN_SCENARIO,
                files={"records.csv": content, "s.toml": scenario()},
            )
        )
    for suffix in ("jsonl", "parquet"):
        cases.append(
            Case(
                f"records-{suffix}-garbage",
                OWN_SCENARIO,
                files={f"r.{suffix}": GARBAGE, "s.toml": scenario(data=f'"r.{suffix}"')},
            )
        )
    cases.append(
        Case(
            "records-folder-garbage",
            OWN_SCENARIO,
            files={
                "recs/alpha.jsonl": GARBAGE,
                "recs/beta.jsonl": GARBAGE,
                "s.toml": scenario(data='"recs"'),
            },
        )
    )
    cases.append(
        Case(
            "records-jsonl-nan",
            OWN_SCENARIO,
            files={
                "r.jsonl": b'{"model": "alpha", "query_id": 1, "reward": NaN, "output_tokens": 5}\n'
                b'{"model": "beta", "query_id": 1, "reward": 1.0, "output_tokens": Infinity}\n',
                "s.toml": scenario(data='"r.jsonl"'),
            },
        )
    )
    # curves CSV
    good_curves = (CURVES_HEADER + CURVES_ROWS).encode()
    hostile_paths("curves", lambda p: (*T_CURVES[:3], p, *T_CURVES[4:]), "c.csv", good_curves)
    for name, content in {
        "accuracy-nan": curves("GSM8K,m3,False,best_of_n,1,nan,100,1.0"),
        "tokens-inf": curves("GSM8K,m3,False,best_of_n,1,0.5,inf,1.0"),
        "price--inf": curves("GSM8K,m3,False,best_of_n,1,0.5,100,-inf"),
        "theta-1e999": curves("GSM8K,m3,False,best_of_n,1e999,0.5,100,1.0"),
        "10MB-line": long_line_curves,
        "empty": b"",
        "header-only": CURVES_HEADER.encode(),
    }.items():
        cases.append(Case(f"curves-{name}", T_CURVES, files={"c.csv": content}))
    # grid TOML
    hostile_paths("grid", lambda p: (*GRID_RUN[:2], p, *GRID_RUN[3:]), "g.toml", rosa_grid())
    for name, content in {
        "truncated": TRUNCATED_TOML,
        "nested-arrays": NESTED_ARRAYS,
        "nested-tables": NESTED_TABLE,
        "empty": b"",
        "game-unknown": grid("chess", "regret"),
        "kind-unknown": grid("rosa", "tournament"),
        "top-key-unknown": rosa_grid(top="seed = 1\ncolour = 2"),
        "grid-key-unknown": rosa_grid("colour = 2"),
        "grid-not-table": b'game = "rosa"\nkind = "regret"\ngrid = 5\n',
        "seeds-1e9": rosa_grid("T = 10000", top="seeds = 1000000000"),  # weeks of work
        "seeds-1e13": rosa_grid(top="seeds = 10000000000000"),
        "seeds-0": rosa_grid(top="seeds = 0"),
        "seeds-text": rosa_grid(top='seeds = "abc"'),
        "seeds-1.5": rosa_grid(top="seeds = 1.5"),
        "seeds-nan": rosa_grid(top="seeds = nan"),
        "seed-2**64": rosa_grid(top=f"seed = {HUGE_SEED}"),
        "seed-negative": rosa_grid(top="seed = -1"),
        "rosa-T-1e13": rosa_grid("T = 10000000000000"),
        "rosa-providers-1e9": rosa_grid("providers = 1000000000"),
        "rosa-dim-1e9": rosa_grid("dim = 1000000000"),
        "rosa-mu-nan": rosa_grid("mu = nan"),
        "rosa-T-table": rosa_grid("T = {a = 1}"),
        "rosa-T-bool": rosa_grid("T = true"),
        "delegation-T-1e13": grid(
            "delegation", "profiles", 'preset = "cao2026"', "T = 10000000000000"
        ),
        "delegation-eps-inf": grid("delegation", "profiles", 'preset = "cao2026"', "eps = inf"),
        "delegation-preset-number": grid("delegation", "profiles", "preset = 5"),
        "delegation-2-million-T": million_list_grid,
        "delegation-2-million-duplicates": duplicated_list_grid,
        "ttc-users-1e9": grid(
            "ttc", "equilibria", 'preset = "gsm8k-best-of-n"', "users = 1000000000"
        ),
        "ttc-beta-nan": grid("ttc", "equilibria", 'preset = "gsm8k-best-of-n"', "beta = nan"),
        "ttc-user-spread-1e300": grid(
            "ttc", "equilibria", 'preset = "gsm8k-best-of-n"', "users = 100", "user_spread = 1e300"
        ),
    }.items():
        seconds = BIG_FILE_SECONDS if "million" in name else CASE_SECONDS
        cases.append(Case(f"grid-{name}", GRID_RUN, files={"g.toml": content}, seconds=seconds))
    # results
    hostile_paths("results", lambda p: ("results", p), "s.db", store_bytes)
    for name, argv in {
        "filter-T<abc": (*RESULTS, "--filter", "T<abc"),
        "filter-unknown-column": (*RESULTS, "--filter", "colour=1"),
        "filter-malformed": (*RESULTS, "--filter", "nonsense"),
        "table-unknown": (*RESULTS, "--table", "bogus"),
        "experiment-unknown": (*RESULTS, "--experiment", "zzzz"),
        "export-directory": (*RESULTS, "--table", "rosa_regret", "--export", "d.csv"),
        "export-unwritable": (*RESULTS, "--table", "rosa_regret", "--export", "/proc/abuse.csv"),
        "export-suffix": (*RESULTS, "--table", "rosa_regret", "--export", "rows.txt"),
        "empty-path": ("results", ""),
    }.items():
        cases.append(
            Case(
                f"results-{name}", argv, files=STORE, dirs=("d.csv",) if "directory" in name else ()
            )
        )
    cases.append(Case("results-foreign-sqlite", RESULTS, files={"s.db": foreign_store}))
    # dashboard data folder
    cases.append(Case("dashboard--data-dir-missing", (*DASHBOARD, "--data-dir", "nowhere")))
    cases.append(
        Case(
            "dashboard--data-dir-file", (*DASHBOARD, "--data-dir", "f.toml"), files={"f.toml": b"x"}
        )
    )
    return cases


CASES = command_line_cases() + file_cases()
BY_ID = {case.id: case for case in CASES}
assert len(BY_ID) == len(CASES), "case ids are unique"


# ---- running them ---------------------------------------------------------------------------


def case_environment(cache: Path) -> dict[str, str]:
    """The environment of a runner: this worktree first on the path, a cache of its own."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [env.get("PYTHONPATH")])])
    env["XDG_CACHE_HOME"] = str(cache)
    if "MPLCONFIGDIR" not in env and (Path.home() / ".cache" / "matplotlib").is_dir():
        env["MPLCONFIGDIR"] = str(Path.home() / ".cache" / "matplotlib")  # its font cache, built
    env.pop("CI", None)
    return env


def make_inputs(case: Case, folder: Path) -> None:
    """Make the case's working directory and its inputs."""
    folder.mkdir(parents=True)
    for name, content in case.files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(content() if callable(content) else content)
    for name in case.dirs:
        (folder / name).mkdir()
    for name in case.unreadable:
        (folder / name).chmod(0)


def listing(folder: Path) -> list[str]:
    """Every path under ``folder``, relative, sorted."""
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def contents(folder: Path) -> dict[str, str]:
    """Every path under ``folder`` with a digest of its content ("folder" for a folder)."""
    found = {}
    for path in sorted(folder.rglob("*")):
        name = str(path.relative_to(folder))
        if path.is_dir():
            found[name] = "folder"
        else:
            mode = path.stat().st_mode
            path.chmod(mode | 0o400)  # (an unreadable input: root may read it here)
            found[name] = hashlib.sha256(path.read_bytes()).hexdigest()
            path.chmod(mode)
    return found


def tree_memory(pid: int) -> int:
    """The memory of a process and all its descendants now (bytes, proportional set size).

    PSS counts a page shared by n processes (forked workers share most of their parent's) as
    1/n in each, so the sum is what the tree holds, where a sum of resident sets would count
    shared pages once per worker.
    """
    try:
        processes = [psutil.Process(pid)]
        processes += processes[0].children(recursive=True)
    except psutil.Error:
        return 0
    total = 0
    for process in processes:
        try:
            total += process.memory_full_info().pss
        except psutil.Error:
            pass
    return total


def kill_group(pgid: int) -> None:
    """Kill the session a runner leads (the runner and any worker it left)."""
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


class Runner:
    """A runner process (``tests/abuse_runner.py``) and the pipe it reports on."""

    def __init__(self, root: Path, log: Path):
        """Start a runner (its own session, so that it and its workers can be killed)."""
        self.reports, write_end = os.pipe()
        self.log = log
        with open(log, "ab") as log_file:
            command = [sys.executable, str(RUNNER), str(ADDRESS_SPACE), str(write_end)]
            self.process = subprocess.Popen(
                [*without_root_rights(), *command],
                pass_fds=[write_end],
                start_new_session=True,
                stdin=subprocess.PIPE,
                stdout=log_file,
                stderr=log_file,
                env=case_environment(root / "caches" / "runner"),
                cwd=root,
            )
        os.close(write_end)
        self.pending = b""

    def message(self, deadline: float, sample: Callable[[], None]) -> dict | None:
        """The runner's next report (None: it ended), calling ``sample`` every 50 ms meanwhile.

        Past ``deadline`` (``time.monotonic()``) the runner and its workers are killed.
        """
        while b"\n" not in self.pending:
            ready, _, _ = select.select([self.reports], [], [], SAMPLE_SECONDS)
            if ready:
                data = os.read(self.reports, 1 << 16)
                if not data:
                    return None
                self.pending += data
            else:
                sample()
                if time.monotonic() > deadline:
                    kill_group(self.process.pid)
        line, self.pending = self.pending.split(b"\n", 1)
        return json.loads(line)

    def close(self) -> int:
        """Stop the runner (and anything it left); its exit code."""
        if self.process.returncode is not None:
            return self.process.returncode
        try:
            self.process.stdin.close()
        except BrokenPipeError:
            pass
        try:
            self.process.wait(timeout=KILL_GRACE)
        except subprocess.TimeoutExpired:
            kill_group(self.process.pid)
        kill_group(self.process.pid)
        os.close(self.reports)
        return self.process.wait()


def run_case(runner: Runner, case: Case, root: Path) -> dict:
    """Send one case to the runner and wait for its result (or for the runner's end)."""
    request = {
        "id": case.id,
        "argv": list(case.argv),
        "cwd": str(root / "cases" / case.id),
        "env": {"XDG_CACHE_HOME": str(root / "caches" / case.id)},
        "seconds": case.seconds,
    }
    runner.process.stdin.write((json.dumps(request) + "\n").encode())
    runner.process.stdin.flush()
    started, peak = time.monotonic(), 0

    def sample() -> None:
        nonlocal peak
        peak = max(peak, tree_memory(runner.process.pid))

    deadline = started + case.seconds + KILL_GRACE
    while (message := runner.message(deadline, sample)) is not None:
        if "result" in message:
            result = message["result"]
            result["tree_peak_bytes"] = peak
            return result
    code = runner.close()
    return {  # the runner died (or was killed) during this case
        "id": case.id,
        "code": code,
        "outcome": f"runner ended by signal {-code}" if code < 0 else f"runner exited {code}",
        "seconds": round(time.monotonic() - started, 3),
        "peak_kib": 0,
        "children_peak_kib": 0,
        "tree_peak_bytes": peak,
        "stderr": None,
        "stdout": None,
        "restart": True,
    }


def run_lane(
    cases: queue.SimpleQueue, root: Path, lane: int, runner: Runner | None = None
) -> dict[str, dict]:
    """Take cases from the shared queue until it is empty; a fresh runner after a bad case.

    ``runner``, if given, is the lane's first runner, started already (while the inputs were
    made); the lane waits for it to be ready like for any runner it starts.
    """
    results: dict[str, dict] = {}
    log, fresh = root / f"runner{lane}.log", runner is not None
    while True:
        try:
            case = cases.get_nowait()
        except queue.Empty:
            break
        if runner is None:
            runner, fresh = Runner(root, log), True
        if fresh:
            fresh = False
            if runner.message(time.monotonic() + 120, lambda: None) is None:
                runner.close()
                raise RuntimeError(f"the abuse runner did not start: {log.read_text()[-3000:]}")
        results[case.id] = result = run_case(runner, case, root)
        if result["restart"]:
            runner.close()
            runner = None
    if runner is not None:
        runner.close()
    return results


def without_root_rights() -> list[str]:
    """A prefix that runs a command as root without its right to read any file.

    Root reads files whatever their permissions say; without ``CAP_DAC_OVERRIDE`` and
    ``CAP_DAC_READ_SEARCH`` it reads what an ordinary owner could, so the unreadable-file cases
    test what they say (and nothing else changes: root still owns every file it made).
    """
    if os.geteuid() != 0:
        return []
    if shutil.which("setpriv") is None:
        pytest.skip("running as root without setpriv (util-linux): unreadable files are not")
    return ["setpriv", "--bounding-set=-dac_override,-dac_read_search"]


def selected_cases(session) -> list[Case]:
    """The cases whose tests this session runs (all of them unless ``-k`` chose some)."""
    wanted = set()
    for item in session.items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        if isinstance(params.get("case"), Case):
            wanted.add(params["case"].id)
        if "case_id" in params:
            wanted.add(params["case_id"])
    return [case for case in CASES if case.id in wanted]


@pytest.fixture(scope="session")
def corpus(request):
    """The selected cases run: results by id, the inputs each made, the cases' root folder."""
    cases = selected_cases(request.session)
    root = Path(tempfile.mkdtemp(prefix="abuse-corpus-"))
    (root / "caches" / "runner").mkdir(parents=True)
    runners: list[Runner] = []
    try:
        for lane in range(LANES):  # (importing the commands while the inputs are made)
            runners.append(Runner(root, root / f"runner{lane}.log"))
        inputs = {}
        for case in cases:
            make_inputs(case, root / "cases" / case.id)
            (root / "caches" / case.id).mkdir(parents=True)
            inputs[case.id] = contents(root / "cases" / case.id)
        shared = queue.SimpleQueue()
        for case in sorted(cases, key=lambda c: -c.seconds):  # the longest first
            shared.put(case)
        with ThreadPoolExecutor(LANES) as pool:
            futures = [
                pool.submit(run_lane, shared, root, lane, runner)
                for lane, runner in enumerate(runners)
            ]
            results = {}
            for future in futures:
                results.update(future.result())
        if os.environ.get("ABUSE_CORPUS_REPORT"):  # every result as JSON, for a report
            Path(os.environ["ABUSE_CORPUS_REPORT"]).write_text(json.dumps(results, indent=1))
        yield {"results": results, "inputs": inputs, "root": root}
    finally:
        for runner in runners:  # (each lane closed its own; this closes one a failure left)
            runner.close()
        shutil.rmtree(root, ignore_errors=True)


def problems(case: Case, result: dict, root: Path, inputs: dict[str, str]) -> list[str]:
    """What the case did wrong (empty: a clean refusal)."""
    found = []
    if result["code"] != 2:
        found.append(f"exit code {result['code']} ({result['outcome']}, {result['seconds']} s)")
    err = result["stderr"]
    if err is not None:
        if err["traceback"]:
            found.append("a traceback on stderr")
        if err["nonempty_lines"] != 1 or err["lines"] != 1:
            found.append(f"{err['lines']} stderr lines")
        if err["longest"] >= LONGEST_LINE:
            found.append(f"a {err['longest']:,}-character stderr line")
    now = contents(root / "cases" / case.id)
    written = sorted(set(now) - set(inputs)) + listing(root / "caches" / case.id)
    missing = sorted(set(inputs) - set(now))
    changed = sorted(name for name in set(now) & set(inputs) if now[name] != inputs[name])
    if written:
        found.append(f"files written: {', '.join(written)[:300]}")
    if missing or changed:
        found.append(f"inputs removed {missing} or changed {changed}")
    peak = max(
        result["tree_peak_bytes"], 1024 * max(result["peak_kib"], result["children_peak_kib"])
    )
    if peak >= MEMORY_LIMIT:
        found.append(f"peak memory {peak / 2**20:,.0f} MiB")
    return found


def described(result: dict) -> str:
    """The case's stderr, shortly: its first line and, for a traceback, its last two."""
    err = result["stderr"] or {"head": "(runner killed)", "tail": "", "bytes": 0}
    shown = err["head"].strip().splitlines()[:1]
    if err.get("traceback"):
        shown += err["tail"].strip().splitlines()[-2:]
    return f"stderr ({err['bytes']:,} bytes): {' | '.join(line[:300] for line in shown)!r}"


@pytest.mark.slow
@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_hostile_input_is_refused_in_one_line(case, corpus):
    result = corpus["results"][case.id]
    found = problems(case, result, corpus["root"], corpus["inputs"][case.id])
    assert not found, (
        f"llm-market {' '.join(case.argv)[:200]}: {'; '.join(found)}; {described(result)}"
    )


# ---- the real console script ----------------------------------------------------------------

SAMPLE = (
    "delegation-run--T-abc",  # argparse-free value check
    "ttc-analyze--max-profiles-nan",  # argparse's own type check
    "grid-truncated",  # a malformed file
    "results-table-unknown",  # a store
    "grid-nested-arrays",  # a hostile file
)


@pytest.mark.parametrize("case_id", SAMPLE)
def test_console_script_matches_the_in_process_harness(case_id, corpus, tmp_path):
    case = BY_ID[case_id]
    folder = tmp_path / "case"
    make_inputs(case, folder)
    script = Path(sys.executable).parent / "llm-market"
    command = [str(script)] if script.exists() else [sys.executable, "-m", "market"]
    done = subprocess.run(
        [*without_root_rights(), "prlimit", f"--as={ADDRESS_SPACE}", *command, *case.argv],
        cwd=folder,
        env=case_environment(tmp_path / "cache"),
        capture_output=True,
        timeout=60,
    )
    in_process = corpus["results"][case_id]
    text = done.stderr.decode("utf-8", "replace")
    expected = in_process["stderr"]
    assert done.returncode == in_process["code"]
    assert ("Traceback (most recent call last)" in text) == expected["traceback"]
    assert text.splitlines()[:1] == expected["head"].splitlines()[:1]
    if not expected["traceback"]:  # (a traceback in process has the runner's frames too)
        assert len(text.splitlines()) == expected["lines"]
    inputs = set(corpus["inputs"][case_id])
    assert (
        set(listing(folder)) - inputs == set(listing(corpus["root"] / "cases" / case_id)) - inputs
    )


def test_the_corpus_is_large():
    assert len(CASES) >= 100
