"""``llm-market delegation``: the delegation game (Cao et al. 2026) from the command line.

Sub-commands:
    run      one strategy profile: a readable summary, or with ``--json`` one JSON object
             (:meth:`market.delegation.model.DelegationResult.to_dict`).
    sweep    every strategy profile (6^K) x replicate seeds on ``--jobs`` processes:
             ``profiles.csv``, ``summary.csv`` (Figure 2's aggregation), ``figure3.csv``,
             ``figure2.png``, ``figure3.png`` and ``sweep.json`` (settings and timings).
    horizon  Figure 4: everyone plays "ours", provider 1's delivered user utility against T,
             with the u_SB line: ``horizon.csv``, ``figure4.png`` and ``horizon.json``.

Every user mistake raises :class:`market.core.errors.UserInputError` (one line, exit code 2). All
input is validated and everything is computed and rendered before any output file is written;
files are written under temporary names and then renamed, so an error leaves nothing half
written.

References:
    Cao et al. (2026), Section 6 and Figures 2-4; ``shared/specs/delegation.md`` sections 4-5.
"""

from __future__ import annotations

import argparse
import json
import math
import os
from pathlib import Path

from market.core.errors import UserInputError

RECONSTRUCTED_NOTE = "reconstructed from the authors' simulator (spec section 4)"


# ---- parser -------------------------------------------------------------------------------


def register(games: argparse._SubParsersAction) -> None:
    """Add the ``delegation`` sub-commands (run, sweep, horizon)."""
    game = games.add_parser(
        "delegation",
        help="the delegation game and the second-best mechanism (Cao et al. 2026)",
        description="A user delegates T queries to strategic LLM providers under a mechanism "
        "(Cao et al. 2026, 'Pay for the second-best service').",
    )
    commands = game.add_subparsers(dest="delegation_command", required=True, metavar="COMMAND")

    run = commands.add_parser("run", help="run one strategy profile")
    scenario_options(run)
    run.add_argument(
        "--strategies",
        required=True,
        help="one strategy per provider, comma-separated (one name = everyone); "
        "see the strategy registry: ours, honest, dishonest-model, ...",
    )
    run.add_argument("--seed", default="42", help="root random seed (default 42)")
    run.add_argument(
        "--batch", default=None, help="queries per step; results do not depend on it (default: all)"
    )
    run.add_argument("--json", action="store_true", help="print one JSON object")
    run.set_defaults(handler=run_command)

    sweep = commands.add_parser("sweep", help="all strategy profiles: Figures 2 and 3")
    scenario_options(sweep)
    replicate_options(sweep)
    sweep.add_argument("--out", required=True, help="output directory (created if missing)")
    sweep.set_defaults(handler=sweep_command)

    horizon = commands.add_parser("horizon", help="Figure 4: user utility against T")
    horizon.add_argument(
        "--scenario", required=True, help="preset name (cao2026, cao2026-paper) or a TOML file"
    )
    horizon.add_argument("--T-from", dest="T_from", required=True, help="smallest horizon T")
    horizon.add_argument("--T-to", dest="T_to", required=True, help="largest horizon T")
    horizon.add_argument("--points", required=True, help="number of horizons (>= 2)")
    horizon.add_argument("--eps", default=None, help="epsilon in (0, 1/2) (default: scenario's)")
    horizon.add_argument(
        "--mechanism", default=None, help="mechanism registry name (default: the scenario's)"
    )
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
    parser.add_argument(
        "--mechanism",
        default=None,
        help="second-best, second-best-artifact or explore-then-commit (default: the scenario's)",
    )


def replicate_options(parser: argparse.ArgumentParser) -> None:
    """--seeds, --seed, --jobs."""
    parser.add_argument(
        "--seeds", default="1", help="replicate seeds per profile (default 1: the root seed itself)"
    )
    parser.add_argument("--seed", default="42", help="root random seed (default 42)")
    parser.add_argument("--jobs", default="1", help="worker processes (default 1)")


# ---- parsing values -----------------------------------------------------------------------


def parse_count(text, field: str, minimum: int = 1) -> int | None:
    """An integer >= ``minimum``, also written like ``1e6``; ``None`` stays ``None``."""
    if text is None:
        return None
    expected = f"an integer >= {minimum}"
    try:
        value = float(str(text).replace("_", ""))
    except ValueError:
        raise UserInputError(field, expected, text) from None
    if not math.isfinite(value) or value != int(value) or value < minimum:
        raise UserInputError(field, expected, text)
    return int(value)


def parse_eps(text) -> float | None:
    """A number (the model checks that it lies in (0, 1/2)); ``None`` stays ``None``."""
    if text is None:
        return None
    try:
        return float(text)
    except ValueError:
        raise UserInputError("eps", "a number strictly between 0 and 1/2", text) from None


