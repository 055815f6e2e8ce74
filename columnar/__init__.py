"""The declarations in columns: a Parquet copy beside the graph and an analytical engine over it."""
