"""The ``riskgraph`` command line: the top floor, importing every package and imported by none."""
