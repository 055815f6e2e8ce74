"""The analysis job, ``riskgraph analyze``: read the input frames from Neo4j (``graph_io``), run the pure
algorithms end to end (``pipeline``) on an engine (``engines``, ``gds``), write scores back (``write_back``)
and save a snapshot under ``$RISKGRAPH_HOME`` (``snapshot``); ``run`` ties the stages together."""
