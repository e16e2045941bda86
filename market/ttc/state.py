"""What the TTC market records each round: the state and its named DataCollector reporters.

References:
    Velasco et al. (2026), Eqs. 3-5 (value, utility, welfare), Eq. 7 (potential), Eq. 9
    (the inefficiency ``max W / W``), Eq. 11 (the auction's utilities).
"""

from __future__ import annotations

from dataclasses import dataclass


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


# DataCollector reporters: named functions (Mesa idiom, STYLE.md item 4).
def report_levels(model) -> tuple[int, ...]:
    """Level index per provider."""
    return model.state.levels


def report_thetas(model) -> tuple[float, ...]:
    """Compute level value per provider."""
    return model.state.thetas


def report_shares(model) -> tuple[float, ...]:
    """Market share per provider."""
    return model.state.shares


def report_expected_shares(model) -> tuple[float, ...]:
    """The share function the providers respond to."""
    return model.state.expected_shares


def report_user_value(model) -> float:
    """Average user value per query."""
    return model.state.user_value


def report_price(model) -> float:
    """Average price paid per query."""
    return model.state.price


def report_prices(model) -> tuple[float, ...]:
    """Price per provider ``p_i(theta_i)`` (the bid price in the auction)."""
    return model.state.prices


def report_provider_utilities(model) -> tuple[float, ...]:
    """Utility per provider."""
    return model.state.provider_utility


def report_welfare(model) -> float:
    """Social welfare."""
    return model.state.welfare


def report_inefficiency(model) -> float:
    """``max W / W(theta_t)`` (Figure 2's dashed curve)."""
    return model.state.inefficiency


def report_potential(model) -> float:
    """Theorem 1's potential at the current profile."""
    return model.state.potential


MODEL_REPORTERS = {
    "levels": report_levels,
    "thetas": report_thetas,
    "shares": report_shares,
    "expected_shares": report_expected_shares,
    "user_value": report_user_value,
    "price": report_price,
    "prices": report_prices,
    "provider_utility": report_provider_utilities,
    "welfare": report_welfare,
    "inefficiency": report_inefficiency,
    "potential": report_potential,
}
