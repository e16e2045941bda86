"""``llm-market delegation``: the delegation game (Cao et al. 2026) from the command line.

Sub-commands:
    run      one strategy profile: a readable summary, or with ``--json`` one JSON object
             (:meth:`market.delegation.results.DelegationResult.json_record`).
    sweep    every strategy profile (6^K) x replicate seeds on ``--jobs`` processes:
             ``profiles.csv``, ``summary.csv`` (Figure 2's aggregation), ``figure3.csv``,
             ``figure2.png``, ``figure3.png`` and ``sweep.json`` (settings and timings).
    plan     how long a horizon the market needs: B, M, what ``T_R`` reserves term by term,
             ``T_R`` and the expected phase lengths for honest play; with ``--json`` one
             object (:meth:`market.delegation.horizon.HorizonPlan.json_record`).
    metagame better response over strategies: the payoff table (its runs kept in an
             experiment store, by default in the user's cache folder), the better-response
             graph (GraphML, PNG), its sinks with basins, the dynamics trace and a continuous
             check of Theorem 5.2; with ``--json`` one object.
    horizon  Figure 4: everyone plays "ours", provider 1's delivered user utility against T,
             with the u_SB line: ``horizon.csv``, ``figure4.png`` and ``horizon.json``.

A thin layer: it parses, calls :mod:`market.delegation.runs` and prints or writes. Every user
mistake raises :class:`market.core.errors.UserInputError` (one line, exit code 2); everything is
computed and rendered before any file is written, and files are written all at once
(:func:`market.core.output.write_outputs`), so an error leaves nothing half written.

References:
    Cao et al. (2026), Section 6 and Figures 2-4; ``docs/delegation-variant.md`` (the mechanisms).
"""

from __future__ import annotations

import argparse
import json

from market.core import output
from market.core.cli import (
    collector_paused,
    engine_from_args,
    engine_options,
    registry_option,
)
from market.core.parallel import progress_wanted
from market.core.values import count, optional_count, optional_number
from market.delegation import GAME
from market.delegation.metagame_cli import cache_alias, metagame_parser, strategy_set_option

PRECISE = "%.17g"  # CSV floats: full precision


def register(games: argparse._SubParsersAction) -> None:
    """Add the ``delegation`` sub-commands (run, sweep, plan, horizon, metagame)."""
    game = games.add_parser(
        "delegation",
        help="the delegation game and the second-best mechanism (Cao et al. 2026)",
        description="A user delegates T queries to strategic LLM providers under a mechanism "
        "(Cao et al. 2026, 'Pay for the second-best service').",
    )
    commands = game.add_subparsers(dest="delegation_command", required=True, metavar="COMMAND")

    run = commands.add_parser("run", help="run one strategy profile")
    scenario_options(run)
    registry_option(
        run,
        "--strategies",
        GAME.strategies_path,
        required=True,
        help="one strategy per provider, comma-separated (one name = everyone); "
        "registered: %(registered)s",
    )
    run.add_argument("--seed", default="42", help="root random seed (default 42)")
    run.add_argument(
        "--batch", default=None, help="queries per step; results do not depend on it (default: all)"
    )
    run.add_argument("--json", action="store_true", help="print one JSON object")
    run.set_defaults(handler=run_command)

    sweep = commands.add_parser("sweep", help="all strategy profiles: Figures 2 and 3")
    scenario_options(sweep)
    strategy_set_option(sweep)
    replicate_options(sweep)
    sweep.add_argument(
        "--cache",
        default=None,
        help="the same as --store DIR/payoffs.db (the metagame's store in that folder)",
    )
    sweep.add_argument("--out", required=True, help="output directory (created if missing)")
    sweep.set_defaults(handler=sweep_command)

    plan = commands.add_parser(
        "plan", help="how long a horizon the market needs: B, M, T_R and the phases (no run)"
    )
    scenario_options(plan)
    plan.add_argument("--json", action="store_true", help="print one JSON object")
    plan.set_defaults(handler=plan_command)

    metagame_parser(commands, scenario_options)

    horizon = commands.add_parser("horizon", help="Figure 4: user utility against T")
    horizon.add_argument(
        "--scenario", required=True, help="preset name (cao2026, cao2026-paper) or a TOML file"
    )
    horizon.add_argument("--T-from", dest="T_from", required=True, help="smallest horizon T")
    horizon.add_argument("--T-to", dest="T_to", required=True, help="largest horizon T")
    horizon.add_argument("--points", required=True, help="number of horizons (>= 2)")
    horizon.add_argument("--eps", default=None, help="epsilon in (0, 1/2) (default: scenario's)")
    mechanism_option(horizon)
    replicate_options(horizon)
    horizon.add_argument("--out", required=True, help="output directory (created if missing)")
    horizon.set_defaults(handler=horizon_command)


