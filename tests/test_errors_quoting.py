"""UserInputError quotes at most a short prefix of an offending value, cheaply."""

import time

from market.core.errors import QUOTED_CHARACTERS, UserInputError, quoted


def test_a_short_value_is_quoted_whole():
    assert (
        str(UserInputError("--bids", "LO:HI:N", "0:0.5")) == "--bids: expected LO:HI:N, got '0:0.5'"
    )
    assert quoted(5) == "5" and quoted([1, 2]) == "[1, 2]"


def test_a_long_text_is_cut_and_says_its_length():
    text = quoted("x" * 1_000_000)
    assert text.endswith("…(1,000,002 characters)")
    assert len(text) < QUOTED_CHARACTERS + 30


def test_a_huge_list_is_cut_before_its_repr_is_made():
    values = list(range(2_000_000)) * 2
    started = time.perf_counter()
    message = str(UserInputError("grid.toml: grid.T", "distinct values", values))
    assert time.perf_counter() - started < 0.05
    assert message.endswith("…(4,000,000 items)") and len(message) < 300
    mapping = quoted({i: i for i in range(10_000)})
    assert mapping.startswith("{0: 0, 1: 1") and mapping.endswith("…(10,000 items)")


def test_a_long_note_is_cut_too():
    error = UserInputError("f", "e", note="word " * 10_000)
    assert len(str(error)) < 700 and str(error).count("\n") == 0
