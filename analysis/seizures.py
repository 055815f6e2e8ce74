"""Seizures count like confirmed violations: the firms a seizure record names become known violators.

An investigator's seizure (``investigate.intel``, kind ``seizure``) names the firms involved directly, or the
container or bill of lading the goods were found in. A named firm is a known violator; a named consignment
makes one of the importers whose declarations it covered within :data:`SEIZURE_WINDOW_DAYS` of the seizure
(its ``valid_from``: one voyage; months apart, the box carried other firms' goods, as ``algorithms.projection``
reads container reuse). A withdrawn seizure counts for nothing. The analysis adds them to the known violators
it propagates risk from (``analysis.graph_io``, ``analysis.aggregates``), full and incremental runs alike.
"""

from __future__ import annotations

import neo4j

from algorithms.projection import REUSE_DAYS
from graph.model import schema
from graph.paging import read_pages

__all__ = ["SEIZURE_WINDOW_DAYS", "SEIZURE_VIOLATORS", "seizure_violators"]

for _label in ("Intel", "Enterprise", "Consignment", "Declaration"):
    schema().node(_label)
for _rel in ("MENTIONS", "COVERS"):
    schema().relationship(_rel)

SEIZURE_WINDOW_DAYS = REUSE_DAYS

#: (id, record, day): each violator with the seizure that makes it one and the seizure's day
SEIZURE_VIOLATORS = """
MATCH (i:Intel {kind: 'seizure', status: 'active'})-[:MENTIONS]->(x)
WHERE $records IS NULL OR i.id IN $records
CALL (i, x) {
  WITH x WHERE x:Enterprise
  RETURN x.id AS id
  UNION
  MATCH (x:Consignment)<-[:COVERS]-(d:Declaration)
  WHERE i.valid_from IS NULL OR abs(duration.inDays(i.valid_from, d.date).days) <= $days
  RETURN d.importer_id AS id
}
WITH id, i WHERE id IS NOT NULL
WITH DISTINCT id, i.id AS record, toString(coalesce(i.valid_from, date(i.created))) AS day
ORDER BY id, record
SKIP $skip LIMIT $limit
RETURN collect([id, record, day]) AS rows
"""


def seizure_violators(driver: neo4j.Driver, database: str, records: list[str] | None = None):
    """``(id, record, day)`` rows (a frame): the firms the active seizures (or those of ``records``) make violators."""
    return read_pages(
        driver, database, SEIZURE_VIOLATORS, ("id", "record", "day"), records=records, days=SEIZURE_WINDOW_DAYS
    )
