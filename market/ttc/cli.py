"""``llm-market ttc``: the test-time compute game (Velasco et al. 2026) from the command line.

Sub-commands:
    analyze      the equilibrium the dynamics reach, its price of anarchy, the exact maximum
                 welfare, the number of pure equilibria and the auction's outcome (``--json``).
    dynamics     Figure 2: levels over iterations with the inefficiency curve, and market shares.
    sweep-beta   the price of anarchy at the reached equilibrium against beta (log-spaced).
    compare      Table 2: the market at equilibrium against the reverse second-price auction.

Every user mistake raises :class:`market.core.errors.UserInputError` (one line, exit code 2),
and all input is validated and everything computed before any output file is written. Output
files are written into a temporary directory next to ``--out`` and moved into place only once
all of them exist, so a failure leaves nothing half-written.

JSON contract of ``analyze --json`` (one object):
    ``seed`` (the root seed used), ``profiles`` (``L^N``), ``max_profiles``,
    ``game`` {source, providers, levels, beta (a number or "inf"), v0, approximate},
    ``equilibrium`` {providers, levels, thetas, shares, user_value, price, prices,
    provider_utility, welfare, poa, poa_infinite, steps, moves, is_equilibrium},
    ``max_welfare`` {welfare, levels, thetas} (an object: the exact maximum welfare and a
    profile reaching it), ``pure_equilibria`` (a count, or null when ``L^N`` exceeds
    ``max_profiles``), ``auction`` {winner, runner_up, payment, user_value, winner_utility,
    welfare, winner_theta, bids}, and ``note`` when the curves are approximate.
    ``poa`` is ``max W / W(theta)`` (Eq. 9) when the equilibrium welfare is positive; when it is
    ``<= 0`` the PoA is infinite: ``poa`` is null and ``poa_infinite`` is true (otherwise false).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import shutil
import sys
import tempfile
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from market.core.errors import UserInputError

APPROXIMATE_NOTE = "approximate (digitised curves)"
DEFAULT_BETA = "1000"
DEFAULT_MAX_PROFILES = 20_000_000  # 6^9 = 10M profiles take about 1.5 s
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
    _out_option(sweep)
    sweep.set_defaults(handler=sweep_beta_command)

    compare = commands.add_parser("compare", help="Table 2: market vs auction (CSV and table)")
    _game_options(compare)
    _dynamics_options(compare)
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
    parser.add_argument("--margin", type=str, help="profit margin over cost (default 0.25)")
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
        default="nearest-improving",
        help="better-response rule: nearest-improving (the authors'), best-response, "
        "random-improving (default nearest-improving)",
    )
    parser.add_argument(
        "--schedule",
        default="random-sweep",
        help="who may revise each round: random-sweep, uniform, round-robin",
    )
    parser.add_argument("--seed", type=str, default="0", help="root random seed (default 0)")


def _out_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", required=True, help="output directory (created if missing)")


# ---- parsing values -----------------------------------------------------------------------


def parse_beta(text: str, field: str = "beta") -> float:
    """``inf`` (perfect rationality) or a finite positive number.

    Only the words ``inf``/``infinity``/``perfect`` mean perfect rationality: a number too large
    for a float (``1e400``) is refused rather than silently read as ``inf``.
    """
    from mechanisms.ttc.game import validate_beta

    cleaned = str(text).strip().lower()
    if cleaned in PERFECT_WORDS:
        return math.inf
    try:
        value = float(cleaned)
    except ValueError:
        raise UserInputError(field, "a positive number or inf", text) from None
    if not math.isfinite(value):
        raise UserInputError(
            field, "a finite positive number (write inf for perfect rationality)", text
        )
    return validate_beta(value, field)


def parse_number(text: str | None, field: str, *, positive: bool = False) -> float | None:
    """A finite float (``None`` stays ``None``)."""
    if text is None:
        return None
    try:
        value = float(text)
    except ValueError:
        raise UserInputError(field, "a number", text) from None
    if not math.isfinite(value) or (positive and value <= 0):
        raise UserInputError(
            field, "a finite positive number" if positive else "a finite number", text
        )
    return value


def parse_seed(text: str) -> int:
    """A non-negative integer seed."""
    try:
        seed = int(text)
    except ValueError:
        raise UserInputError("seed", "a non-negative integer", text) from None
    if seed < 0:
        raise UserInputError("seed", "a non-negative integer", text)
    return seed


def parse_betas(text: str) -> np.ndarray:
    """``LO:HI:N`` -> N log-spaced betas from LO to HI (``0 < LO <= HI``, ``N >= 1``)."""
    parts = str(text).split(":")
    if len(parts) != 3:
        raise UserInputError("betas", "LO:HI:N (e.g. 1:1e6:100)", text)
    low, high = (parse_beta(p, "betas") for p in parts[:2])
    if math.isinf(low) or math.isinf(high) or high < low:
        raise UserInputError("betas", "finite 0 < LO <= HI in LO:HI:N", text)
    try:
        count = int(parts[2])
    except ValueError:
        raise UserInputError("betas", "an integer N >= 1 in LO:HI:N", text) from None
    if count < 1:
        raise UserInputError("betas", "an integer N >= 1 in LO:HI:N", text)
    return np.geomspace(low, high, count)


def dynamics_rule(name: str) -> str:
    """A registered better-response strategy name (the rules that end at an equilibrium)."""
    from agents.ttc.strategies import PROVIDER_STRATEGIES

    rules = [c.name for c in PROVIDER_STRATEGIES.filter(lambda c: c.get("better_response"))]
    if name not in rules:
        raise UserInputError("dynamics", f"one of {', '.join(rules)}", name)
    return name


def schedule_name(name: str) -> str:
    """A known revision schedule."""
    from market.ttc.model import SCHEDULES

    if name not in SCHEDULES:
        raise UserInputError("schedule", f"one of {', '.join(SCHEDULES)}", name)
    return name


OUT_EXPECTED = "a writable directory (created if missing; its parent must be a directory)"


def output_dir(text: str) -> Path:
    """The output directory, checked before any work.

    It must not be an existing file, and its nearest existing ancestor must be a writable
    directory (so ``--out some_file/sub`` fails here, not after the computation).
    """
    path = Path(text)
    if path.exists() and not path.is_dir():
        raise UserInputError("out", "a directory (not an existing file)", text)
    ancestor = path.absolute()
    while not ancestor.exists():
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise UserInputError("out", OUT_EXPECTED, text, note=f"{ancestor} is a file")
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise UserInputError("out", OUT_EXPECTED, text, note=f"{ancestor} is not writable")
    return path


@contextlib.contextmanager
def staged_output(out: Path) -> Iterator[Path]:
    """Write every output file into a temporary directory, then move them all into ``out``.

    The files are written inside a fresh temporary directory created in ``out``'s nearest
    existing ancestor (same file system, nothing new created on the way); only when the block
    finishes without error is ``out`` created and each file moved in with an atomic
    ``os.replace``. Any error removes the temporary directory, so
    nothing half-written is left behind. File-system errors become ``UserInputError`` on
    ``out``.
    """
    ancestor = out.absolute()
    while not ancestor.exists():
        ancestor = ancestor.parent
    try:
        staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=ancestor))
    except OSError as error:
        raise UserInputError("out", OUT_EXPECTED, str(out), note=str(error)) from None
    try:
        yield staging
        out.mkdir(parents=True, exist_ok=True)
        for item in sorted(staging.iterdir()):
            os.replace(item, out / item.name)
    except OSError as error:
        raise UserInputError("out", OUT_EXPECTED, str(out), note=str(error)) from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)


# ---- building the game --------------------------------------------------------------------


@dataclass(frozen=True)
class GameSpec:
    """What the user asked for and the game built from it."""

    game: Any
    source: str
    beta: float
    warnings: tuple[str, ...]


def build_game(args: argparse.Namespace, beta: float | None = None) -> GameSpec:
    """The game of ``--scenario`` or ``--curves/--benchmark/--method`` and the economics flags.

    Warnings (e.g. the paper's assumption 2 failing) are collected to be printed once.
    """
    from market.ttc.curves import game_from_curves, get_scenario, load_curves

    beta = parse_beta(args.beta) if beta is None else beta
    v0 = parse_number(args.v0, "v0")
    alpha = parse_number(args.alpha, "alpha", positive=True)
    margin = parse_number(args.margin, "margin", positive=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if args.scenario is not None:
            if args.benchmark or args.method or args.models:
                raise UserInputError(
                    "scenario",
                    "no --benchmark/--method/--models with --scenario",
                    args.scenario,
                )
            scenario = get_scenario(args.scenario)
            game = scenario.build(beta=beta, v0=v0, alpha=alpha, margin=margin)
            source = f"scenario {scenario.name}"
        else:
            if not args.benchmark or not args.method:
                raise UserInputError(
                    "curves", "--benchmark and --method with --curves", args.curves
                )
            curves = load_curves(args.curves)
            models = None
            if args.models:
                models = [m.strip() for m in args.models.split(",") if m.strip()]
            game = game_from_curves(
                curves,
                args.benchmark,
                args.method,
                alpha=alpha,
                margin=0.25 if margin is None else margin,
                v0=v0,
                beta=beta,
                models=models,
            )
            source = f"curves {args.curves} ({args.benchmark}, {args.method})"
    notes = tuple(str(w.message) for w in caught)
    return GameSpec(game=game, source=source, beta=beta, warnings=notes)


def _announce(spec: GameSpec) -> None:
    for note in spec.warnings:
        print(f"llm-market: warning: {note}", file=sys.stderr)


# ---- computing ----------------------------------------------------------------------------


def user_population(game: Any, args: argparse.Namespace) -> Any:
    """The simulated users of ``--users N --user-spread S`` (None without ``--users``)."""
    from agents.ttc.strategies import UserPopulation

    try:
        n_users = int(getattr(args, "users", "0"))
    except ValueError:
        raise UserInputError("users", "a non-negative integer", args.users) from None
    if n_users < 0:
        raise UserInputError("users", "a non-negative integer", args.users)
    spread = parse_number(getattr(args, "user_spread", "0"), "user-spread")
    if spread < 0:
        raise UserInputError("user-spread", "a standard deviation >= 0", args.user_spread)
    if n_users == 0:
        return None
    if spread == 0:
        return UserPopulation.identical(n_users, game.beta, v0=game.v0)
    from market.ttc.model import population_seed

    rng = np.random.default_rng(population_seed(parse_seed(args.seed)))
    return UserPopulation.heterogeneous(
        n_users, rng, beta=game.beta, weight_spread=spread, beta_spread=spread, v0=game.v0
    )


def run_dynamics(game: Any, args: argparse.Namespace, *, collect: bool) -> Any:
    """The Mesa model run to its equilibrium with the chosen rule, schedule and seed."""
    from market.ttc.model import TTCMarket

    model = TTCMarket(
        game,
        strategy=dynamics_rule(args.dynamics),
        schedule=schedule_name(args.schedule),
        users=user_population(game, args),
        collect=collect,
        rng=parse_seed(args.seed),
    )
    return model.run_to_equilibrium()


def _number(x: float) -> float | None:
    """JSON-safe float: non-finite values become null."""
    x = float(x)
    return x if math.isfinite(x) else None


def _beta_json(beta: float) -> float | str:
    return "inf" if math.isinf(beta) else beta


def equilibrium_record(game: Any, model: Any) -> dict[str, Any]:
    """The ``equilibrium`` object of ``analyze --json``."""
    from market.ttc.analysis import price_of_anarchy

    state, profile = model.state, model.profile
    poa = price_of_anarchy(game, profile)
    return {
        "providers": list(game.providers),
        "levels": list(profile),
        "thetas": [float(game.levels[k]) for k in profile],
        "shares": [float(s) for s in state.shares],
        "user_value": state.user_value,
        "price": state.price,
        "prices": [float(p) for p in state.prices],
        "provider_utility": [float(u) for u in state.provider_utility],
        "welfare": state.welfare,
        "poa": _number(poa),
        "poa_infinite": math.isinf(poa),
        "steps": int(model.steps),
        "moves": int(model.moves),
        "is_equilibrium": bool(model.equilibrium_reached),
    }


def auction_record(game: Any) -> dict[str, Any]:
    """The ``auction`` object: every provider bids truthfully (Theorem 5)."""
    from mechanisms.ttc.game import run_auction, truthful_bids

    bids = truthful_bids(game)
    outcome = run_auction(game, bids)
    return {
        "winner": game.providers[outcome.winner],
        "runner_up": game.providers[outcome.runner_up],
        "payment": outcome.payment,
        "user_value": outcome.user_value,
        "winner_utility": outcome.winner_utility,
        "welfare": outcome.welfare,
        "winner_theta": float(game.levels[bids[outcome.winner].level]),
        "bids": [
            {"provider": p, "theta": float(game.levels[b.level]), "price": b.price}
            for p, b in zip(game.providers, bids, strict=True)
        ],
    }


def analysis_record(spec: GameSpec, model: Any, max_profiles: int) -> dict[str, Any]:
    """Everything ``analyze`` reports, as one JSON-ready dict."""
    from market.ttc.analysis import max_welfare, n_profiles, pure_equilibria

    game = spec.game
    optimum = max_welfare(game)
    count = None
    if n_profiles(game) <= max_profiles:
        count = len(pure_equilibria(game, max_profiles=max_profiles))
    record = {
        "seed": int(model.seed),
        "profiles": n_profiles(game),
        "max_profiles": max_profiles,
        "game": {
            "source": spec.source,
            "providers": list(game.providers),
            "levels": [float(t) for t in game.levels],
            "beta": _beta_json(game.beta),
            "v0": game.v0,
            "approximate": bool(game.approximate),
        },
        "equilibrium": equilibrium_record(game, model),
        "max_welfare": {
            "welfare": optimum.welfare,
            "levels": list(optimum.profile),
            "thetas": [float(game.levels[k]) for k in optimum.profile],
        },
        "pure_equilibria": count,
        "auction": auction_record(game),
    }
    if game.approximate:
        record["note"] = APPROXIMATE_NOTE
    return record


def sweep_frame(game: Any, betas: np.ndarray, args: argparse.Namespace) -> pd.DataFrame:
    """Final PoA (exact maximum welfare over the reached equilibrium's welfare) per beta."""
    from market.ttc.analysis import max_welfare

    rows = []
    for beta in betas:
        game_b = game.with_beta(float(beta))
        model = run_dynamics(game_b, args, collect=False)
        best = max_welfare(game_b).welfare
        welfare = model.state.welfare
        rows.append(
            {
                "beta": float(beta),
                "poa": best / welfare if welfare > 0 else math.inf,
                "max_welfare": best,
                "welfare": welfare,
                "steps": int(model.steps),
                "is_equilibrium": bool(model.equilibrium_reached),
                **{
                    f"theta[{p}]": t
                    for p, t in zip(game.providers, model.state.thetas, strict=True)
                },
            }
        )
    return pd.DataFrame(rows)


def comparison_frame(game: Any, model: Any) -> pd.DataFrame:
    """Table 2: user value, price, provider utility (total) and welfare, market vs auction."""
    auction = auction_record(game)
    state = model.state
    market = {
        "user_value": state.user_value,
        "price": state.price,
        "provider_utility": float(sum(state.provider_utility)),
        "welfare": state.welfare,
    }
    auctioned = {
        "user_value": auction["user_value"],
        "price": auction["payment"],
        "provider_utility": auction["winner_utility"],
        "welfare": auction["welfare"],
    }
    rows = []
    for quantity in market:
        g, a = market[quantity], auctioned[quantity]
        change = 100.0 * (a - g) / abs(g) if g != 0 else math.nan
        rows.append({"quantity": quantity, "game": g, "auction": a, "change_pct": change})
    return pd.DataFrame(rows)


# ---- writing ------------------------------------------------------------------------------


def _write_note(out: Path, spec: GameSpec, extra: dict[str, Any]) -> None:
    meta = {
        "source": spec.source,
        "providers": list(spec.game.providers),
        "beta": _beta_json(spec.game.beta),
        "v0": spec.game.v0,
        "approximate": bool(spec.game.approximate),
        **extra,
    }
    if spec.game.approximate:
        meta["note"] = APPROXIMATE_NOTE
    (out / "meta.json").write_text(json.dumps(meta, indent=2, allow_nan=False) + "\n")


def _say_approximate(spec: GameSpec) -> None:
    if spec.game.approximate:
        print(f"note: {APPROXIMATE_NOTE}")


def _fmt(x: float) -> str:
    if math.isnan(x):
        return "n/a (no exact maximum for simulated users)"
    return f"{x:.6g}" if math.isfinite(x) else str(x)


# ---- handlers -----------------------------------------------------------------------------


def analyze_command(args: argparse.Namespace) -> int:
    """``llm-market ttc analyze``."""
    if args.max_profiles < 0:
        raise UserInputError("max-profiles", "a non-negative integer", args.max_profiles)
    spec = build_game(args)
    dynamics_rule(args.dynamics)
    schedule_name(args.schedule)
    parse_seed(args.seed)
    _announce(spec)
    model = run_dynamics(spec.game, args, collect=False)
    record = analysis_record(spec, model, args.max_profiles)
    if args.json:
        print(json.dumps(record, allow_nan=False))
        return 0
    game, eq, auction = spec.game, record["equilibrium"], record["auction"]
    print(f"TTC game: {spec.source}; beta = {record['game']['beta']}, V_0 = {game.v0:g}")
    _say_approximate(spec)
    print(
        f"dynamics ({args.dynamics}, seed {args.seed}): {eq['steps']} steps, {eq['moves']} "
        f"moves, pure Nash equilibrium: {'yes' if eq['is_equilibrium'] else 'NO'}"
    )
    print(f"{'provider':<24}{'theta':>10}{'share':>12}{'utility':>14}")
    for k, name in enumerate(eq["providers"]):
        print(
            f"{name:<24}{eq['thetas'][k]:>10g}{eq['shares'][k]:>12.4g}"
            f"{eq['provider_utility'][k]:>14.4g}"
        )
    print(
        f"user value {_fmt(eq['user_value'])}, price {_fmt(eq['price'])}, "
        f"welfare {_fmt(eq['welfare'])}"
    )
    poa = eq["poa"]
    print(
        f"max welfare {_fmt(record['max_welfare']['welfare'])} at thetas "
        f"{record['max_welfare']['thetas']}; price of anarchy "
        f"{_fmt(poa) if poa is not None else 'inf'}"
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
        f"{_fmt(auction['payment'])}, user value {_fmt(auction['user_value'])}, winner utility "
        f"{_fmt(auction['winner_utility'])}, welfare {_fmt(auction['welfare'])}"
    )
    return 0


def dynamics_command(args: argparse.Namespace) -> int:
    """``llm-market ttc dynamics``: Figure 2 as CSV and PNG."""
    from market.ttc.plots import plot_dynamics

    out = output_dir(args.out)
    spec = build_game(args)
    user_population(spec.game, args)  # validate before running
    _announce(spec)
    model = run_dynamics(spec.game, args, collect=True)
    history = model.history()
    title = f"Better-response dynamics, {spec.source}, beta = {_beta_json(spec.game.beta)}"
    with staged_output(out) as staging:
        history.to_csv(staging / "dynamics.csv", index=False)
        plot_dynamics(
            history,
            spec.game.providers,
            staging / "dynamics.png",
            title=title,
            approximate=spec.game.approximate,
        )
        _write_note(
            staging,
            spec,
            {
                "dynamics": args.dynamics,
                "seed": int(model.seed),
                "steps": int(model.steps),
                "is_equilibrium": bool(model.equilibrium_reached),
                "final_inefficiency": _number(model.state.inefficiency),
                "users": model.users.n_users if model.users is not None else 0,
            },
        )
    _say_approximate(spec)
    print(
        f"{model.steps} steps, pure Nash equilibrium: "
        f"{'yes' if model.equilibrium_reached else 'NO'}, final max W / W = "
        f"{_fmt(model.state.inefficiency)}"
    )
    print(f"wrote {out / 'dynamics.csv'}, {out / 'dynamics.png'}")
    return 0


def sweep_beta_command(args: argparse.Namespace) -> int:
    """``llm-market ttc sweep-beta``: final PoA against log-spaced beta, CSV and PNG."""
    from market.ttc.plots import plot_poa_vs_beta

    if args.beta is not None:
        raise UserInputError(
            "beta", "no --beta with sweep-beta (the betas come from --betas LO:HI:N)", args.beta
        )
    out = output_dir(args.out)
    betas = parse_betas(args.betas)
    spec = build_game(args, beta=float(betas[0]))
    dynamics_rule(args.dynamics)
    schedule_name(args.schedule)
    parse_seed(args.seed)
    _announce(spec)
    frame = sweep_frame(spec.game, betas, args)
    with staged_output(out) as staging:
        frame.to_csv(staging / "sweep_beta.csv", index=False)
        plot_poa_vs_beta(
            frame,
            staging / "poa_vs_beta.png",
            title=f"Price of anarchy against beta, {spec.source}",
            approximate=spec.game.approximate,
        )
        _write_note(
            staging,
            spec,
            {"betas": args.betas, "dynamics": args.dynamics, "seed": parse_seed(args.seed)},
        )
    _say_approximate(spec)
    finite = frame["poa"][np.isfinite(frame["poa"])]
    print(
        f"{len(frame)} betas from {_fmt(betas[0])} to {_fmt(betas[-1])}: PoA from "
        f"{_fmt(finite.min())} to {_fmt(finite.max())}; all equilibria verified: "
        f"{'yes' if frame['is_equilibrium'].all() else 'NO'}"
    )
    print(f"wrote {out / 'sweep_beta.csv'}, {out / 'poa_vs_beta.png'}")
    return 0


def compare_command(args: argparse.Namespace) -> int:
    """``llm-market ttc compare``: Table 2 as CSV and a printed table."""
    out = output_dir(args.out)
    spec = build_game(args)
    _announce(spec)
    model = run_dynamics(spec.game, args, collect=False)
    table = comparison_frame(spec.game, model)
    with staged_output(out) as staging:
        table.to_csv(staging / "table2.csv", index=False)
        _write_note(
            staging,
            spec,
            {
                "dynamics": args.dynamics,
                "seed": int(model.seed),
                "is_equilibrium": bool(model.equilibrium_reached),
            },
        )
    scale = 1e3 if table[["game", "auction"]].abs().to_numpy().max() < 0.1 else 1.0
    unit = "USD x 1e-3" if scale != 1.0 else "USD"
    print(
        f"Table 2: market at equilibrium (beta = {_beta_json(spec.game.beta)}) vs auction, "
        f"{spec.source} ({unit})"
    )
    _say_approximate(spec)
    print(f"{'':<18}{'game G':>12}{'auction':>12}{'change':>10}")
    for row in table.itertuples():
        print(
            f"{row.quantity:<18}{row.game * scale:>12.4g}{row.auction * scale:>12.4g}"
            f"{row.change_pct:>9.1f}%"
        )
    print(f"wrote {out / 'table2.csv'}")
    return 0
