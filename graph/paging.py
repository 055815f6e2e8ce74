"""Reading a whole label into pandas fast: paged ``collect`` queries inside one read transaction.

One record per page holding a list of rows is about 4x faster than streaming a record per row, and
one transaction keeps the pages consistent with each other.
"""

from __future__ import annotations

import neo4j
import pandas as pd

__all__ = ["PAGE_SIZE", "read_pages"]

PAGE_SIZE = 100_000


def read_pages(
    driver: neo4j.Driver, database: str, query: str, columns: tuple[str, ...], page_size: int = PAGE_SIZE, **params
) -> pd.DataFrame:
    """Run a ``... SKIP $skip LIMIT $limit ... RETURN collect([...]) AS rows`` query until a page comes back short."""

    def work(tx: neo4j.ManagedTransaction) -> list[pd.DataFrame]:
        parts, skip = [], 0
        while True:
            rows = tx.run(query, skip=skip, limit=page_size, **params).single()["rows"]
            parts.append(pd.DataFrame.from_records(rows, columns=list(columns)))
            if len(rows) < page_size:
                return parts
            skip += page_size

    with driver.session(database=database, default_access_mode=neo4j.READ_ACCESS) as session:
        parts = session.execute_read(work)
    return pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
