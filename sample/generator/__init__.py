"""Synthetic sample data: a Chinese port's year of import declarations with planted risks and ground truth.

    from sample.generator import generate
    summary = generate(Path("data/sample"), declarations=20_000, seed=7)

Declaration files use exactly the canonical columns (``ingest.fields.CANONICAL_FIELDS``), one file per
quarter; what was planted is written only under ``truth/``. Modules: ``world`` (reference tables),
``names`` and ``identifiers`` (how parties and numbers are written), ``actors`` (importers, sellers,
brokers), ``flows`` (honest trade), ``schemes`` (planted risks and honest look-alikes), ``outcomes``
(inspection history), ``writer`` (assembly and files).
"""

from .writer import generate

__all__ = ["generate"]