def output_dir(text: str) -> Path:
    """The output directory: not an existing file, and creatable/writable (checked up front)."""
    path = Path(text)
    if path.exists() and not path.is_dir():
        raise UserInputError("out", "a directory (not an existing file)", text)
    existing = path
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise UserInputError(
            "out", "a directory that can be created", text, note=f"{existing} is a file"
        )
    if not os.access(existing, os.W_OK | os.X_OK):
        raise UserInputError(
            "out", "a writable directory", text, note=f"{existing} is not writable"
        )
    return path


def write_outputs(out: Path, files: dict[str, bytes]) -> list[Path]:
    """Write every file under a temporary name, then rename them all into place.

    Raises a UserInputError (and removes the temporary files) if the directory cannot be
    created or written.
    """
    temporary: list[tuple[Path, Path]] = []
    try:
        out.mkdir(parents=True, exist_ok=True)
        for name, content in files.items():
            final = out / name
            staged = out / f".{name}.{os.getpid()}.tmp"
            staged.write_bytes(content)
            temporary.append((staged, final))
    except OSError as error:
        for staged, _ in temporary:
            staged.unlink(missing_ok=True)
        raise UserInputError(
            "out", "a writable directory", str(out), note=error.strerror or str(error)
        ) from None
    for staged, final in temporary:
        os.replace(staged, final)
    return [final for _, final in temporary]


def csv_bytes(table) -> bytes:
    """A DataFrame as CSV bytes (full float precision, no index)."""
    return table.to_csv(index=False, float_format="%.17g").encode()


def json_bytes(payload: dict) -> bytes:
    """A dict as indented JSON bytes."""
    return (json.dumps(payload, indent=2) + "\n").encode()


# ---- run ----------------------------------------------------------------------------------


def run_command(args: argparse.Namespace) -> int:
    """``delegation run``: one profile, summary or JSON."""
    from market.delegation.model import DelegationMarket
    from market.delegation.runs import root_seed

    T = parse_count(args.T, "T")
    eps = parse_eps(args.eps)
    seed = root_seed(parse_count(args.seed, "seed", minimum=0))
    batch = parse_count(args.batch, "batch") if args.batch is not None else None
    model = DelegationMarket(
        args.scenario,
        args.strategies,
        T=T,
        eps=eps,
        mechanism=args.mechanism,
        batch=batch,
        rng=seed,
    )
    result = model.run()
    if args.json:
        print(json.dumps(result.to_dict()))
    else:
        print(run_summary(result, model.platform.mechanism))
    return 0


def mechanism_note(mechanism) -> str:
    """Say when a mechanism is reconstructed or a baseline (from its classifier)."""
    source = getattr(mechanism, "classifier", {}).get("source")
    if source == "artifact":
        return RECONSTRUCTED_NOTE
    if source == "baseline":
        return "a naive baseline without incentives, not from the paper"
    return "Mechanism 1 as printed in the paper"


def share(value: float, reference: float) -> str:
    """``value`` as a percentage of ``reference``."""
    return f"{100 * value / reference:.1f}%" if reference else "n/a"


def run_summary(result, mechanism=None) -> str:
    """A readable summary of one run (what ``delegation run`` prints)."""
    r = result
    lines = [f"Delegation market: scenario {r.scenario}, mechanism {r.mechanism}"]
    if mechanism is not None:
        lines.append(f"  ({mechanism_note(mechanism)})")
    lines.append(
        f"T = {r.T:,} queries, eps = {r.eps:g}, seed {r.seed}; B = {r.B:,} "
        f"queries per provider to explore, M = {r.M:.4g}, L = {r.max_length:,}"
    )
    phases = " | ".join(f"{name} {length:,}" for name, length in r.phases)
    lines.append(f"Phases: {phases}")
    chosen = "none" if r.chosen is None else r.providers[r.chosen].name
    validated = {True: "yes", False: "no (stopped early)", None: "n/a"}[r.validated]
    lines.append(
        f"Chosen provider: {chosen}; u' = {fmt(r.u_prime)}; threshold = "
        f"{fmt(r.threshold)}; T_R = {fmt(r.T_R)}; validated: {validated}"
    )
    lines.append(f"Queries used: {r.queries_used:,} of {r.T:,} ({r.T - r.queries_used:,} unused)")
    lines.append(
        f"User utility: {r.user_utility:,.2f} (u_SB = {r.u_sb:,.2f}: "
        f"{share(r.user_utility, r.u_sb)}; u_FB = {r.u_fb:,.2f}: "
        f"{share(r.user_utility, r.u_fb)})"
    )
    lines.append("")
    width = max(len("provider"), *(len(p.name) for p in r.providers))
    swidth = max(len("strategy"), *(len(p.strategy) for p in r.providers))
    lines.append(
        f"{'provider':<{width}}  {'strategy':<{swidth}}  {'provider utility':>16}  "
        f"{'user utility':>14}  {'delegations':>11}"
    )
    for p in r.providers:
        lines.append(
            f"{p.name:<{width}}  {p.strategy:<{swidth}}  {p.provider_utility:>16,.2f}  "
            f"{p.user_utility:>14,.2f}  {p.delegations:>11,}"
        )
    if r.data_notes:
        lines.append("")
        lines.append("Data notes:")
        lines.extend(f"  - {note}" for note in r.data_notes)
    return "\n".join(lines)


