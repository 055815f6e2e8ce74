"""The ground floor: settings (``config``), the error family (``errors``), the layout of ``$RISKGRAPH_HOME`` and
its versioned store (``home``), the schema, the Neo4j connection and local server, reference data, currencies,
and the vocabulary every investigator query shares (``scope``). Imports nothing from the other packages."""
