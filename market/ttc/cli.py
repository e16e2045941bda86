"""``llm-market ttc``: the test-time compute game (Velasco et al. 2026) from the command line.

Sub-commands:
    analyze      the equilibrium the dynamics reach, its price of anarchy, the exact maximum
                 welfare, the number of pure equilibria and the auction's outcome (``--json``).
    dynamics     Figure 2: levels over iterations with the inefficiency curve, and market shares.
    sweep-beta   the price of anarchy at the reached equilibrium against beta (log-spaced).
    compare      Table 2: the market at equilibrium against the reverse second-price auction.

This module only parses text, calls :mod:`market.ttc.runs`, prints and writes files. Every user
mistake raises :class:`market.core.errors.UserInputError` (one line, exit code 2); everything is
computed and rendered before :func:`market.core.output.write_outputs` writes all the files at
once, so a failure leaves nothing half-written.

The JSON of ``analyze --json`` is :meth:`market.ttc.results.Analysis.json_record`.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from typing import Any

import numpy as np

from market.core.cli import engine_from_args, engine_options
from market.core.errors import UserInputError
from market.core.output import (
    csv_bytes,
    json_bytes,
    json_number,
    output_dir,
    png_bytes,
    write_outputs,
)
from market.core.parallel import progress_wanted
from market.core.values import number, optional_number
from market.ttc import plots, runs
from market.ttc.curves import APPROXIMATE_NOTE
from market.ttc.economy import DEFAULT_MARGIN
from market.ttc.model import SCHEDULES
from market.ttc.pricing import analyze_price, betas_of, users_of
from market.ttc.resolve import parse_beta
from market.ttc.results import GameSpec, beta_json
from mechanisms.ttc.optimum import DEFAULT_MAX_PROFILES

DEFAULT_BETA = f"{runs.DEFAULT_BETA:g}"
PERFECT_WORDS = ("inf", "+inf", "infinity", "+infinity", "perfect")
JSON_CONTRACT = (
    "analyze --json prints one object: seed, profiles, max_profiles, game {...}, equilibrium "
    "{levels, thetas, shares, prices, welfare, poa, poa_infinite, ...}, max_welfare {welfare, "
    "levels, thetas} (an object), pure_equilibria (count or null), auction {...}. poa is null "
    "and poa_infinite true when the equilibrium welfare is <= 0 (infinite PoA)."
)


# ---- parser -------------------------------------------------------------------------------


def register(games: argparse._SubParsersAction) -> None:
    """Add the ``ttc`` sub-commands."""
    ttc = games.add_parser(
        "ttc",
        help="test-time compute games and the reverse second-price auction (Velasco et al. 2026)",
        description="Test-time compute games (Velasco et al. 2026): better-response dynamics, "
        "equilibria, price of anarchy and the reverse second-price auction.",
    )
    commands = ttc.add_subparsers(dest="ttc_command", required=True, metavar="COMMAND")

    analyze = commands.add_parser(
        "analyze",
        help="equilibrium, PoA, max welfare and auction",
        epilog=JSON_CONTRACT,
    )
    _game_options(analyze)
    _dynamics_options(analyze)
    analyze.add_argument(
        "--max-profiles",
        type=int,
        default=DEFAULT_MAX_PROFILES,
        help="enumerate all pure equilibria only up to this many profiles (else null; "
        f"default {DEFAULT_MAX_PROFILES})",
    )
    analyze.add_argument("--json", action="store_true", help="print one JSON object")
    analyze.set_defaults(handler=analyze_command)

    dynamics = commands.add_parser("dynamics", help="Figure 2 (CSV and PNG)")
    _game_options(dynamics)
    _dynamics_options(dynamics)
    dynamics.add_argument(
        "--users",
        type=str,
        default="0",
        help="simulate this many user agents whose choices make the shares (default 0: the "
        "paper's share function)",
    )
    dynamics.add_argument(
        "--user-spread",
        type=str,
        default="0",
        help="heterogeneous users: standard deviation of log value per accuracy point and of "
        "log rationality (default 0: identical users)",
    )
    dynamics.add_argument("--json", action="store_true", help="print one JSON object")
    _out_option(dynamics)
    dynamics.set_defaults(handler=dynamics_command)

    sweep = commands.add_parser("sweep-beta", help="PoA against beta (CSV and PNG)")
    _game_options(sweep, beta=False)
    _dynamics_options(sweep)
    sweep.add_argument(
        "--betas",
        default="1:1e6:100",
        help="LO:HI:N, N log-spaced values from LO to HI (default 1:1e6:100, as in the paper)",
    )
    engine_options(sweep)
    sweep.add_argument("--json", action="store_true", help="print one JSON object")
    _out_option(sweep)
    sweep.set_defaults(handler=sweep_beta_command)

    compare = commands.add_parser("compare", help="Table 2: market vs auction (CSV and table)")
    _game_options(compare)
    _dynamics_options(compare)
    compare.add_argument("--json", action="store_true", help="print one JSON object")
    _out_option(compare)
    compare.set_defaults(handler=compare_command)


def _game_options(parser: argparse.ArgumentParser, *, beta: bool = True) -> None:
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--scenario", help="a named preset (e.g. intro-example, gsm8k-best-of-n)")
    source.add_argument("--curves", help="a curves CSV file (with --benchmark and --method)")
    parser.add_argument("--benchmark", help="benchmark in the curves file (e.g. GSM8K)")
    parser.add_argument("--method", help="TTC method in the curves file (e.g. best_of_n)")
    parser.add_argument("--models", help="comma-separated subset of models (curves only)")
    parser.add_argument("--alpha", type=str, help="USD per unit of accuracy (default by benchmark)")
    parser.add_argument(
        "--margin", type=str, help=f"profit margin over cost (default {DEFAULT_MARGIN:g})"
    )
    parser.add_argument(
        "--v0",
        type=str,
        default="0",
        help="abstention value V_0 (default 0); write a negative value with '=', e.g. "
        "--v0=-1e-3, or argparse reads it as an option",
    )
    if not beta:  # sweep-beta takes its betas from --betas; --beta is refused with a message
        parser.add_argument("--beta", type=str, default=None, help=argparse.SUPPRESS)
        return
    parser.add_argument(
        "--beta",
        type=str,
        default=DEFAULT_BETA,
        help=f"user rationality > 0, or inf for perfect rationality (default {DEFAULT_BETA}, "
        "the paper's Figure 2 and Table 2)",
    )


def _dynamics_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--dynamics",
        default=runs.DEFAULT_RULE,
        help="better-response rule: nearest-improving (the authors'), best-response, "
        f"random-improving (default {runs.DEFAULT_RULE})",
    )
    parser.add_argument(
        "--schedule",
        default=runs.DEFAULT_SCHEDULE,
        help=f"who may revise each round: {', '.join(SCHEDULES)}",
    )
    parser.add_argument(
        "--seed",
        default=str(runs.DEFAULT_SEED),
        help=f"root random seed (default {runs.DEFAULT_SEED}, as in Python and the dashboard)",
    )


def _out_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", required=True, help="output directory (created if missing)")


# ---- parsing text -------------------------------------------------------------------------


def game_spec(args: argparse.Namespace, beta: float | None = None) -> GameSpec:
    """The game of ``--scenario`` or ``--curves/--benchmark/--method`` and the economics flags."""
    beta = parse_beta(args.beta, "--beta") if beta is None else beta
    v0 = number(args.v0, "--v0")
    alpha = optional_number(args.alpha, "--alpha")
    margin = optional_number(args.margin, "--margin")
    models = None
    if args.models:
        models = [m.strip() for m in args.models.split(",") if m.strip()]
    return runs.build_game(
        preset=args.scenario,
        curves=args.curves,
        benchmark=args.benchmark,
        method=args.method,
        models=models,
        alpha=alpha,
        margin=margin,
        v0=v0,
        beta=beta,
    )


def announce(spec: GameSpec) -> None:
    """Print the warnings raised while building the game, once, on stderr."""
    for note in spec.warnings:
        print(f"llm-market: warning: {note}", file=sys.stderr)


def say_approximate(spec: GameSpec) -> None:
    """Say so when the game comes from digitised curves."""
    if spec.game.approximate:
        print(f"note: {APPROXIMATE_NOTE}")


def meta_json(spec: GameSpec, extra: dict[str, Any]) -> bytes:
    """``meta.json``: where the game came from, its beta and V_0, and the run's settings."""
    meta = {
        "source": spec.source,
        "providers": list(spec.game.providers),
        "beta": beta_json(spec.game.beta),
        "v0": spec.game.v0,
        "approximate": bool(spec.game.approximate),
        **extra,
    }
    if spec.game.approximate:
        meta["note"] = APPROXIMATE_NOTE
    return json_bytes(meta)


