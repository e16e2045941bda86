"""A tab's session and the server's shared resources, without a browser.

The session's worker is the only thread that touches a model; the page reads published views.
These tests drive sessions the way the page's controls do (requests that return at once) and
check what a page would see: one-line errors, Step/Play/Pause/Reset at any speed, frames
dropped rather than queued, a closed tab releasing its model, thread and memory, the memory
budget's refusals and the shared pool's line.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from app import capacity
from app.capacity import Demand, MemoryBudget, Turns, WorkPool, largest_fitting
from app.games import delegation as dg
from app.session import HEAVY_BYTES, Session, user_message
from market.core.errors import UserInputError


def wait_until(condition, timeout: float = 30.0):
    """Poll ``condition`` until it is truthy (the worker is a thread)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.01)
    raise AssertionError("timed out")


def resources(budget: int = 10**12, workers: int = 1, slots: int = 2) -> capacity.Server:
    """Private shared resources (tests never touch the process's own)."""
    return capacity.Server(MemoryBudget(budget), WorkPool(workers), Turns(slots))


@dataclass
class Counter:
    """A model that counts its steps and stops after ``n`` (or raises at step ``fail_at``)."""

    n: int
    fail_at: int = 0
    pause: float = 0.0
    steps: int = 0
    running: bool = True

    def step(self):
        if self.pause:
            time.sleep(self.pause)
        self.steps += 1
        if self.steps == self.fail_at:
            raise RuntimeError("the model broke")
        self.running = self.steps < self.n


@dataclass(frozen=True)
class CounterFrame:
    steps: int
    running: bool


def counter_session(n=50, fail_at=0, pause=0.0, demand=None, shared=None, speed=0.0) -> Session:
    """A session of a :class:`Counter` model, playing as fast as possible unless told."""

    def build(settings):
        if settings == "bad":
            raise UserInputError("T", "a positive integer", "-3")
        return Counter(n, fail_at, pause)

    session = Session(
        build,
        lambda model: CounterFrame(model.steps, model.running),
        model_of=lambda model: model,
        demand=demand,
        resources=shared or resources(),
    )
    session.set_speed(speed)
    return session


def settled(session: Session):
    """The view once the session is idle (built, not playing, not busy)."""
    return wait_until(
        lambda: (v := session.view()).frame is not None and not v.busy and not v.playing and v
    )


def test_a_mistake_is_one_line_and_no_model():
    session = counter_session()
    session.configure("bad")
    view = wait_until(lambda: session.view().error and session.view())
    assert view.error == "T: expected a positive integer, got '-3'"
    assert view.frame is None and not view.running
    session.close()


def test_a_model_failure_while_stepping_is_one_line_and_stops_the_run():
    session = counter_session(n=100, fail_at=3)
    session.configure("ok")
    settled(session)
    session.play()
    view = wait_until(lambda: session.view().error and session.view())
    assert view.error == "RuntimeError: the model broke"
    wait_until(lambda: not session.view().playing)
    session.close()


def test_step_play_pause_reset():
    session = counter_session(n=1_000_000, pause=0.001)
    session.configure("ok")
    assert settled(session).frame.steps == 0
    session.step()
    session.step()
    assert wait_until(lambda: session.view().frame.steps == 2)
    session.play()
    wait_until(lambda: session.view().frame.steps > 20)
    session.pause()
    wait_until(lambda: not session.view().playing)
    paused = session.view().frame.steps
    time.sleep(0.3)
    assert session.view().frame.steps == paused  # a pause holds
    session.reset()
    assert wait_until(lambda: (v := session.view()).frame.steps == 0 and not v.busy)
    session.close()


def test_play_runs_to_the_end_and_stops():
    session = counter_session(n=500)
    session.configure("ok")
    settled(session)
    session.play()
    view = wait_until(lambda: not (v := session.view()).running and not v.playing and v)
    assert view.frame.steps == 500 and not view.frame.running
    session.step()  # a finished run does not step
    time.sleep(0.1)
    assert session.view().frame.steps == 500
    session.close()


@pytest.mark.slow
@pytest.mark.parametrize("speed", [5.0, 20.0])
def test_a_speed_is_never_exceeded(speed):
    session = counter_session(n=1_000_000, speed=speed)
    session.configure("ok")
    settled(session)
    started = time.monotonic()
    session.play()
    time.sleep(1.0)
    session.pause()
    elapsed = time.monotonic() - started
    wait_until(lambda: not session.view().playing)
    steps = session.view().frame.steps
    assert 1 <= steps <= speed * elapsed + 1
    session.close()


def test_frames_are_dropped_not_queued():
    session = counter_session(n=1_000_000)
    session.configure("ok")
    settled(session)
    before = session.view().version
    started = time.monotonic()
    session.play()
    time.sleep(0.5)
    session.pause()
    wait_until(lambda: not session.view().playing)
    elapsed = time.monotonic() - started
    steps, versions = session.view().frame.steps, session.view().version - before
    assert steps > 1000  # thousands of steps ...
    assert versions <= elapsed / 0.05 + 5  # ... shown as at most 20 views a second
    session.close()


