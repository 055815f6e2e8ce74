"""Reference exchange rates: declared money is summed and compared in US dollars, never across currencies.

A declaration's ``value`` (and ``revenue_recovered``) is in its invoice ``currency``. Adding or
comparing those numbers as they stand puts one yen beside one dollar: a dollar invoice then looks
150 times cheaper than its yen-invoiced peers. Every sum and every unit-value comparison therefore
goes through this one table.

A currency the table does not know - or a declaration without one - has no dollar value (NaN in
Python, null in Cypher): it is left out of peer comparisons and of sums rather than taken at par,
which could be off by a factor of a hundred. Give every declaration a currency (the ingest mapping
can set one for a whole file: ``constants: {currency: USD}``) and add the administration's own
currencies here.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

__all__ = ["CURRENCY_PER_USD", "USD_VALUE", "USD_REVENUE_RECOVERED", "per_usd", "to_usd", "value_in_usd"]

#: units of each invoice currency (ISO 4217, capitals as ingest stores them) per US dollar, 2025
#: averages. Customs publishes its own reference rates; replace these with yours.
CURRENCY_PER_USD: dict[str, float] = {
    "USD": 1.0, "EUR": 0.92, "JPY": 150.0, "GBP": 0.79, "AUD": 1.52, "HKD": 7.8, "CNY": 7.2, "CHF": 0.88,
}  # fmt: skip

#: a declaration ``d``'s value in US dollars, in Cypher, with ``$per_usd`` = :data:`CURRENCY_PER_USD`;
#: null (so left out of ``sum``) without a known currency
USD_VALUE = "d.value / $per_usd[d.currency]"
#: the revenue an inspection of ``d`` recovered, in US dollars (same parameter, same rule)
USD_REVENUE_RECOVERED = "d.revenue_recovered / $per_usd[d.currency]"


def per_usd(currencies) -> np.ndarray:
    """Units of each currency per US dollar (vectorised); NaN for an unknown or missing currency.

    >>> per_usd(["USD", "JPY", "XYZ", None]).tolist()
    [1.0, 150.0, nan, nan]
    """
    return pd.Series(np.asarray(currencies, dtype=object)).map(CURRENCY_PER_USD).to_numpy(dtype=float)


def to_usd(values, currencies) -> np.ndarray:
    """``values`` in US dollars, each converted from its own currency; NaN where the currency is unknown.

    >>> to_usd([150.0, 92.0, 10.0], ["JPY", "EUR", "XYZ"]).tolist()
    [1.0, 100.0, nan]
    """
    return np.asarray(values, dtype=float) / per_usd(currencies)


def value_in_usd(value: float, currency: str | None) -> float:
    """One value in US dollars (the per-declaration scoring path); NaN where the currency is unknown.

    >>> value_in_usd(300.0, "JPY"), value_in_usd(1.0, None)
    (2.0, nan)
    """
    rate = CURRENCY_PER_USD.get(currency)
    return value / rate if rate else math.nan
