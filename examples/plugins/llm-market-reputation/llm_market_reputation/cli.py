"""``llm-market reputation``: the reputation market from the command line (an example game).

Sub-commands:
    run       one run of a preset: every provider's strategy, honest rounds, queries, profit
              and final rating (``--json`` for the record's ``to_dict()``; ``--out DIR``
              writes ``run.json``, ``history.csv`` and ``run.png``).
    presets   the named scenarios.

This module only parses text, prices the run (:mod:`llm_market_reputation.pricing`), calls
:mod:`llm_market_reputation.runs` and prints. Every user mistake, and a run past the memory,
work or exact-count limit, raises :class:`market.core.errors.UserInputError`, which
``llm-market`` prints as one line with exit code 2; a long run shows a progress bar on a
terminal.

References:
    An example game of the llm-market tutorial (``docs/adding-a-game.md``); not from a paper.
"""

from __future__ import annotations

import argparse
import json

from market.core import pricing
from market.core.output import csv_bytes, json_bytes, output_dir, png_bytes, write_outputs

#: Options of ``run`` that change a scenario field (flag -> field).
SETTING_FLAGS = {
    "mechanism": "mechanism",
    "strategies": "strategies",
    "rounds": "rounds",
    "queries": "queries",
    "exploration": "exploration",
    "rating_noise": "rating_noise",
    "memory": "memory",
}


def register(games: argparse._SubParsersAction) -> None:
    """Add the ``reputation`` sub-commands."""
    game = games.add_parser(
        "reputation",
        help="a reputation market: honest or cheap service, routing by ratings (example)",
        description="A reputation market (an example plugin game, not from a paper): providers "
        "serve honestly or cheaply, users rate, the platform routes queries by rating.",
    )
    commands = game.add_subparsers(dest="reputation_command", required=True, metavar="COMMAND")
    run = commands.add_parser("run", help="one run of a preset")
    run.add_argument("--preset", default="honest-vs-cheap", help="a named scenario")
    run.add_argument("--mechanism", help="uniform or rating-rank (default: the preset's)")
    run.add_argument("--strategies", help="one strategy per provider, comma-separated")
    run.add_argument("--rounds", help="rounds T (default: the preset's)")
    run.add_argument("--queries", help="queries per round N (default: the preset's)")
    run.add_argument("--exploration", help="share of queries routed uniformly (0 to 1)")
    run.add_argument("--rating-noise", help="standard deviation of one rating")
    run.add_argument("--memory", help="weight kept of last round's ratings (0 to 1]")
    run.add_argument("--seed", default="42", help="the root seed (default 42)")
    run.add_argument("--json", action="store_true", help="print the record as JSON")
    run.add_argument(
        "--out", default=None, help="output directory for run.json, history.csv, run.png"
    )
    run.set_defaults(handler=run_command)
    presets = commands.add_parser("presets", help="list the named scenarios")
    presets.set_defaults(handler=presets_command)


def run_command(args: argparse.Namespace) -> int:
    """``reputation run``: priced, run (a progress bar when long), printed and written."""
    from market.core.parallel import progress_wanted

    from llm_market_reputation.pricing import CLI_FLAGS, run_price
    from llm_market_reputation.runs import run_model
    from llm_market_reputation.scenarios import scenario_named

    settings = {field: getattr(args, flag) for flag, field in SETTING_FLAGS.items()}
    settings = {k: v for k, v in settings.items() if v}
    price = run_price(scenario_named(args.preset).with_settings(**settings), settings, CLI_FLAGS)
    pricing.announce_long_work(price.estimates[1], "reputation run")
    out = output_dir(args.out) if args.out is not None else None
    model = run_model(args.preset, seed=args.seed, progress=progress_wanted(), **settings)
    result = model.result()
    written = write_outputs(out, run_files(model, result)) if out is not None else []
    if args.json:
        print(json.dumps(result.to_dict(), indent=2))
        return 0
    print(result.summary())
    print(
        result.to_frame()
        .drop(columns=["preset", "mechanism", "seed", "rounds"])
        .to_string(index=False, float_format=lambda v: f"{v:,.3f}")
    )
    for path in written:
        print(f"wrote {path}")
    return 0


def run_files(model, result) -> dict[str, bytes]:
    """``run.json`` (the record), ``history.csv`` (the DataCollector's rows), ``run.png``."""
    from llm_market_reputation.plots import run_figure

    title = f"{result.preset} under {result.mechanism}, seed {result.seed}"
    figure = run_figure(model.history(), model.settings.strategies, title)
    return {
        "run.json": json_bytes(result.to_dict()),
        "history.csv": csv_bytes(model.history()),
        "run.png": png_bytes(figure),
    }


def presets_command(args: argparse.Namespace) -> int:
    """``reputation presets``."""
    from llm_market_reputation.scenarios import SCENARIOS

    for preset in SCENARIOS:
        s = preset.scenario
        print(f"{s.name:<18} {s.mechanism:<12} {','.join(s.strategies):<32} {s.description}")
    return 0