def test_a_closed_session_ends_its_worker_and_gives_its_memory_back():
    shared = resources(budget=10_000)
    session = counter_session(n=10**9, demand=lambda s: Demand(4_000), shared=shared)
    session.configure("ok")
    settled(session)
    session.play()
    assert shared.budget.in_use == 4_000
    worker = session.worker
    session.close()
    worker.join(5)
    assert not worker.is_alive()
    assert session.run is None and session.view().frame is None
    assert shared.budget.in_use == 0


def test_the_budget_refuses_a_model_naming_the_field_and_the_largest_that_fits():
    shared = resources(budget=10_000)
    shared.budget.hold(Demand(6_000))  # another session's model

    def demand(settings):
        users = int(settings)
        return Demand(100 * users, "Number of user agents", settings, lambda n: 100 * n, 10**6)

    session = counter_session(demand=demand, shared=shared)
    session.configure("50")
    view = wait_until(lambda: session.view().error and session.view())
    assert view.error.startswith(
        "Number of user agents: expected at most 40 on this server now, got '50'"
    )
    assert "\n" not in view.error
    session.configure("40")
    assert settled(session).error == ""
    session.close()


def test_a_heavy_model_waits_its_turn_on_the_shared_pool():
    shared = resources(workers=1)
    release = threading.Event()
    blocker = shared.pool.submit(lambda: release.wait(30))
    session = counter_session(demand=lambda s: Demand(HEAVY_BYTES), shared=shared)
    session.configure("ok")
    assert wait_until(lambda: "number 1 in line" in session.view().busy)
    release.set()
    blocker.wait(5)
    assert settled(session).frame.steps == 0
    session.close()


def test_stepping_and_playing_give_the_same_run():
    settings = dg.DelegationSettings(T="200000", batch="20000", seed="7")
    stepped, played = (Session(dg.build_run, dg.snapshot, resources=resources()) for _ in "ab")
    for session in (stepped, played):
        session.set_speed(0)
        session.configure(settings)
        settled(session)
    for _ in range(200):
        if not stepped.view().running:
            break
        before = stepped.view().frame.steps
        stepped.step()
        wait_until(lambda b=before: stepped.view().frame.steps > b or not stepped.view().running)
    played.play()
    wait_until(lambda: not (v := played.view()).running and not v.playing)
    a, b = stepped.view().frame, played.view().frame
    assert a.steps == b.steps
    for name in a.series:
        np.testing.assert_array_equal(a.series[name], b.series[name])
    assert a.numbers == b.numbers
    stepped.close()
    played.close()


def test_user_message_is_one_line():
    error = ValueError("first\nsecond   third")
    assert user_message(error) == "ValueError: first second third"


# ---- the server's shared resources ---------------------------------------------------------


@given(
    st.integers(0, 10**6),
    st.integers(1, 1000),
    st.integers(0, 10**4),
    st.integers(0, 10**7),
)
def test_largest_fitting_is_the_largest_value_that_fits(fixed, per_unit, upper, free):
    def bytes_at(n):
        return fixed + per_unit * n

    largest = largest_fitting(bytes_at, free, upper)
    assert 0 <= largest <= upper
    if bytes_at(0) <= free:
        assert bytes_at(largest) <= free
        assert largest == upper or bytes_at(largest + 1) > free


def test_a_budget_holds_and_releases_once():
    budget = MemoryBudget(100)
    hold = budget.hold(Demand(60))
    with pytest.raises(UserInputError, match="size: expected a smaller run"):
        budget.hold(Demand(50))
    hold.release()
    hold.release()
    assert budget.in_use == 0
    budget.hold(Demand(100))


def test_the_pool_serves_in_order_and_says_each_place_in_line():
    pool = WorkPool(1)
    release = threading.Event()
    order = []
    first = pool.submit(lambda: release.wait(30))
    jobs = [pool.submit(lambda i=i: order.append(i)) for i in range(3)]
    wait_until(lambda: first.state == capacity.Job.RUNNING)
    assert [job.position for job in jobs] == [1, 2, 3]
    jobs[1].cancel()
    assert [jobs[0].position, jobs[2].position] == [1, 2]
    release.set()
    for job in (jobs[0], jobs[2]):
        assert job.wait(10)
    assert order == [0, 2]
    assert jobs[1].state == capacity.Job.CANCELLED


def test_a_failing_job_reports_its_error_and_releases_its_memory():
    budget, pool = MemoryBudget(100), WorkPool(1)
    job = pool.submit(lambda: 1 / 0, budget.hold(Demand(80)))
    assert job.wait(10)
    assert isinstance(job.error, ZeroDivisionError)
    assert budget.in_use == 0


def test_turns_never_let_more_than_their_slots_step_at_once():
    turns = Turns(2)
    inside, most = [0], [0]
    lock = threading.Lock()

    def play():
        for _ in range(20):
            with turns.turn():
                with lock:
                    inside[0] += 1
                    most[0] = max(most[0], inside[0])
                time.sleep(0.001)
                with lock:
                    inside[0] -= 1

    threads = [threading.Thread(target=play) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert most[0] == 2
