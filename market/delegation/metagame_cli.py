"""``llm-market delegation metagame``: better response over strategies (the empirical game).

The payoff table's runs and the Theorem 5.2 check's runs are kept in an experiment store: by
default ``payoffs.db`` in the user's cache folder (``~/.cache/llm-market/delegation``), or
``--store PATH`` (``--cache DIR`` is ``--store DIR/payoffs.db``, kept for old scripts;
``--no-store`` keeps nothing). ``llm-market delegation sweep --store PATH`` fills the same store,
so the metagame reuses a sweep's runs. A thin layer like :mod:`market.delegation.cli`.

References:
    Cao et al. (2026), Theorem 5.2 and Section 6.
"""

from __future__ import annotations

import argparse
import json

from market.core import output
from market.core.cli import engine_from_args, engine_options, registry_option
from market.core.errors import UserInputError
from market.core.parallel import progress_wanted
from market.core.values import count, optional_count, optional_number
from market.delegation import GAME, METAGAME

PRECISE = "%.17g"  # CSV floats: full precision


def metagame_parser(commands, scenario_options) -> None:
    """``delegation metagame``: better response over strategies (the empirical game).

    ``scenario_options``: adds the game's --scenario, --T, --eps and --mechanism.
    """
    meta = commands.add_parser(
        METAGAME.command,
        help="better response over strategies: payoff table, graph, sinks, dynamics",
        description="Providers revise their strategies between plays of the mechanism by "
        "better response on an estimated payoff table; the graph's sinks are the pure "
        "equilibria of the empirical game.",
    )
    scenario_options(meta)
    strategy_set_option(meta)
    meta.add_argument("--seeds", default="2", help="replicate seeds per profile (default 2)")
    meta.add_argument("--seed", default="42", help="root random seed (default 42)")
    meta.add_argument(
        "--start", default="honest", help="start profile: one name per provider or one for all"
    )
    meta.add_argument("--rule", default="best", help="best (best response) or random")
    meta.add_argument("--tolerance", default="0", help="a move must gain more (default 0)")
    meta.add_argument("--z", default="0", help="... and more than z standard errors (default 0)")
    meta.add_argument("--max-plays", dest="max_plays", default="200", help="play limit")
    meta.add_argument(
        "--cache", default=None, help="the same as --store DIR/payoffs.db (kept for old scripts)"
    )
    meta.add_argument(
        "--no-store",
        "--no-cache",
        dest="no_store",
        action="store_true",
        help="keep no runs: compute the payoff table in memory",
    )
    meta.add_argument(
        "--no-theorem-check",
        dest="no_theorem",
        action="store_true",
        help="skip the continuous check of Theorem 5.2",
    )
    engine_options(meta)
    meta._option_string_actions["--store"].help = (
        "keep the payoff table's and the Theorem 5.2 check's runs in this SQLite file "
        "(default: payoffs.db in ~/.cache/llm-market/delegation); a table whose runs are "
        "there is read back, and delegation sweep --store fills the same file"
    )
    meta.add_argument("--out", required=True, help="output directory (created if missing)")
    meta.add_argument("--json", action="store_true", help="print one JSON object")
    meta.set_defaults(handler=metagame_command)


def strategy_set_option(parser: argparse.ArgumentParser) -> None:
    """``--strategies``: the strategies each provider may play (default: the paper's six)."""
    registry_option(
        parser,
        "--strategies",
        GAME.strategies_path,
        default=None,
        help="the strategies each provider may play, comma-separated (default: the paper's "
        "six, Table 1); registered: %(registered)s",
    )


def cache_alias(args: argparse.Namespace) -> None:
    """``--cache DIR`` is ``--store DIR/payoffs.db`` (the folder created); not with --store."""
    if args.cache is None:
        return
    from market.delegation.payoffs import store_in

    if args.store is not None:
        raise UserInputError("cache", "--store or --cache (its alias), not both", args.cache)
    args.store = str(store_in(args.cache))


def metagame_command(args: argparse.Namespace) -> int:
    """``delegation metagame``: payoffs, graph (GraphML, PNG), sinks, dynamics, Theorem 5.2."""
    import networkx as nx

    from market.delegation.empirical import metagame
    from market.delegation.graph_plot import better_response_figure
    from market.delegation.pricing import metagame_price
    from market.delegation.report import metagame_summary
    from market.delegation.tables import strategy_set

    price = metagame_price(args)
    out = output.output_dir(args.out)
    cache_alias(args)
    if args.no_store and args.store is not None:
        raise UserInputError("no-store", "no --store or --cache beside it", args.store)
    result = metagame(
        args.scenario,
        T=optional_count(args.T, "T"),
        eps=optional_number(args.eps, "eps"),
        mechanism=args.mechanism,
        seeds=count(args.seeds, "seeds"),
        seed=count(args.seed, "seed", minimum=0),
        engine=engine_from_args(args, progress_wanted()),
        start=args.start,
        rule=args.rule,
        tolerance=optional_number(args.tolerance, "tolerance"),
        z=optional_number(args.z, "z"),
        max_plays=count(args.max_plays, "max-plays"),
        use_store=not args.no_store,
        check_theorem=not args.no_theorem,
        strategies=strategy_set(args.strategies, "--strategies"),
        priced=price,
    )
    graphml = "\n".join(nx.generate_graphml(result.graph)).encode()
    sinks = [s.to_dict() for s in result.sinks]
    files = {
        "payoffs.csv": output.csv_bytes(result.table.to_frame(), PRECISE),
        "graph.graphml": graphml,
        "graph.png": output.png_bytes(better_response_figure(result)),
        "sinks.csv": output.csv_bytes(sinks_frame(sinks), PRECISE),
        "dynamics.csv": output.csv_bytes(result.trace, PRECISE),
    }
    if result.theorem52 is not None:
        files["theorem52.csv"] = output.csv_bytes(result.theorem52.points, PRECISE)
    files["metagame.json"] = output.json_bytes(
        {
            "command": "delegation metagame",
            **result.json_record(),
            "files": sorted([*files, "metagame.json"]),
        }
    )
    written = output.write_outputs(out, files)
    if args.json:
        print(json.dumps(result.json_record()))
    else:
        print(metagame_summary(result))
        store = result.settings["payoff_store"]
        if store is not None:
            print(f"Runs kept in the store {store} (see: llm-market results {store})")
        print(f"Wrote {', '.join(str(p) for p in written)}")
    return 0


def sinks_frame(sinks: list[dict]):
    """The sinks as a table: profile, user utility, share of u_SB, basin, provider utilities."""
    import pandas as pd

    rows = [
        {
            "profile": "|".join(s["profile"]),
            "user_utility": s["user_utility"],
            "share_of_u_sb": s["share_of_u_sb"],
            "basin": s["basin"],
            **{f"provider{k + 1}_utility": u for k, u in enumerate(s["provider_utility"])},
        }
        for s in sinks
    ]
    return pd.DataFrame(rows)
