"""The ground floor: settings (``config``), the error family (``errors``), the schema, the Neo4j connection and
local server, reference data and currencies. Imports nothing from the other packages."""
