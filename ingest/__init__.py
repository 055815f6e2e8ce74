"""The loader: customs declarations into the graph (mapping, validation, entity resolution, batched upserts, the
bulk first load). Sample data is generated in ``sample/``, not here."""
