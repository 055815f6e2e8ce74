"""The enterprises' own records and identifiers, read from Neo4j and kept between runs.

Every run needs each firm's name, category, registration and country and the identifiers of its own records
(address, phone, legal representative); a whole read is seconds of Bolt at national scale. Only ingest writes them,
from a declaration's importer, seller, declarant and carrier (:mod:`ingest.writer`), so the firms new declarations
name are the only ones a day can have changed: an incremental run keeps the last run's copy and reads again just
those. The copy is then checked against what Neo4j counts of firms and identifiers (its count store, no scan), and a
copy that disagrees (a firm written some other way, a graph restored) is dropped for a whole read.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import neo4j
import pandas as pd

from analysis.graph_io import (
    ENTERPRISE_COLUMNS,
    ENTERPRISES,
    ENTERPRISES_OF,
    IDENTITY_COUNTS,
    LINK_COLUMNS,
    OWN_LINKS,
    OWN_LINKS_OF,
)
from graph.paging import read_pages

__all__ = ["Identities", "read_identities"]

_OWN_KINDS = ("address", "phone", "legal_rep")


@dataclass(frozen=True)
class Identities:
    """Every enterprise (:data:`~analysis.graph_io.ENTERPRISE_COLUMNS`, dates as ISO text) and the identifiers of
    their own records (:data:`~analysis.graph_io.LINK_COLUMNS`), each sorted."""

    enterprises: pd.DataFrame
    links: pd.DataFrame

    def counts(self) -> dict[str, int]:
        kinds = self.links["kind"].value_counts()
        return {"enterprises": len(self.enterprises), **{k: int(kinds.get(k, 0)) for k in _OWN_KINDS}}


def read_identities(
    driver: neo4j.Driver, database: str, kept: Identities | None = None, changed: Iterable[str] = ()
) -> tuple[Identities, str]:
    """The identities now, and how they were read (``"whole"`` or ``"refreshed"``): ``kept`` with the firms
    ``changed`` names read again, when that agrees with the graph's counts; else read whole."""
    if kept is not None:
        ids = sorted({str(i) for i in changed})
        fresh = _read(driver, database, ENTERPRISES_OF, OWN_LINKS_OF, ids=ids)
        refreshed = _sorted(
            pd.concat([kept.enterprises[~kept.enterprises["id"].isin(ids)], fresh.enterprises], ignore_index=True),
            pd.concat([kept.links[~kept.links["enterprise"].isin(ids)], fresh.links], ignore_index=True),
        )
        if refreshed.counts() == _graph_counts(driver, database):
            return refreshed, "refreshed"
    return _read(driver, database, ENTERPRISES, OWN_LINKS), "whole"


def _read(driver: neo4j.Driver, database: str, enterprises: str, links: str, **params) -> Identities:
    found = read_pages(driver, database, enterprises, ENTERPRISE_COLUMNS, **params)
    own = read_pages(driver, database, links, LINK_COLUMNS, **params)
    return _sorted(found, own)


def _sorted(enterprises: pd.DataFrame, links: pd.DataFrame) -> Identities:
    """One order whatever the reading, so a refreshed copy and a whole read give the analysis equal frames."""
    links = links.astype({"kind": str})
    return Identities(
        enterprises.sort_values("id", kind="stable").reset_index(drop=True),
        links.sort_values(list(LINK_COLUMNS), kind="stable").reset_index(drop=True),
    )


def _graph_counts(driver: neo4j.Driver, database: str) -> dict[str, int]:
    record = driver.execute_query(IDENTITY_COUNTS, database_=database, routing_=neo4j.RoutingControl.READ).records[0]
    return {k: int(record[k]) for k in ("enterprises", *_OWN_KINDS)}