def print_json(command: str, extra: dict, out, files) -> int:
    """``--json``: one object with the command, its settings and the files written."""
    print(json.dumps({"command": command, **extra, "files": [str(out / f) for f in files]}))
    return 0


def fmt(x: float) -> str:
    """A number for people; NaN (no exact maximum with simulated users) says so."""
    if math.isnan(x):
        return "n/a (no exact maximum for simulated users)"
    return f"{x:.6g}" if math.isfinite(x) else str(x)


def yes_no(flag: bool) -> str:
    """``yes`` or ``NO``."""
    return "yes" if flag else "NO"


# ---- handlers -----------------------------------------------------------------------------


def analyze_command(args: argparse.Namespace) -> int:
    """``llm-market ttc analyze``."""
    spec = game_spec(args)
    analyze_price(args, spec.game)
    analysis = runs.analyze(
        spec.game, spec.source, args.dynamics, args.schedule, args.seed, args.max_profiles
    )
    announce(spec)
    record = analysis.json_record()
    if args.json:
        print(json.dumps(record, allow_nan=False))
        return 0
    game, eq, auction = spec.game, record["equilibrium"], record["auction"]
    print(f"TTC game: {spec.source}; beta = {record['game']['beta']}, V_0 = {game.v0:g}")
    say_approximate(spec)
    print(
        f"dynamics ({analysis.rule}, seed {analysis.seed}): {eq['steps']} steps, {eq['moves']} "
        f"moves, pure Nash equilibrium: {yes_no(eq['is_equilibrium'])}"
    )
    print(f"{'provider':<24}{'theta':>10}{'share':>12}{'utility':>14}")
    for k, name in enumerate(eq["providers"]):
        print(
            f"{name:<24}{eq['thetas'][k]:>10g}{eq['shares'][k]:>12.4g}"
            f"{eq['provider_utility'][k]:>14.4g}"
        )
    money = (eq["user_value"], eq["price"], eq["welfare"])
    print("user value {}, price {}, welfare {}".format(*map(fmt, money)))
    poa = eq["poa"]
    print(
        f"max welfare {fmt(record['max_welfare']['welfare'])} at thetas "
        f"{record['max_welfare']['thetas']}; price of anarchy "
        f"{fmt(poa) if poa is not None else 'inf'}"
    )
    count = record["pure_equilibria"]
    if count is None:
        count = (
            f"not enumerated: {record['profiles']:,} profiles is more than --max-profiles "
            f"{record['max_profiles']:,}"
        )
    print(f"pure equilibria: {count}")
    print(
        f"auction: {auction['winner']} wins (runner-up {auction['runner_up']}), payment "
        f"{fmt(auction['payment'])}, user value {fmt(auction['user_value'])}, winner utility "
        f"{fmt(auction['winner_utility'])}, welfare {fmt(auction['welfare'])}"
    )
    return 0


