"""What a reputation run asks for, priced before anything is allocated.

The sizes a user controls are the rounds T (``--rounds``), the queries per round N
(``--queries``) and the providers K (one per name in ``--strategies``). A run keeps, for every
round and provider, the model's per-round history (six float64 arrays) and the DataCollector's
row (five cells per provider), and takes about a constant time per round and provider. Before
the model is built, :func:`run_price` checks them against three limits, with plain Python
numbers (nothing is allocated, however absurd a value):

- memory, :func:`market.core.pricing.memory` (``LLM_MARKET_MEMORY_LIMIT``);
- work on one core, :func:`market.core.pricing.work` (``LLM_MARKET_WORK_LIMIT``);
- exact counts: the T x N queries of a run are summed in float64, exact up to 2**53.

A refusal is one line naming the size as the user typed it (:data:`CLI_FLAGS` on the command
line, :data:`PYTHON_ARGUMENTS` from Python or a grid file), the largest value that fits and
the estimate, as for the shipped games (``market/ttc/pricing.py``).

References:
    An example game of the llm-market tutorial (``docs/adding-a-game.md``); not from a paper.
"""

from __future__ import annotations

from collections.abc import Mapping

from market.core import pricing
from market.core.pricing import Limit, Size

#: The names a size is refused under: the CLI's flags, or the model's and run()'s arguments.
CLI_FLAGS = {"rounds": "--rounds", "queries": "--queries", "strategies": "--strategies"}
PYTHON_ARGUMENTS = {"rounds": "rounds", "queries": "queries", "strategies": "strategies"}

#: The model's per-round history: six float64 values per round and provider.
HISTORY_BYTES = 6 * 8
#: The DataCollector's cells per round and provider (honest rounds, queries, profit,
#: expected profit, rating).
COLLECTED_QUANTITIES = 5
#: One DataCollector cell: a Python float (24 bytes) and its slot in a growing list
#: (measured: 700 bytes a round with three providers, 8.5 kB with forty, both below the
#: estimate).
CELL_BYTES = 40
#: A model's fixed overhead: Mesa, the agents, the mechanism (measured: under 1 MB).
MODEL_BYTES = 2 * 1024**2
#: One round's time and each provider's part of it, on one core (a profile: the agents'
#: choices, the draws and the DataCollector's row, which Mesa deep-copies cell by cell, about
#: 35% of a round; about 50 us a round with three providers).
ROUND_SECONDS = 2e-5
PROVIDER_ROUND_SECONDS = 1e-5
#: The most queries a run routes in all (T x N): float64 counts an integer exactly to 2**53.
MOST_QUERIES = 2**53
#: Runs estimated to take longer than this show a progress bar (on a terminal).
PROGRESS_SECONDS = 2.0


def run_bytes(rounds: int, providers: int) -> float:
    """Peak bytes of a run of ``rounds`` rounds and ``providers`` providers."""
    per_round = providers * (HISTORY_BYTES + COLLECTED_QUANTITIES * CELL_BYTES) + CELL_BYTES
    return MODEL_BYTES + (rounds + 1) * per_round


def run_seconds(rounds: int, providers: int) -> float:
    """One core's seconds for a run of ``rounds`` rounds and ``providers`` providers."""
    return rounds * (ROUND_SECONDS + providers * PROVIDER_ROUND_SECONDS)


def counts_limit(estimate) -> Limit:
    """The exact-count limit: at most :data:`MOST_QUERIES` queries routed in a run."""
    return Limit(
        estimate,
        MOST_QUERIES,
        lambda queries: f"{queries:,.0f} queries routed in all (rounds x queries)",
        "counts are exact up to 2**53 queries in a run (float64)",
    )


def run_price(
    scenario, typed: Mapping[str, object] | None = None, names: Mapping[str, str] = CLI_FLAGS
) -> pricing.Price:
    """Refuse a run of ``scenario`` past a limit; else its estimates (bytes, seconds, queries).

    Args:
        scenario: The checked :class:`~llm_market_reputation.scenarios.ReputationScenario`
            (its sizes are plain integers; nothing of the run exists yet).
        typed: What the user typed for ``rounds`` and ``queries`` (quoted in a refusal); a
            size not in it is the scenario's. The providers are quoted as a count.
        names: What a refusal calls each size: :data:`CLI_FLAGS` or :data:`PYTHON_ARGUMENTS`.

    Returns:
        The estimates: peak bytes, one core's seconds, queries routed in all.

    Raises:
        UserInputError: a size past a limit (the flag, the largest value that fits, the
            estimate).
    """
    rounds, queries, providers = names["rounds"], names["queries"], names["strategies"]
    given = {**(typed or {}), "strategies": f"{scenario.providers:,} strategies"}
    sizes = [
        Size(rounds, given.get("rounds", scenario.rounds), scenario.rounds, "rounds", 1, 60),
        Size(queries, given.get("queries", scenario.queries), scenario.queries, "queries", 1, 300),
        Size(providers, given["strategies"], scenario.providers, "providers", 1, 3),
    ]  # typical sizes (a refusal blames the size furthest above): the presets' T, N and K
    limits = [
        pricing.memory(lambda s: run_bytes(s[rounds], s[providers])),
        pricing.work(lambda s: run_seconds(s[rounds], s[providers]), workers=1),
        counts_limit(lambda s: s[rounds] * s[queries]),
    ]
    return pricing.check(sizes, limits)
