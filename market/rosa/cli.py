"""``llm-market rosa``: the ROSA game (Patra et al. 2026, reconstructed) from the command line.

Sub-commands:
    run           one market: regret, user utility, payments and utility per provider, and the
                  learner's monotonicity on this instance (``--json``; ``--out`` adds files).
    truthfulness  one provider's expected utility over a grid of bids, the others truthful
                  (``--json``; ``--out`` writes truthfulness.csv/.json/.png).
    regret        regret against T with a sqrt(T) reference and regret per round (``--out``).
    monotonicity  each learner's ex-post monotonicity violation rate over random instances.

truthfulness, regret and monotonicity run on the experiment engine: ``--store PATH`` keeps every
finished run (the same command again resumes, or redraws without computing), ``--executor``,
``--jobs`` and ``--scheduler`` say where the runs go (outputs never depend on them).

This module only parses, calls :mod:`market.rosa.runs` and prints or writes. Every user
mistake is a :class:`~market.core.errors.UserInputError` (one line, exit code 2); outputs are
written all at once or not at all (:func:`market.core.output.write_outputs`).

References:
    Patra et al. (2026); ``docs/rosa-reconstruction.md``. Reconstructed.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace

from market.core.cli import engine_from_args, engine_options, registry_option
from market.core.errors import UserInputError
from market.core.output import csv_bytes, json_bytes, output_dir, png_bytes, write_outputs
from market.core.parallel import progress_wanted
from market.core.seeds import fresh_seed
from market.core.values import count, log_spaced_counts, number, split_range
from market.rosa import GAME
from market.rosa.pricing import setting_of

#: The learners' registry, listed in the help of ``--learner`` and ``--learners``.
LEARNERS_PATH = "mechanisms.rosa.learners:LEARNERS"

NOTE = "reconstructed from the paper's abstract and table of contents (docs/rosa-reconstruction.md)"


def register(games: argparse._SubParsersAction) -> None:
    """Add the ``rosa`` sub-commands (run, truthfulness, regret, monotonicity)."""
    game = games.add_parser(
        "rosa",
        help="truthful reverse auction with a contextual bandit (Patra et al. 2026, reconstructed)",
        description="Providers bid per-query costs once; the platform learns each provider's "
        "quality per query context and runs ROSA so that truthful bidding pays "
        f"(Patra et al. 2026; {NOTE}).",
    )
    commands = game.add_subparsers(dest="rosa_command", required=True, metavar="COMMAND")

    run = commands.add_parser("run", help="one market: regret, utilities, monotonicity")
    market_options(run)
    registry_option(
        run,
        "--strategies",
        GAME.strategies_path,
        default="truthful",
        help="bidding strategy per provider, comma-separated, or one for all: "
        "%(registered)s; a parameter may follow a colon, as in shade:0.8, inflate:1.5, "
        "fixed:0.3 (default truthful)",
    )
    run.add_argument("--run", default="0", help="run index within the seed (default 0)")
    run.add_argument(
        "--check-points",
        dest="check_points",
        default="11",
        help="bids per provider in the monotonicity replay (0: skip; default 11)",
    )
    common_options(run, out_required=False)
    run.set_defaults(handler=run_command)

    truth = commands.add_parser("truthfulness", help="expected utility over a grid of bids")
    market_options(truth)
    truth.add_argument("--provider", default="1", help="the deviating provider (default 1)")
    truth.add_argument(
        "--bids",
        default=None,
        help="LO:HI:N bid grid inside the cost support (default c_lo:c_hi:21)",
    )
    truth.add_argument("--runs", default="200", help="runs (ROSA coin draws; default 200)")
    common_options(truth, out_required=False)
    engine_options(truth, jobs=False)
    truth.set_defaults(handler=truthfulness_command)

    regret = commands.add_parser("regret", help="regret against T (figures a-c)")
    market_options(regret)
    regret.add_argument("--T-from", dest="T_from", required=True, help="smallest horizon")
    regret.add_argument("--T-to", dest="T_to", required=True, help="largest horizon")
    regret.add_argument("--points", required=True, help="number of horizons (>= 2)")
    regret.add_argument("--runs", default="10", help="runs per horizon (default 10)")
    common_options(regret, out_required=True)
    engine_options(regret, jobs=False)
    regret.set_defaults(handler=regret_command)

    mono = commands.add_parser("monotonicity", help="learners' ex-post monotonicity violations")
    market_options(mono, T_default="1000")
    mono.add_argument("--instances", default="20", help="random instances (default 20)")
    mono.add_argument("--points", default="21", help="bids per provider (default 21)")
    registry_option(
        mono,
        "--learners",
        LEARNERS_PATH,
        default=None,
        help="comma-separated, of %(registered)s (default: all)",
    )
    common_options(mono, out_required=False)
    engine_options(mono, jobs=False)
    mono.set_defaults(handler=monotonicity_command)


def market_options(parser: argparse.ArgumentParser, T_default: str | None = None) -> None:
    """The market's settings (defaults: the preset's)."""
    parser.add_argument(
        "--preset", default="patra2026", help="patra2026 (Gaussian) or patra2026-exponential"
    )
    parser.add_argument("--providers", default=None, help="number of providers n (default 5)")
    parser.add_argument("--dim", default=None, help="context dimension d >= 1 (default 5)")
    parser.add_argument(
        "--T", dest="T", default=T_default, help=f"query rounds (default {T_default or '10000'})"
    )
    registry_option(parser, "--learner", LEARNERS_PATH, default=None, help="one of %(registered)s")
    registry_option(
        parser,
        "--mechanism",
        GAME.mechanisms_path,
        default=None,
        help="one of %(registered)s (default rosa)",
    )
    parser.add_argument("--noise", default=None, help="gaussian or exponential")
    parser.add_argument("--sigma", default=None, help="Gaussian noise sd (default 0.1)")
    parser.add_argument(
        "--mu",
        default=None,
        help="ROSA's resampling probability in (0, 1) (default min(0.5, 1/sqrt(T)))",
    )


def common_options(parser: argparse.ArgumentParser, out_required: bool) -> None:
    """--seed, --jobs, --json, --out."""
    parser.add_argument("--seed", default=None, help="root seed (default: a fresh one, printed)")
    parser.add_argument("--jobs", default="1", help="worker processes (default 1)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--out",
        required=out_required,
        default=None,
        help="output directory" + ("" if out_required else " (optional)"),
    )


def seed_of(args) -> int:
    """The root seed given, or a fresh one."""
    return fresh_seed() if args.seed in (None, "") else count(args.seed, "--seed", minimum=0)


def engine_of(args, seed: int):
    """The command's :class:`~market.core.engine.Engine`; a fresh seed with ``--store`` is told.

    Resuming needs the same seed: it joins the resume hint, and stderr says it before any run,
    so even a killed command can be resumed with ``--seed``.
    """
    engine = engine_from_args(args, progress_wanted())
    if engine.store is not None and args.seed in (None, ""):
        engine = replace(engine, resume_hint=f"{engine.resume_hint} --seed {seed}".strip())
        print(
            f"llm-market: fresh seed {seed}; to resume from {engine.store}, "
            f"run the same command with --seed {seed}",
            file=sys.stderr,
        )
    return engine


def emit(args, payload: dict, text: str, files: dict[str, bytes]) -> int:
    """Write ``files`` (with --out), then print JSON or the text summary."""
    if args.out is not None and files:
        for path in write_outputs(output_dir(args.out), files):
            if not args.json:
                text += f"\nwrote {path}"
    print(json.dumps(payload, indent=2, allow_nan=False) if args.json else text)
    return 0


# ---- run ------------------------------------------------------------------------------------


def run_command(args) -> int:
    """``rosa run``."""
    from market.rosa import plots, runs
    from market.rosa.pricing import run_price

    setting, seed = setting_of(args), seed_of(args)
    run_price(args, setting)
    out = output_dir(args.out) if args.out is not None else None
    result, model = runs.run_market(
        setting,
        seed,
        strategies=args.strategies,
        run=count(args.run, "--run", minimum=0),
        check_points=count(args.check_points, "--check-points", minimum=0),
        jobs=count(args.jobs, "--jobs"),
    )
    payload = result.json_record()
    files = {}
    if out is not None:
        history, service = model.history(), model.service_map()
        files = {
            "run.json": json_bytes(payload),
            "history.csv": csv_bytes(history),
            "service_map.csv": csv_bytes(service),
            "run.png": png_bytes(plots.run_figure(history, service)),
        }
    return emit(args, payload, run_text(result), files)


def run_text(result) -> str:
    """A readable summary of one run."""
    s = result.setting
    lines = [
        f"ROSA run ({NOTE})",
        f"preset {s.name}: n={s.providers}, d={s.dim}, T={s.T:,}, learner {s.learner}, "
        f"mechanism {s.mechanism}, mu={s.resolved_mu:.4g}, noise {s.noise}"
        + (f" (sd {s.sigma:g})" if s.noise == "gaussian" else "")
        + f"; seed {result.seed}, run {result.run}",
        f"regret against the clairvoyant benchmark: {result.regret:.2f} "
        f"({result.regret_over_sqrt_T:.3f} sqrt(T); {result.regret_per_round:.4f} per round)",
        f"user utility {result.user_utility:.2f} (clairvoyant benchmark "
        f"{result.clairvoyant_utility:.2f}); payments {result.payments:.2f}",
        "",
        f"{'provider':<9}{'strategy':<12}{'cost':>7}{'bid':>8}{'flagged':>9}{'modified':>10}"
        f"{'rounds':>8}{'payments':>11}{'utility':>10}",
    ]
    for p in result.providers:
        lines.append(
            f"{p.name:<9}{p.strategy:<12}{p.cost:>7.3f}{p.bid:>8.3f}"
            f"{'yes' if p.flagged else 'no':>9}{p.modified_bid:>10.3f}{p.rounds_served:>8,}"
            f"{p.payments:>11.2f}{p.utility:>10.2f}"
        )
    check = result.monotonicity
    if check is not None:
        rising = [p.name for p, bad in zip(result.providers, check.violations, strict=True) if bad]
        verdict = "monotone" if not rising else "VIOLATED for " + ", ".join(rising)
        lines += [
            "",
            f"learner monotonicity on this instance ({len(check.grid)} bids per "
            f"provider, environment fixed): {verdict}",
        ]
    return "\n".join(lines)


# ---- truthfulness ---------------------------------------------------------------------------


def bid_grid(text, setting):
    """The bid grid ``LO:HI:N`` (N >= 2), inside ``[c_lo, c_hi]``."""
    import numpy as np

    if text is None:
        return np.linspace(setting.cost_lo, setting.cost_hi, 21)
    lo_text, hi_text, points = split_range(text, "--bids", "0:0.5:21")
    lo, hi = number(lo_text, "--bids"), number(hi_text, "--bids")
    support = f"[{setting.cost_lo:g}, {setting.cost_hi:g}]"
    if points < 2 or not lo < hi:
        raise UserInputError("--bids", "LO:HI:N with LO < HI and N >= 2", text)
    if lo < setting.cost_lo or hi > setting.cost_hi:
        raise UserInputError("--bids", f"a grid inside the cost support {support}", text)
    return np.linspace(lo, hi, points)


def truthfulness_command(args) -> int:
    """``rosa truthfulness``."""
    from market.rosa import plots, runs
    from market.rosa.pricing import truthfulness_price

    setting, seed = setting_of(args), seed_of(args)
    provider = count(args.provider, "--provider")
    if provider > setting.providers:
        raise UserInputError("--provider", f"a provider from 1 to {setting.providers}", provider)
    price = truthfulness_price(args, setting)
    grid = bid_grid(args.bids, setting)
    out = output_dir(args.out) if args.out is not None else None
    engine = engine_of(args, seed)
    runs_ = count(args.runs, "--runs")
    curve = runs.truthfulness_curve(
        setting, seed, provider, grid, runs_, engine=engine, priced=price
    )
    payload = curve.json_record()
    files = {}
    if out is not None:
        files = {
            "truthfulness.csv": csv_bytes(curve.to_frame()),
            "truthfulness.json": json_bytes(payload),
            "truthfulness.png": png_bytes(plots.truthfulness_figure(curve)),
        }
    lines = [
        f"ROSA truthfulness ({NOTE})",
        f"P{provider}: true cost {curve.true_cost:.4f}; others truthful; learner "
        f"{setting.learner}, mechanism {setting.mechanism}, T={setting.T:,}, "
        f"mu={setting.resolved_mu:.4g}, {curve.runs} runs, seed {seed}",
        f"{'bid':>8}{'E[utility]':>13}{'s.e.':>10}{'s.e. vs truth':>15}{'E[rounds]':>11}",
    ]
    columns = (
        curve.bids,
        curve.expected_utility,
        curve.standard_error,
        curve.difference_error,
        curve.expected_rounds,
    )
    for b, u, e, f, r in zip(*columns, strict=True):
        lines.append(f"{b:>8.4f}{u:>13.3f}{e:>10.3f}{f:>15.3f}{r:>11.1f}")
    gain, error, bid = curve.largest_gain()
    lines += [
        f"truthful utility {curve.truthful_utility:.3f} ± {curve.truthful_standard_error:.3f}; "
        f"largest gain of a bid over it {gain:.3f} ± {error:.3f} (2 SE) at bid {bid:.4f} "
        f"(grid step {curve.grid_step:.4f})",
        f"lowest realised utility of a truthful bid over all runs: "
        f"{curve.min_truthful_run_utility:.3f} (universal ex-post IR: >= 0)",
    ]
    return emit(args, payload, "\n".join(lines), files)


# ---- regret ---------------------------------------------------------------------------------


def horizons(args) -> list[int]:
    """``--points`` horizons from --T-from to --T-to, evenly spaced on a log scale."""
    from market.rosa.pricing import horizon_range

    low, high = horizon_range(args)
    points = count(args.points, "--points", minimum=2)
    return list(log_spaced_counts(low, high, points))


def regret_command(args) -> int:
    """``rosa regret``."""
    from market.rosa import plots, runs
    from market.rosa.pricing import regret_price

    setting = setting_of(args)
    seed = seed_of(args)
    price = regret_price(args, setting)
    grid = horizons(args)
    setting = setting.replace(T=grid[-1])
    output_dir(args.out)  # checked before any work
    engine = engine_of(args, seed)
    runs_ = count(args.runs, "--runs")
    curve = runs.regret_curve(setting, seed, grid, runs_, engine=engine, priced=price)
    table = curve.to_frame()
    payload = {**curve.json_record(), "seed": seed}
    files = {
        "regret.csv": csv_bytes(table),
        "regret.json": json_bytes(payload),
        "regret.png": png_bytes(plots.regret_figure(curve)),
    }
    lines = [f"ROSA regret against T ({NOTE}); learner {setting.learner}, seed {seed}"]
    lines.append(table.to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    lines.append(f"least-squares fit: mean regret ~ {curve.sqrt_scale:.3f} sqrt(T)")
    return emit(args, payload, "\n".join(lines), files)


# ---- monotonicity ---------------------------------------------------------------------------


def monotonicity_command(args) -> int:
    """``rosa monotonicity``."""
    from market.rosa import plots, runs
    from market.rosa.pricing import monotonicity_price
    from mechanisms.rosa.learners import LEARNERS

    setting, seed = setting_of(args), seed_of(args)
    learners = None
    if args.learners:
        learners = [name.strip() for name in args.learners.split(",")]
        for name in learners:
            LEARNERS.get(name, field="--learners")
    price = monotonicity_price(args, setting, len(learners or LEARNERS.names()))
    out = output_dir(args.out) if args.out is not None else None
    engine = engine_of(args, seed)
    instances = count(args.instances, "--instances")
    points = count(args.points, "--points", minimum=2)
    survey = runs.monotonicity_survey(
        setting, seed, instances, points, learners, engine=engine, priced=price
    )
    table = survey.to_frame()
    payload = {**survey.json_record(), "seed": seed}
    files = {}
    if out is not None:
        files = {
            "monotonicity.csv": csv_bytes(table),
            "monotonicity.json": json_bytes(payload),
            "monotonicity.png": png_bytes(plots.monotonicity_figure(survey)),
        }
    lines = [
        f"ROSA learners' ex-post monotonicity ({NOTE})",
        f"{survey.instances} instances (T={setting.T:,}, n={setting.providers}, "
        f"d={setting.dim}), {survey.grid_points} bids per provider, seed {seed}",
        table.to_string(index=False, float_format=lambda v: f"{v:.3f}"),
        "a violation: with everything else fixed, a provider's rounds served rise somewhere "
        "along an increasing grid of its own bid",
    ]
    return emit(args, payload, "\n".join(lines), files)