def scenario_options(parser: argparse.ArgumentParser) -> None:
    """--scenario, --T, --eps, --mechanism."""
    parser.add_argument(
        "--scenario", required=True, help="preset name (cao2026, cao2026-paper) or a TOML file"
    )
    parser.add_argument(
        "--T",
        dest="T",
        default=None,
        help="number of queries (default: the scenario's, 1e6 for cao2026)",
    )
    parser.add_argument("--eps", default=None, help="epsilon in (0, 1/2) (default: scenario's)")
    mechanism_option(parser)


def mechanism_option(parser: argparse.ArgumentParser) -> None:
    """--mechanism: a registered mechanism (its help lists the registry's names)."""
    registry_option(
        parser,
        "--mechanism",
        GAME.mechanisms_path,
        default=None,
        help="a registered mechanism: %(registered)s (default: the scenario's)",
    )


def replicate_options(parser: argparse.ArgumentParser) -> None:
    """--seeds, --seed, and the engine's --store, --executor, --jobs, --scheduler, --json."""
    parser.add_argument(
        "--seeds", default="1", help="replicate seeds per profile (default 1: the root seed itself)"
    )
    parser.add_argument("--seed", default="42", help="root random seed (default 42)")
    engine_options(parser)
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def eps_of(args: argparse.Namespace) -> float | None:
    """``--eps`` as a number (the scenario checks that it lies in (0, 1/2))."""
    return optional_number(args.eps, "eps")


def run_command(args: argparse.Namespace) -> int:
    """``delegation run``: one profile, summary or JSON."""
    from market.delegation.pricing import run_price
    from market.delegation.report import run_summary
    from market.delegation.runs import mechanism_description, run_profile

    run_price(args)
    result = run_profile(
        args.scenario,
        args.strategies,
        seed=count(args.seed, "seed", minimum=0),
        T=optional_count(args.T, "T"),
        eps=eps_of(args),
        mechanism=args.mechanism,
        batch=optional_count(args.batch, "batch"),
    )
    if args.json:
        print(json.dumps(result.json_record()))
    else:
        print(run_summary(result, mechanism_description(result.mechanism)))
    return 0


def plan_command(args: argparse.Namespace) -> int:
    """``delegation plan``: B, M, the reserve of T_R term by term and the phase lengths."""
    from market.delegation.report import plan_summary
    from market.delegation.runs import plan

    result = plan(
        args.scenario, T=optional_count(args.T, "T"), eps=eps_of(args), mechanism=args.mechanism
    )
    if args.json:
        print(json.dumps(result.json_record()))
    else:
        print(plan_summary(result, args.scenario))
    return 0


