"""Loading customs declarations into the graph: mapping, validation, entity resolution, upserts."""
