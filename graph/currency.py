"""Reference exchange rates, and the one unit money is added and compared in.

A declaration's ``value`` (and ``revenue_recovered``) is in its invoice ``currency``. Adding or
comparing those numbers as they stand puts one yen beside one dollar: a dollar invoice then looks
150 times cheaper than its yen-invoiced peers. Every sum and every unit-value comparison therefore
goes through :func:`money_basis`:

* values of one currency need no rate: when the declarations concerned are all in one currency
  (an administration's own file in its own currency), money is added and compared in that
  currency as it stands;
* across currencies, money is converted to US dollars at the reference rates. A currency without
  a rate - or a declaration without one - then has no value in the common unit (NaN in Python,
  null in Cypher): it is left out of peer comparisons and of sums rather than taken at par, and
  ingest counts and says how many rows that is.

The rates are data: the built-in table :data:`CURRENCY_PER_USD` (2025 averages) is only the
default; ``riskgraph rates load rates.csv`` (currency, units per USD, valid from) keeps the
administration's own history in ``$RISKGRAPH_HOME/rates.csv``, and the rate in force today wins.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from graph.errors import RiskGraphError
from graph.home import RATES

__all__ = [
    "CURRENCY_PER_USD",
    "RATE_COLUMNS",
    "USD_VALUE",
    "USD_REVENUE_RECOVERED",
    "Money",
    "RatesError",
    "money_basis",
    "graph_money",
    "reference_rates",
    "rates_file",
    "read_rate_history",
    "load_rates",
    "per_usd",
    "to_usd",
    "value_in_usd",
]

RATE_COLUMNS = ("currency", "per_usd", "valid_from")

#: the built-in default: units of each invoice currency (ISO 4217, capitals as ingest stores them) per
#: US dollar, 2025 averages. Load your administration's own with ``riskgraph rates load``.
CURRENCY_PER_USD: dict[str, float] = {
    "USD": 1.0, "EUR": 0.92, "JPY": 150.0, "GBP": 0.79, "AUD": 1.52, "HKD": 7.8, "CNY": 7.2, "CHF": 0.88,
}  # fmt: skip

#: a declaration ``d``'s value in the money unit, in Cypher, with ``$per_usd`` = :attr:`Money.per_unit`;
#: null (so left out of ``sum``) without a known currency
USD_VALUE = "d.value / $per_usd[d.currency]"
#: the revenue an inspection of ``d`` recovered, in the money unit (same parameter, same rule)
USD_REVENUE_RECOVERED = "d.revenue_recovered / $per_usd[d.currency]"


class RatesError(RiskGraphError, ValueError):
    """A rates file that cannot be used, with the row and the reason."""

    status, code = 422, "invalid_rates"


def rates_file() -> Path:
    from graph.config import settings

    return Path(settings().home) / RATES


def read_rate_history() -> pd.DataFrame:
    """Every loaded rate (:data:`RATE_COLUMNS` plus ``loaded_at``), in load order; empty when none."""
    path = rates_file()
    if not path.exists():
        return pd.DataFrame(columns=[*RATE_COLUMNS, "loaded_at"])
    return pd.read_csv(path, dtype={"currency": str, "valid_from": str, "loaded_at": str})


def reference_rates(on: date | None = None) -> dict[str, float]:
    """Units per US dollar in force on ``on`` (today): the loaded history over the built-in defaults."""
    table = dict(CURRENCY_PER_USD)
    history = read_rate_history()
    if len(history):
        day = (on or date.today()).isoformat()
        valid = history[history["valid_from"] <= day]
        latest = valid.sort_values("valid_from", kind="stable").drop_duplicates("currency", keep="last")
        table |= dict(zip(latest["currency"], latest["per_usd"].astype(float), strict=True))
    return table


def load_rates(path: Path | str) -> pd.DataFrame:
    """Check a CSV of (currency, per_usd, valid_from) and append it to the history; returns the rows added."""
    try:
        frame = pd.read_csv(path, dtype=str).rename(columns=lambda c: str(c).strip().lower())
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise RatesError(f"{path}: cannot read the rates file ({exc})") from exc
    missing = [c for c in RATE_COLUMNS if c not in frame.columns]
    if missing:
        raise RatesError(f"{path}: no column {', '.join(missing)} (needs {', '.join(RATE_COLUMNS)})")
    rows = []
    for i, row in enumerate(frame[list(RATE_COLUMNS)].fillna("").to_dict("records"), start=1):
        currency = row["currency"].strip().upper()
        if not (len(currency) == 3 and currency.isalpha()):
            raise RatesError(f"{path} row {i}: currency {row['currency']!r} is not an ISO 4217 code")
        try:
            rate = float(row["per_usd"])
        except ValueError:
            rate = math.nan
        if not rate > 0 or math.isinf(rate):
            raise RatesError(f"{path} row {i}: per_usd {row['per_usd']!r} must be a number above 0")
        try:
            valid = date.fromisoformat(row["valid_from"].strip()).isoformat()
        except ValueError:
            raise RatesError(f"{path} row {i}: valid_from {row['valid_from']!r} is not a date (2025-01-01)") from None
        rows.append({"currency": currency, "per_usd": rate, "valid_from": valid})
    added = pd.DataFrame(rows, columns=list(RATE_COLUMNS)).assign(loaded_at=pd.Timestamp.now("UTC").isoformat())
    target = rates_file()
    target.parent.mkdir(parents=True, exist_ok=True)
    added.to_csv(target, mode="a", header=not target.exists(), index=False, lineterminator="\n")
    return added


@dataclass(frozen=True)
class Money:
    """The unit money is added and compared in, and each currency's units per that unit."""

    unit: str = "USD"
    per_unit: dict[str, float] = field(default_factory=lambda: dict(CURRENCY_PER_USD))

    def convert(self, values, currencies) -> np.ndarray:
        """``values`` in :attr:`unit`; NaN where the currency has no rate."""
        rates = pd.Series(np.asarray(currencies, dtype=object)).map(self.per_unit).to_numpy(dtype=float)
        return np.asarray(values, dtype=float) / rates

    def without_rate(self, currencies) -> int:
        """How many of ``currencies`` cannot be converted (missing, or no rate)."""
        return int((~pd.Series(np.asarray(currencies, dtype=object)).isin(self.per_unit)).sum())