def sweep_command(args: argparse.Namespace) -> int:
    """``delegation sweep``: all profiles x seeds; CSVs, Figures 2 and 3, settings JSON."""
    from market.core.renderer import BackgroundRenderer

    cache_alias(args)
    with BackgroundRenderer("market.delegation.plots") as renderer:  # forked before the imports
        with collector_paused():  # the model's imports (Mesa) run faster without the collector
            # Mesa first and from here: its model module finds its own name with
            # inspect.stack(), about 3 ms per import frame above it (0.05 s if reached
            # through pricing -> footprint -> model).
            import mesa  # noqa: F401

            from market.delegation.pricing import sweep_price
            from market.delegation.runs import mechanism_description, sweep
            from market.delegation.tables import strategy_set

            price = sweep_price(args)
        out = output.output_dir(args.out)

        result = sweep(
            args.scenario,
            T=optional_count(args.T, "T"),
            eps=eps_of(args),
            seeds=count(args.seeds, "seeds"),
            seed=count(args.seed, "seed", minimum=0),
            mechanism=args.mechanism,
            strategies=strategy_set(args.strategies, "--strategies"),
            engine=engine_from_args(args, progress_wanted()),
            priced=price,
        )
        s = result.settings
        label = (
            f"{s['scenario']} ({s['mechanism']}), T = {s['T']:,}, eps = {s['eps']:g}, "
            f"{s['seeds']} seed(s)"
        )
        figures = renderer.draw(sweep_figures(result, label))
    files = {
        "profiles.csv": output.csv_bytes(result.profiles, PRECISE),
        "summary.csv": output.csv_bytes(result.strategy_means, PRECISE),
        "figure3.csv": output.csv_bytes(result.figure3, PRECISE),
        **figures,
    }
    note = mechanism_description(s["mechanism"])
    files["sweep.json"] = output.json_bytes(
        {
            "command": "delegation sweep",
            "settings": s,
            "mechanism_note": note,
            "timings": result.timings,
            "files": sorted([*files, "sweep.json"]),
        }
    )
    written = output.write_outputs(out, files)
    if args.json:
        print(json.dumps(command_json("delegation sweep", s, result.timings, written, args)))
        return 0
    print(
        f"{s['runs']} runs ({s['profiles']} profiles x {s['seeds']} seed(s)) of {label} in "
        f"{result.timings['simulate_seconds']:.2f} s on {s['jobs']} worker(s)"
        + store_note(result.timings, args.store)
    )
    print(f"  mechanism: {note}")
    print(f"Wrote {', '.join(str(p) for p in written)}")
    return 0


def sweep_figures(result, label: str) -> dict:
    """Figures 2 and 3 of a sweep, as calls of :mod:`market.delegation.plots` to draw."""
    return {
        "figure2.png": (
            "figure2",
            (
                result.strategy_means,
                1,
                f"Provider 1 by strategy, mean over the others' profiles\n{label}",
            ),
        ),
        "figure3.png": (
            "figure3",
            (result.figure3, f'Providers 2..K by strategy, provider 1 playing "ours"\n{label}'),
        ),
    }


def store_note(timings: dict, store) -> str:
    """``; 12 runs from the store PATH`` when a store was used."""
    if store is None:
        return ""
    return f"; {timings['runs_from_store']} run(s) from the store {store}"


def command_json(command: str, settings: dict, timings: dict, written, args) -> dict:
    """The ``--json`` object of a sweep: settings, timings, store and files written."""
    return {
        "command": command,
        "settings": settings,
        "timings": timings,
        "store": args.store,
        "files": [str(p) for p in written],
    }


def horizon_command(args: argparse.Namespace) -> int:
    """``delegation horizon``: Figure 4 (CSV, PNG and settings JSON)."""
    from market.delegation import plots
    from market.delegation.pricing import horizon_price
    from market.delegation.runs import horizon, mechanism_description

    price = horizon_price(args)  # every horizon checked and the work priced before --out
    out = output.output_dir(args.out)
    result = horizon(
        args.scenario,
        args.T_from,
        args.T_to,
        args.points,
        seeds=count(args.seeds, "seeds"),
        seed=count(args.seed, "seed", minimum=0),
        eps=eps_of(args),
        mechanism=args.mechanism,
        engine=engine_from_args(args, progress_wanted()),
        priced=price,
    )
    s = result.settings
    title = (
        f"User utility of provider 1 against T\n{s['scenario']} ({s['mechanism']}), "
        f'everyone plays "ours"'
    )
    note = mechanism_description(s["mechanism"])
    files = {
        "horizon.csv": output.csv_bytes(result.table, PRECISE),
        "figure4.png": output.png_bytes(plots.figure4(result.table, title)),
    }
    files["horizon.json"] = output.json_bytes(
        {
            "command": "delegation horizon",
            "settings": s,
            "mechanism_note": note,
            "timings": result.timings,
        }
    )
    written = output.write_outputs(out, files)
    if args.json:
        print(json.dumps(command_json("delegation horizon", s, result.timings, written, args)))
        return 0
    print(
        f"{s['runs']} runs (T from {s['T_from']:,} to {s['T_to']:,}, {s['points']} points x "
        f"{s['seeds']} seed(s)) in {result.timings['simulate_seconds']:.2f} s"
        + store_note(result.timings, args.store)
    )
    print(f"  mechanism: {note}")
    print(f"Wrote {', '.join(str(p) for p in written)}")
    return 0
