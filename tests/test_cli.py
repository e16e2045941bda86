"""The top-level CLI: usage mistakes are one line on stderr with exit code 2."""

import pytest

from market.games import main


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["nonsense"],
        ["delegation", "run", "--scenario", "cao2026"],  # --strategies missing
        ["delegation", "run", "--scenario", "cao2026", "--strategies", "ours", "--T", "many"],
        ["ttc", "analyze"],  # --scenario or --curves missing
    ],
)
def test_usage_mistakes_are_one_line_and_exit_2(argv, capsys):
    try:
        code = main(argv)
    except SystemExit as exit_info:  # argparse's own checks
        code = exit_info.code
    assert code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "error:" in err


def test_user_input_errors_are_one_line_and_exit_2(capsys):
    assert main(["delegation", "run", "--scenario", "cao2026", "--strategies", "sneaky"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("llm-market: error: --strategies: ") and err.count("\n") == 1