def dynamics_command(args: argparse.Namespace) -> int:
    """``llm-market ttc dynamics``: Figure 2 as CSV and PNG."""
    out = output_dir(args.out)
    spec = game_spec(args)
    users, spread = users_of(args, spec.game)
    run = runs.dynamics(spec.game, args.dynamics, args.schedule, args.seed, users, spread)
    announce(spec)
    title = f"Better-response dynamics, {spec.source}, beta = {beta_json(spec.game.beta)}"
    figure = plots.plot_dynamics(
        run.history, spec.game.providers, title=title, approximate=spec.game.approximate
    )
    extra = {
        "dynamics": run.rule,
        "seed": run.seed,
        "steps": run.steps,
        "is_equilibrium": run.equilibrium_reached,
        "final_inefficiency": json_number(run.final.inefficiency),
        "users": run.n_users,
    }
    files = {
        "dynamics.csv": csv_bytes(run.history),
        "dynamics.png": png_bytes(figure),
        "meta.json": meta_json(spec, extra),
    }
    write_outputs(out, files)
    if args.json:
        return print_json("ttc dynamics", extra, out, files)
    say_approximate(spec)
    print(
        f"{run.steps} steps, pure Nash equilibrium: {yes_no(run.equilibrium_reached)}, "
        f"final max W / W = {fmt(run.final.inefficiency)}"
    )
    print(f"wrote {out / 'dynamics.csv'}, {out / 'dynamics.png'}")
    return 0


