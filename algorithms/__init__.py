"""Pure network analytics on frames and graphs: projection, communities, centrality, propagation, peers,
recency, network scores. No database, no files; the analysis job (``analysis/``) runs them on the graph."""
