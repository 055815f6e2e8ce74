"""Network analytics on the customs graph: communities, centrality, propagation, peers, recency."""