def sweep_beta_command(args: argparse.Namespace) -> int:
    """``llm-market ttc sweep-beta``: final PoA against log-spaced beta, CSV and PNG."""
    if args.beta is not None:
        raise UserInputError(
            "--beta", "no --beta with sweep-beta (the betas come from --betas LO:HI:N)", args.beta
        )
    out = output_dir(args.out)
    spec, betas, price = betas_of(args, game_spec)
    engine = engine_from_args(args, progress_wanted())
    sweep = runs.sweep_beta(
        spec, betas, args.dynamics, args.schedule, args.seed, engine=engine, priced=price
    )
    announce(spec)
    table = sweep.table
    figure = plots.plot_poa_vs_beta(
        table,
        title=f"Price of anarchy against beta, {spec.source}",
        approximate=spec.game.approximate,
    )
    extra = {"betas": args.betas, "dynamics": args.dynamics, "seed": sweep.seed}
    files = {
        "sweep_beta.csv": csv_bytes(table),
        "poa_vs_beta.png": png_bytes(figure),
        "meta.json": meta_json(spec, extra),
    }
    write_outputs(out, files)
    if args.json:
        return print_json("ttc sweep-beta", extra, out, files)
    say_approximate(spec)
    finite = table["poa"][np.isfinite(table["poa"])]
    print(
        f"{len(table)} betas from {fmt(betas[0])} to {fmt(betas[-1])}: PoA from "
        f"{fmt(finite.min())} to {fmt(finite.max())}; all equilibria verified: "
        f"{yes_no(table['is_equilibrium'].all())}"
    )
    print(f"wrote {out / 'sweep_beta.csv'}, {out / 'poa_vs_beta.png'}")
    return 0


def compare_command(args: argparse.Namespace) -> int:
    """``llm-market ttc compare``: Table 2 as CSV and a printed table."""
    out = output_dir(args.out)
    spec = game_spec(args)
    comparison = runs.compare(spec.game, args.dynamics, args.schedule, args.seed)
    announce(spec)
    table = comparison.table
    extra = {
        "dynamics": args.dynamics,
        "seed": comparison.seed,
        "is_equilibrium": comparison.is_equilibrium,
    }
    files = {"table2.csv": csv_bytes(table), "meta.json": meta_json(spec, extra)}
    write_outputs(out, files)
    if args.json:
        return print_json("ttc compare", extra, out, files)
    scale = 1e3 if table[["game", "auction"]].abs().to_numpy().max() < 0.1 else 1.0
    unit = "USD x 1e-3" if scale != 1.0 else "USD"
    print(
        f"Table 2: market at equilibrium (beta = {beta_json(spec.game.beta)}) vs auction, "
        f"{spec.source} ({unit})"
    )
    say_approximate(spec)
    print(f"{'':<18}{'game G':>12}{'auction':>12}{'change':>10}")
    for row in table.itertuples():
        print(
            f"{row.quantity:<18}{row.game * scale:>12.4g}{row.auction * scale:>12.4g}"
            f"{row.change_pct:>9.1f}%"
        )
    print(f"wrote {out / 'table2.csv'}")
    return 0
