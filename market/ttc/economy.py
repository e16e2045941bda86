"""The authors' economics on test-time compute curves: quality, price, cost, and the game.

:func:`game_from_curves` turns one benchmark x method slice of a curves table into a
:class:`~mechanisms.ttc.TTCGame`:

- quality ``q = alpha (b + (1 - b) accuracy)`` with ``b = 0.1`` and ``alpha`` 0.008 / 0.02 / 0.05
  for GSM8K / GPQA / AIME (the authors' code; the paper's text says "per percentage point", but
  its Table 2 magnitudes, in $ x 1e-3, match ``alpha`` per unit of accuracy fraction);
- price ``p = avg_tokens x price_per_1m_tokens / 1e6``; cost ``c = p / (1 + margin)``, margin
  :data:`DEFAULT_MARGIN` (0.25).

References:
    Velasco et al. (2026), "Test-Time Compute Games", Section 5 and Appendices C-D.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np

from market.core.errors import UserInputError
from market.core.values import number
from market.ttc.curves import CurvesTable
from mechanisms.ttc.game import PERFECT, TTCGame

DEFAULT_ALPHA = {"GSM8K": 0.008, "GPQA": 0.02, "AIME": 0.05}
"""Value of accuracy by benchmark used by the authors (USD per unit of accuracy fraction)."""
DEFAULT_B = 0.1
"""Quality floor fraction ``b`` in ``alpha (b + (1 - b) accuracy)``."""
DEFAULT_MARGIN = 0.25
"""Profit margin over cost: ``price = cost x (1 + margin)`` (the one default everywhere)."""


class ProfitNotIncreasingWarning(UserWarning):
    """Profit ``p - c`` does not strictly increase with compute (the paper's assumption 2)."""


def quality_from_accuracy(accuracy: np.ndarray, alpha: float, b: float = DEFAULT_B) -> np.ndarray:
    """Quality ``alpha (b + (1 - b) accuracy)`` (the authors' mapping, Section 5)."""
    return alpha * (b + (1.0 - b) * np.asarray(accuracy, dtype=float))


def price_from_tokens(avg_tokens: np.ndarray, price_per_1m_tokens: np.ndarray) -> np.ndarray:
    """Price per query: tokens x price per token (Section 5)."""
    return np.asarray(avg_tokens, dtype=float) * np.asarray(price_per_1m_tokens) / 1e6


def cost_from_price(price: np.ndarray, margin: float) -> np.ndarray:
    """Generation cost ``price / (1 + margin)`` (a fixed profit margin, Section 5)."""
    return np.asarray(price, dtype=float) / (1.0 + margin)


def warn_profit_not_increasing(game: TTCGame) -> None:
    """Warn, naming provider and levels, where profit is not increasing (assumption 2, Eq. 2)."""
    violations = game.profit_violations()
    if violations:
        listed = "; ".join(f"{p} theta {lo:g} -> {hi:g}" for p, lo, hi in violations[:10])
        more = f" (and {len(violations) - 10} more)" if len(violations) > 10 else ""
        warnings.warn(
            f"profit p - c is not increasing in compute (the paper's assumption 2): {listed}{more}",
            ProfitNotIncreasingWarning,
            stacklevel=3,
        )


def game_from_curves(
    curves: CurvesTable,
    benchmark: str,
    method: str,
    *,
    alpha: float | None = None,
    b: float = DEFAULT_B,
    margin: float = DEFAULT_MARGIN,
    v0: float = 0.0,
    beta: float = PERFECT,
    models: Sequence[str] | None = None,
) -> TTCGame:
    """Build the TTC game of one benchmark x method slice with the authors' economics.

    Args:
        curves: A validated curves table.
        benchmark: Benchmark name, case-insensitive (unknown -> ``UserInputError`` listing the
            known ones).
        method: Test-time compute method as in the file or as in the preset names
            (``best-of-n``, ``majority``, ``reasoning``); unknown -> ``UserInputError``.
        alpha: Value of accuracy (USD per unit of accuracy fraction); default by benchmark
            (:data:`DEFAULT_ALPHA`), required for other benchmarks.
        b: Quality floor fraction in ``alpha (b + (1 - b) accuracy)``, in [0, 1].
        margin: Profit margin over cost (> 0): ``cost = price / (1 + margin)``.
        v0: Abstention value ``V_0``.
        beta: User rationality (``inf`` = perfect).
        models: Optional subset of models (providers), in the given order.

    Returns:
        The game, ``approximate`` when the curves are.

    Warns:
        ProfitNotIncreasingWarning: Where profit is not increasing in compute (assumption 2).

    References:
        Velasco et al. (2026), Section 5 and Appendix C.
    """
    benchmark = curves.resolve_benchmark(benchmark)
    method = curves.resolve_method(benchmark, method)
    frame = curves.slice(benchmark, method)
    if alpha is None:
        if benchmark not in DEFAULT_ALPHA:
            raise UserInputError(
                "alpha",
                f"a value of accuracy (no default for {benchmark}; defaults exist for "
                f"{', '.join(DEFAULT_ALPHA)})",
                None,
            )
        alpha = DEFAULT_ALPHA[benchmark]
    alpha = number(alpha, "alpha", positive=True)
    margin = number(margin, "margin", positive=True)
    if not (isinstance(b, int | float) and 0 <= b <= 1):
        raise UserInputError("b", "a quality floor in [0, 1]", b)
    known = list(dict.fromkeys(frame["model"]))
    chosen = known if models is None else [str(m) for m in models]
    unknown = [m for m in chosen if m not in known]
    if unknown:
        raise UserInputError(
            "models", f"models of {benchmark}/{method}: {', '.join(known)}", unknown
        )
    if len(set(chosen)) != len(chosen):
        raise UserInputError("models", "each model at most once", list(chosen))
    if len(chosen) < 2:
        raise UserInputError("models", "at least two providers", list(chosen))
    by_model = {m: g.sort_values("theta") for m, g in frame.groupby("model", sort=False)}
    levels = tuple(float(t) for t in by_model[chosen[0]]["theta"])
    accuracy = np.stack([by_model[m]["accuracy"].to_numpy() for m in chosen])
    tokens = np.stack([by_model[m]["avg_tokens"].to_numpy() for m in chosen])
    token_price = np.stack([by_model[m]["price_per_1m_tokens"].to_numpy() for m in chosen])
    price = price_from_tokens(tokens, token_price)
    labels = None
    if method == "reasoning_bin":
        labels = tuple(f"bin {t:g}" for t in levels)
    game = TTCGame(
        providers=tuple(chosen),
        levels=levels,
        quality=quality_from_accuracy(accuracy, alpha, b),
        cost=cost_from_price(price, margin),
        price=price,
        v0=v0,
        beta=beta,
        approximate=curves.approximate,
        level_labels=labels,
    )
    warn_profit_not_increasing(game)
    return game
