"""From a scenario to the economics of the delegation game: menus, prices, benchmarks.

Turns a :class:`~market.delegation.scenarios.DelegationScenario` (providers' menus, list prices,
T, eps, ...) and its response table into what the mechanism and the agents need: each provider's
per-token price ``p_i``, each model's per-token cost ``c_m``, the truthful model, expected
rewards and lengths, and the first-best and second-best user utilities ``u_FB`` and ``u_SB``.

References:
    Cao et al. (2026), Section 3.1 (prices, costs, truthful behaviour), Section 3.2 (``u_FB``,
    ``u_SB``), Section 6.1 (the provider's price is its most expensive model's);
    ``docs/delegation-variant.md`` (the artifact's truthful model and price).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from market.core.errors import UserInputError
from market.delegation.prices import usd_per_token
from market.delegation.responses import ResponseTable


@dataclass(frozen=True)
class ProviderMenu:
    """One provider's models, costs and public price (all per output token, USD).

    Attributes:
        name: display name ("provider 1").
        models: model names on the menu.
        rows: each model's row in the economy's response table.
        costs: per-token cost ``c_m`` of each model (its list price).
        price: the public price per token ``p_i``.
        truthful_model: menu index of the truthful model.
        mean_reward: ``mu_r_m`` of each model.
        mean_length: ``mu_l_m`` of each model.
    """

    name: str
    models: tuple[str, ...]
    rows: tuple[int, ...]
    costs: tuple[float, ...]
    price: float
    truthful_model: int
    mean_reward: tuple[float, ...]
    mean_length: tuple[float, ...]

    @property
    def truthful_user_utility(self) -> float:
        """``mu_r_i - p_i mu_l_i`` of truthful service (Section 3.2)."""
        m = self.truthful_model
        return self.mean_reward[m] - self.price * self.mean_length[m]


def truthful_model_paper(costs, mean_reward, mean_length) -> tuple[int, float]:
    """Truthful model and price as printed: price = the dearest model's cost; cost = price.

    Several models at that cost: the one with the highest expected user utility
    ``mu_r - p mu_l`` (``docs/delegation-variant.md``).
    """
    costs = np.asarray(costs)
    price = float(costs.max())
    at_price = np.flatnonzero(costs == price)
    utility = np.asarray(mean_reward)[at_price] - price * np.asarray(mean_length)[at_price]
    return int(at_price[int(np.argmax(utility))]), price


def truthful_model_artifact(costs, mean_reward, mean_length, reward_bound=1.0):
    """The artifact's truthful model: highest ``R mu_r - c mu_l``; price = its cost.

    As reconstructed in ``docs/delegation-variant.md``.
    """
    score = reward_bound * np.asarray(mean_reward) - np.asarray(costs) * np.asarray(mean_length)
    m = int(np.argmax(score))
    return m, float(np.asarray(costs)[m])


def cap_lengths(table: ResponseTable, max_length: int) -> ResponseTable:
    """The table with true lengths capped at L (Section 3.1: all lengths are bounded by L)."""
    if max_length >= table.max_length:
        return table
    capped = np.minimum(table.length, max_length)
    n = int(np.count_nonzero(table.length > max_length))
    note = f"{n} output lengths above L = {max_length} capped at L"
    return ResponseTable(
        table.models, table.query_ids, table.reward, capped, table.source, (*table.notes, note)
    )


@dataclass(frozen=True)
class DelegationEconomy:
    """Everything about the market that does not depend on strategies or the mechanism's run."""

    table: ResponseTable
    providers: tuple[ProviderMenu, ...]
    max_length: int
    reward_bound: float
    eta: float
    rules: str

    @property
    def prices(self) -> tuple[float, ...]:
        """``p_i`` of every provider."""
        return tuple(p.price for p in self.providers)

    def truthful_utilities(self) -> np.ndarray:
        """Per-query expected user utility of each provider when truthful."""
        return np.array([p.truthful_user_utility for p in self.providers])

    def first_best(self, T: int) -> float:
        """``u_FB = T max_i (mu_r_i - p_i mu_l_i)`` (Section 3.2)."""
        return float(T * np.max(self.truthful_utilities()))

    def second_best(self, T: int) -> float:
        """``u_SB``: T times the second largest truthful per-query utility (Section 3.2)."""
        return float(T * np.sort(self.truthful_utilities())[-2])

    def all_model_stats(self) -> tuple[tuple[float, float], ...]:
        """(mu_r, mu_l) of every distinct model on any menu (the artifact's delta1)."""
        seen: dict[int, tuple[float, float]] = {}
        for p in self.providers:
            for row, r, length in zip(p.rows, p.mean_reward, p.mean_length, strict=True):
                seen[row] = (r, length)
        return tuple(seen.values())


def build_menu(table, name, models, prices_per_1m, rules, reward_bound) -> ProviderMenu:
    """One provider's menu from the (capped) table and list prices."""
    rows = tuple(table.model_index(m) for m in models)
    costs = []
    for m in models:
        if m not in prices_per_1m:
            raise UserInputError("prices", f"a list price for model {m!r}", None)
        costs.append(usd_per_token(float(prices_per_1m[m])))
    mu_r = table.reward[list(rows)].mean(axis=1)
    mu_l = table.length[list(rows)].mean(axis=1)
    if rules == "artifact":
        truthful, price = truthful_model_artifact(costs, mu_r, mu_l, reward_bound)
    else:
        truthful, price = truthful_model_paper(costs, mu_r, mu_l)
    return ProviderMenu(
        name,
        tuple(models),
        rows,
        tuple(costs),
        price,
        truthful,
        tuple(float(x) for x in mu_r),
        tuple(float(x) for x in mu_l),
    )


def build_economy(scenario, rules: str) -> DelegationEconomy:
    """The economy of ``scenario`` under a mechanism whose public rules are ``rules``."""
    table = scenario.table()
    max_length = int(scenario.max_length or table.max_length)
    table = cap_lengths(table, max_length)
    menus = tuple(
        build_menu(table, spec.name, spec.models, scenario.prices, rules, scenario.reward_bound)
        for spec in scenario.providers
    )
    if rules == "artifact":
        check_positive_means(menus)
    return DelegationEconomy(
        table, menus, max_length, float(scenario.reward_bound), float(scenario.eta), rules
    )


def check_positive_means(menus: tuple[ProviderMenu, ...]) -> None:
    """The artifact's ``delta1`` takes logs of mean rewards and lengths: all must be > 0."""
    for menu in menus:
        for model, reward, length in zip(
            menu.models, menu.mean_reward, menu.mean_length, strict=True
        ):
            if not (reward > 0 and length > 0):
                raise UserInputError(
                    "data",
                    "a positive mean reward and mean output length for every model "
                    "on a menu (the artifact variant takes their logarithms)",
                    f"{model}: mean reward {reward:g}, mean length {length:g}",
                )
