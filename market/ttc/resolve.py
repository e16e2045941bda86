"""What a TTC function is given as its game: a preset name, a built spec or the game itself.

And what a person names beside it: the users' rationality ``beta`` (:func:`parse_beta` as
typed on the command line, :func:`beta_value` in a grid file; a positive number, or ``inf``
for perfectly rational users) and the better-response rule (:func:`dynamics_rule`).

References:
    Velasco et al. (2026), "Test-Time Compute Games", Section 3 (the game) and Figure 2 (beta).
"""

from __future__ import annotations

import math

from agents.ttc.strategies import STRATEGIES
from market.core.errors import UserInputError
from market.core.grids import real
from market.ttc.results import GameSpec
from market.ttc.scenarios import get_scenario
from mechanisms.ttc.game import TTCGame

#: The better-response rule the dynamics follow unless told otherwise.
DEFAULT_RULE = "nearest-improving"
#: The paper's user rationality in Figure 2 and Table 2 (1/USD), for games built from a name.
DEFAULT_BETA = 1000.0


def as_game(
    preset: str | GameSpec | TTCGame, *, beta: float | None = None, v0: float | None = None
) -> TTCGame:
    """The game ``preset`` stands for: a preset name, a GameSpec or a TTCGame.

    Args:
        preset: a scenario name (built at :data:`DEFAULT_BETA` unless ``beta`` is given, and
            ``V_0 = 0`` unless ``v0`` is given), a :class:`~market.ttc.results.GameSpec` or a
            :class:`~mechanisms.ttc.game.TTCGame`.
        beta: user rationality in 1/USD (None: the game's own).
        v0: abstention value in USD per query (None: the game's own).

    Returns:
        The :class:`~mechanisms.ttc.game.TTCGame`.

    Raises:
        UserInputError: for an unknown preset name or anything else.
    """
    if isinstance(preset, str):
        build = {"beta": DEFAULT_BETA if beta is None else beta, "v0": 0.0 if v0 is None else v0}
        return get_scenario(preset).build(**build)
    if isinstance(preset, GameSpec):
        preset = preset.game
    if not isinstance(preset, TTCGame):
        raise UserInputError(
            "preset", "a preset name, a GameSpec or a TTCGame", type(preset).__name__
        )
    game = preset if beta is None else preset.with_beta(beta)
    return game if v0 is None else game.with_v0(v0)


PERFECT_WORDS = ("inf", "+inf", "infinity", "perfect")


def parse_beta(text: str, field: str = "beta") -> float:
    """``inf`` (perfect rationality) or a finite number, read from text.

    Only the words ``inf``/``infinity``/``perfect`` mean perfect rationality: a number too large
    for a float (``1e400``) is refused rather than silently read as ``inf``. Whether the number
    is a valid rationality (> 0) is checked once, where the game is built
    (:func:`mechanisms.ttc.game.validate_beta`).
    """
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
    return value


def beta_value(value, where: str) -> float:
    """A rationality: a positive number, or ``"inf"`` for perfectly rational users."""
    if isinstance(value, str) and value.strip().lower() in ("inf", "infinity", "perfect"):
        return math.inf
    number = real(value, where)
    if number <= 0:
        raise UserInputError(where, 'a rationality > 0 (or "inf")', value)
    return number


def dynamics_rule(name: str) -> str:
    """A registered better-response strategy name (the rules that end at an equilibrium)."""
    rules = [c.name for c in STRATEGIES.filter(lambda c: c.get("better_response"))]
    if name not in rules:
        raise UserInputError("dynamics", f"one of {', '.join(rules)}", name)
    return name
