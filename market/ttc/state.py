"""What the TTC market records each round: the state and its named DataCollector reporters.

References:
    Velasco et al. (2026), Eqs. 3-5 (value, utility, welfare), Eq. 7 (potential), Eq. 9
    (the inefficiency ``max W / W``), Eq. 11 (the auction's utilities).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from market.core.providers import provider_column


@dataclass(frozen=True)
class MarketState:
    """The market after one round (what the DataCollector records).

    Attributes:
        levels: level index per provider.
        thetas: compute level value per provider.
        shares: market share per provider (realised user choices when a user population is
            simulated; the share function of Table 1 otherwise; the auction gives all to the
            winner).
        expected_shares: the share function the providers respond to.
        user_value: average value per query received by users (Eq. 5, user part).
        price: average price paid per query.
        prices: price per provider, ``p_i(theta_i)`` (its bid price in the auction).
        provider_utility: utility per provider (Eq. 4 or Eq. 11).
        welfare: social welfare (Eq. 5; the users' value plus the providers' profit with
            simulated users; ``W_winner`` in the auction).
        inefficiency: ``max W / W(theta_t)`` (NaN when the maximum is not available).
        potential: Theorem 1's potential (NaN in the auction and for heterogeneous users).
    """

    levels: tuple[int, ...]
    thetas: tuple[float, ...]
    shares: tuple[float, ...]
    expected_shares: tuple[float, ...]
    user_value: float
    price: float
    prices: tuple[float, ...]
    provider_utility: tuple[float, ...]
    welfare: float
    inefficiency: float
    potential: float


# DataCollector reporters: named functions (Mesa idiom, STYLE.md item 4), one number a cell.
def report_step(model) -> int:
    """Mesa steps taken so far (0 before the first)."""
    return model.steps


def report_user_value(model) -> float:
    """Average user value per query."""
    return model.state.user_value


def report_price(model) -> float:
    """Average price paid per query."""
    return model.state.price


def report_welfare(model) -> float:
    """Social welfare."""
    return model.state.welfare


def report_inefficiency(model) -> float:
    """``max W / W(theta_t)`` (Figure 2's dashed curve)."""
    return model.state.inefficiency


def report_potential(model) -> float:
    """Theorem 1's potential at the current profile."""
    return model.state.potential


def report_provider_quantity(field: str, index: int, model) -> float:
    """Provider ``index``'s (0-based) entry of the state's ``field`` (bound with partial)."""
    return getattr(model.state, field)[index]


#: Market-wide DataCollector columns.
MARKET_REPORTERS = {
    "step": report_step,
    "user_value": report_user_value,
    "price": report_price,
    "welfare": report_welfare,
    "inefficiency": report_inefficiency,
    "potential": report_potential,
}

#: Per-provider DataCollector quantities: column quantity -> :class:`MarketState` field.
PROVIDER_QUANTITIES = {
    "level": "levels",
    "theta": "thetas",
    "share": "shares",
    "expected_share": "expected_shares",
    "price": "prices",
    "utility": "provider_utility",
}


def model_reporters(n_providers: int) -> dict:
    """The DataCollector's reporters: the market's, then one per quantity and provider.

    Per-provider columns are ``<quantity>[Provider <k>]``, providers numbered from 1
    (:func:`market.core.providers.provider_column`).
    """
    reporters = dict(MARKET_REPORTERS)
    for quantity, field in PROVIDER_QUANTITIES.items():
        for i in range(n_providers):
            column = provider_column(quantity, i + 1)
            reporters[column] = partial(report_provider_quantity, field, i)
    return reporters