def money_basis(currencies=None) -> Money:
    """The unit for money in ``currencies`` (the declarations concerned): their own currency when there is
    only one (no rate needed), else US dollars at the reference rates in force.

    >>> money_basis(["TZS", "TZS", None]).unit, money_basis(["USD", "JPY"]).unit
    ('TZS', 'USD')
    """
    present = set() if currencies is None else {c for c in pd.unique(np.asarray(currencies, dtype=object)) if c}
    present = {c for c in present if isinstance(c, str)}
    if len(present) == 1:
        only = present.pop()
        return Money(only, {only: 1.0})
    return Money("USD", reference_rates())


GRAPH_CURRENCIES = """
MATCH (d:Declaration) WHERE d.currency IS NOT NULL RETURN collect(DISTINCT d.currency) AS currencies
"""


def graph_money(driver, database: str) -> Money:
    """The money basis of the declarations in the graph (their one currency, or US dollars)."""
    import neo4j

    record = driver.execute_query(GRAPH_CURRENCIES, database_=database, routing_=neo4j.RoutingControl.READ).records[0]
    return money_basis(record["currencies"])


def per_usd(currencies) -> np.ndarray:
    """Units of each currency per US dollar (vectorised); NaN for an unknown or missing currency.

    >>> per_usd(["USD", "JPY", "XYZ", None]).tolist()
    [1.0, 150.0, nan, nan]
    """
    return pd.Series(np.asarray(currencies, dtype=object)).map(reference_rates()).to_numpy(dtype=float)


def to_usd(values, currencies) -> np.ndarray:
    """``values`` in US dollars, each converted from its own currency; NaN where the currency is unknown.

    >>> to_usd([150.0, 92.0, 10.0], ["JPY", "EUR", "XYZ"]).tolist()
    [1.0, 100.0, nan]
    """
    return np.asarray(values, dtype=float) / per_usd(currencies)


def value_in_usd(value: float, currency: str | None) -> float:
    """One value in US dollars; NaN where the currency is unknown.

    >>> value_in_usd(300.0, "JPY"), value_in_usd(1.0, None)
    (2.0, nan)
    """
    rate = reference_rates().get(currency)
    return value / rate if rate else math.nan
