"""List prices of the models in the shipped records (USD per 1M output tokens).

:data:`PRICES` holds the output price of all 16 shipped models (``market/delegation/data/
prices.csv``, with sources), :func:`list_price` looks one up. The mechanism works per token:
divide by one million (:func:`usd_per_token`).

References:
    Cao et al. (2026), Sec. 6.1 (the providers' list prices; costs c_m are list prices).
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from types import MappingProxyType

from market.core.errors import UserInputError


@dataclass(frozen=True)
class PriceEntry:
    """One row of ``market/delegation/data/prices.csv``.

    Attributes:
        model: Model name as in the response tables.
        input_usd_per_1m: Input price, USD per 1M tokens (None when the source gives none;
            the delegation game ignores input tokens, Remark 1 of the paper).
        output_usd_per_1m: Output price, USD per 1M tokens (the cost ``c_m``).
        source: Where the price comes from.
    """

    model: str
    input_usd_per_1m: float | None
    output_usd_per_1m: float
    source: str


def _read_price_list() -> tuple[PriceEntry, ...]:
    text = (
        resources.files("market.delegation.data").joinpath("prices.csv").read_text(encoding="utf-8")
    )
    rows = csv.DictReader(text.splitlines())
    return tuple(
        PriceEntry(
            model=row["model"],
            input_usd_per_1m=float(row["input_usd_per_1m"]) if row["input_usd_per_1m"] else None,
            output_usd_per_1m=float(row["output_usd_per_1m"]),
            source=row["source"],
        )
        for row in rows
    )


#: Every row of the shipped price list.
PRICE_LIST: tuple[PriceEntry, ...] = _read_price_list()
#: Output list price, USD per 1M tokens, of all 16 shipped models (paper's and artifact's).
PRICES: Mapping[str, float] = MappingProxyType(
    {entry.model: entry.output_usd_per_1m for entry in PRICE_LIST}
)


def list_price(model: str) -> float:
    """The output list price of ``model`` in USD per 1M tokens (Cao et al. 2026, Sec. 6.1)."""
    try:
        return PRICES[model]
    except KeyError:
        raise UserInputError(
            "price of model", f"a model with a list price: {', '.join(PRICES)}", model
        ) from None


def usd_per_token(usd_per_1m: float) -> float:
    """A price per 1M tokens as a price per token (what ``p_i * l'`` multiplies)."""
    return usd_per_1m / 1_000_000
