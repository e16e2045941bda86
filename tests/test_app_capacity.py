"""The dashboard pages' memory demands against the server's budget (no browser).

Each page prices its run before building it (``market/<game>/footprint.py``); a server whose
budget is full refuses the run in one line naming the field and the largest value that fits.
"""

from __future__ import annotations

import time

from app import capacity
from app.capacity import MemoryBudget, Turns, WorkPool
from app.games import delegation as dg
from app.games import ttc as tg
from app.games.rosa import RosaSettings
from app.games.rosa import memory_demand as rosa_demand
from app.session import HEAVY_BYTES, Session
from market.delegation import footprint as delegation_footprint
from market.ttc import footprint as ttc_footprint


def wait_for_error(session: Session) -> str:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if session.view().error:
            return session.view().error
        time.sleep(0.02)
    raise AssertionError("no error shown")


def test_a_full_server_refuses_a_delegation_run_naming_t_and_the_largest_that_fits():
    budget = 60 * 1024**2
    shared = capacity.Server(MemoryBudget(budget), WorkPool(1), Turns(1))
    session = Session(dg.build_run, dg.snapshot, demand=dg.memory_demand, resources=shared)
    session.configure(dg.DelegationSettings(T="100000000"))
    error = wait_for_error(session)
    free = budget - shared.budget.in_use
    largest = int(error.split("at most ")[1].split(" on this server")[0].replace(",", ""))
    K, batch = 3, 10_000
    assert delegation_footprint.model_bytes(largest, K, batch) <= free
    assert delegation_footprint.model_bytes(largest + 1, K, batch) > free
    assert error.startswith(f"T: expected at most {largest:,} on this server now, got '100000000'")
    session.close()


def test_large_user_populations_are_heavy_and_two_do_not_fit_in_3_gb():
    settings = tg.TTCSettings(
        preset="gsm8k-best-of-n", beta="1000", users="heterogeneous agents", n_users="550000"
    )
    demand = tg.memory_demand(settings)
    game, _ = tg.build_game(settings)
    assert demand.nbytes == ttc_footprint.model_bytes(game.n_providers, game.n_levels, 550_000)
    assert demand.nbytes >= HEAVY_BYTES  # built on the shared pool, its place in line shown
    budget = MemoryBudget(3 * 1024**3)
    budget.hold(demand)
    try:
        budget.hold(demand)
    except ValueError as error:
        assert str(error).startswith("Number of user agents: expected at most ")
    else:
        raise AssertionError("a second population of 550,000 users fitted in 3 GB")


def test_aggregate_users_and_small_runs_are_light():
    assert tg.memory_demand(tg.TTCSettings()).nbytes < HEAVY_BYTES
    assert dg.memory_demand(dg.DelegationSettings()).nbytes < HEAVY_BYTES
    assert rosa_demand(RosaSettings()).nbytes < HEAVY_BYTES
