"""market.core.pricing: limits from the environment, refusals naming the flag, long work said."""

import pytest

from market.core import pricing
from market.core.errors import UserInputError
from market.core.pricing import Limit, Size
from market.core.values import split_range

GB = 1024**3


def test_memory_limit_is_half_the_machine_unless_the_environment_says(monkeypatch):
    monkeypatch.delenv(pricing.MEMORY_VARIABLE, raising=False)
    assert pricing.memory_limit() == int(pricing.physical_memory() * 0.5)
    monkeypatch.setenv(pricing.MEMORY_VARIABLE, "3GB")
    assert pricing.memory_limit() == 3 * GB
    monkeypatch.setenv(pricing.MEMORY_VARIABLE, "500 MiB")
    assert pricing.memory_limit() == 500 * 1024**2
    monkeypatch.setenv(pricing.MEMORY_VARIABLE, "lots")
    with pytest.raises(UserInputError, match=pricing.MEMORY_VARIABLE):
        pricing.memory_limit()


def test_work_limit_is_a_week_unless_the_environment_says(monkeypatch):
    monkeypatch.delenv(pricing.WORK_VARIABLE, raising=False)
    assert pricing.work_limit() == 7 * 24 * 3600
    for text, seconds in (("12h", 43200), ("30m", 1800), ("2d", 172800), ("90", 90)):
        monkeypatch.setenv(pricing.WORK_VARIABLE, text)
        assert pricing.work_limit() == seconds
    monkeypatch.setenv(pricing.WORK_VARIABLE, "forever")
    with pytest.raises(UserInputError, match=pricing.WORK_VARIABLE):
        pricing.work_limit()


def test_largest_fitting_is_exact_on_huge_ranges():
    assert pricing.largest_fitting(lambda v: v * 8 <= 2400, 1, 10**30) == 300
    assert pricing.largest_fitting(lambda v: True, 1, 10**30) == 10**30
    assert pricing.largest_fitting(lambda v: False, 1, 10**30) == 0


def test_a_refusal_names_the_flag_the_largest_value_and_the_estimate(monkeypatch):
    monkeypatch.setenv(pricing.MEMORY_VARIABLE, "8GB")
    sizes = [Size("--bids", "0:0.5:1000000000", 10**9, "bid points", typical=21)]
    limit = pricing.memory(lambda s: 1024 * s["--bids"])
    with pytest.raises(UserInputError) as refused:
        pricing.check(sizes, [limit])
    message = str(refused.value)
    assert message.startswith("--bids: expected at most 8,388,608 bid points on this machine")
    assert "got '0:0.5:1000000000'" in message
    assert "about 954 GB of memory" in message or "about 953.7 GB of memory" in message
    assert "the limit is 8.0 GB, set LLM_MARKET_MEMORY_LIMIT to change it" in message
    assert pricing.check([Size("--bids", "21", 21, "bid points")], [limit]).estimates == (21504,)


def test_the_size_blamed_is_the_one_furthest_above_its_default(monkeypatch):
    monkeypatch.setenv(pricing.MEMORY_VARIABLE, "1GB")
    sizes = [
        Size("--runs", "2", 2, "runs", typical=200),
        Size("--bids", "1e9", 10**9, "bid points", typical=21),
    ]
    limit = pricing.memory(lambda s: 10 * s["--runs"] * s["--bids"])
    with pytest.raises(UserInputError, match=r"^--bids: expected at most 53,687,091 bid"):
        pricing.check(sizes, [limit])


def test_the_largest_value_named_fits_every_limit(monkeypatch):
    monkeypatch.setenv(pricing.MEMORY_VARIABLE, "1GB")
    sizes = [Size("--points", "1e6", 10**6, "points")]
    roomy = pricing.memory(lambda s: s["--points"])  # fits
    tight = Limit(lambda s: s["--points"], 1000, lambda v: f"{v:g} units", "at most 1000 units")
    with pytest.raises(UserInputError, match=r"at most 1,000 points.*1e\+06 units"):
        pricing.check(sizes, [roomy, tight])


def test_a_size_that_cannot_fit_alone_asks_for_fewer(monkeypatch):
    monkeypatch.setenv(pricing.MEMORY_VARIABLE, "1GB")
    sizes = [Size("--seeds", "1", 1, "seeds"), Size("--T", "1e8", 10**8, "queries", typical=10**6)]
    limit = pricing.memory(lambda s: 10**12 + s["--seeds"] * s["--T"])
    with pytest.raises(
        UserInputError, match=r"^--T: expected fewer queries \(or smaller --seeds\)"
    ):
        pricing.check(sizes, [limit])


def test_work_is_wall_clock_time_on_the_workers(monkeypatch):
    monkeypatch.setenv(pricing.WORK_VARIABLE, "1h")
    monkeypatch.setattr(pricing, "cores", lambda: 2)
    limit = pricing.work(lambda s: 3 * 3600 * s["--seeds"], workers=2)  # 1.5 h a seed on 2
    with pytest.raises(UserInputError, match=r"--seeds: expected fewer.*90 min of work on 2 cores"):
        pricing.check([Size("--seeds", "1", 1, "seeds")], [limit])
    assert pricing.check([Size("--seeds", "1", 1, "seeds")], [pricing.work(lambda s: 60)])


def test_long_work_is_announced_before_it_starts(capsys):
    pricing.announce_long_work(5, "quick")
    pricing.announce_long_work(4000, "rosa regret")
    err = capsys.readouterr().err
    assert err == "llm-market: rosa regret: about 67 min of work (an estimate)\n"


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (40, "40 s"),
        (1.5, "1.5 s"),
        (600, "10 min"),
        (3 * 3600, "3.0 h"),
        (8 * 86400, "8 days"),
        (1e9, "32 years"),
    ],
)
def test_durations_for_people(seconds, text):
    assert pricing.duration_text(seconds) == text


def test_ranges_read_n_without_building_anything():
    assert split_range("0:0.5:1e12", "--bids", "0:0.5:21") == ("0", "0.5", 10**12)
    for bad in ("0:0.5:nan", "0:0.5:inf", "0:0.5:1e999", "0:0.5:0", "0:0.5:2.5"):
        with pytest.raises(UserInputError, match=r"^--bids: expected an integer N >= 1"):
            split_range(bad, "--bids", "0:0.5:21")