def fmt(value) -> str:
    """A number for the summary (``n/a`` for None)."""
    if value is None:
        return "n/a"
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:.4g}"


# ---- sweep --------------------------------------------------------------------------------


def sweep_command(args: argparse.Namespace) -> int:
    """``delegation sweep``: all profiles x seeds; CSVs, Figures 2 and 3, settings JSON."""
    from market.delegation import plots
    from market.delegation.runs import progress_wanted, sweep

    T = parse_count(args.T, "T")
    eps = parse_eps(args.eps)
    seeds = parse_count(args.seeds, "seeds")
    seed = parse_count(args.seed, "seed", minimum=0)
    jobs = parse_count(args.jobs, "jobs")
    out = output_dir(args.out)
    result = sweep(
        args.scenario,
        T=T,
        eps=eps,
        seeds=seeds,
        seed=seed,
        jobs=jobs,
        mechanism=args.mechanism,
        progress=progress_wanted(),
    )
    s = result.settings
    label = (
        f"{s['scenario']} ({s['mechanism']}), T = {s['T']:,}, eps = {s['eps']:g}, "
        f"{s['seeds']} seed(s)"
    )
    files = {
        "profiles.csv": csv_bytes(result.profiles),
        "summary.csv": csv_bytes(result.summary),
        "figure3.csv": csv_bytes(result.figure3),
        "figure2.png": plots.png_bytes(
            plots.figure2(
                result.summary,
                1,
                f"Provider 1 by strategy, mean over the others' profiles\n{label}",
            )
        ),
        "figure3.png": plots.png_bytes(
            plots.figure3(
                result.figure3, f'Providers 2..K by strategy, provider 1 playing "ours"\n{label}'
            )
        ),
    }
    note = mechanism_note_by_name(s["mechanism"])
    payload = {
        "command": "delegation sweep",
        "settings": s,
        "mechanism_note": note,
        "timings": result.timings,
        "files": sorted([*files, "sweep.json"]),
    }
    files["sweep.json"] = json_bytes(payload)
    written = write_outputs(out, files)
    print(
        f"{s['runs']} runs ({s['profiles']} profiles x {s['seeds']} seed(s)) of {label} in "
        f"{result.timings['simulate_seconds']:.2f} s on {s['jobs']} process(es)"
    )
    print(f"  mechanism: {note}")
    print(f"Wrote {', '.join(str(p) for p in written)}")
    return 0


def mechanism_note_by_name(name: str) -> str:
    """:func:`mechanism_note` for a registered mechanism name."""
    from mechanisms.delegation.rules import MECHANISMS

    return mechanism_note(MECHANISMS.get(name, field="mechanism"))


# ---- horizon ------------------------------------------------------------------------------


def horizon_command(args: argparse.Namespace) -> int:
    """``delegation horizon``: Figure 4 (CSV, PNG and settings JSON)."""
    from market.delegation import plots
    from market.delegation.runs import horizon, horizon_values, progress_wanted

    T_from = parse_count(args.T_from, "T-from")
    T_to = parse_count(args.T_to, "T-to")
    points = parse_count(args.points, "points", minimum=2)
    horizon_values(T_from, T_to, points)
    eps = parse_eps(args.eps)
    seeds = parse_count(args.seeds, "seeds")
    seed = parse_count(args.seed, "seed", minimum=0)
    jobs = parse_count(args.jobs, "jobs")
    out = output_dir(args.out)
    result = horizon(
        args.scenario,
        T_from,
        T_to,
        points,
        seeds=seeds,
        seed=seed,
        jobs=jobs,
        eps=eps,
        mechanism=args.mechanism,
        progress=progress_wanted(),
    )
    s = result.settings
    title = (
        f"User utility of provider 1 against T\n{s['scenario']} ({s['mechanism']}), "
        f'everyone plays "ours"'
    )
    note = mechanism_note_by_name(s["mechanism"])
    files = {
        "horizon.csv": csv_bytes(result.table),
        "figure4.png": plots.png_bytes(plots.figure4(result.table, title)),
    }
    files["horizon.json"] = json_bytes(
        {
            "command": "delegation horizon",
            "settings": s,
            "mechanism_note": note,
            "timings": result.timings,
        }
    )
    written = write_outputs(out, files)
    print(
        f"{s['runs']} runs (T from {s['T_from']:,} to {s['T_to']:,}, {s['points']} points x "
        f"{s['seeds']} seed(s)) in {result.timings['simulate_seconds']:.2f} s"
    )
    print(f"  mechanism: {note}")
    print(f"Wrote {', '.join(str(p) for p in written)}")
    return 0
