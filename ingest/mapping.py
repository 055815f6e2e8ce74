"""YAML mappings from a customs administration's own columns onto the canonical fields.

A mapping is checked when it is loaded, so a misspelt field name stops the run before any row is
read, with a message that names it and lists the valid ones::

    fields:            # canonical name: the file's column
      declaration_id: ENTRY_NO
      value: CIF_USD
    constants:         # canonical name: one value for every row
      currency: USD
    features:          # extra columns kept on the declaration as feature_<name>
      - CONTAINER_TYPE          # or, as a mapping, container: CONTAINER_TYPE
    values:            # canonical name: {the file's code: the value to store}
      transport_mode: {"10": sea, "40": air}

A code without a translation is kept as the file writes it: an administration's own codes are
categories like any other for the model and the rules. Columns a mapping names but a file lacks are
refused, except the outcome fields (``violation`` ...): new declarations have no outcome yet, so the
mapping of the labelled history serves them too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import yaml

from graph.errors import RiskGraphError
from ingest.fields import CANONICAL_FIELDS, OUTCOME_FIELDS, REQUIRED_FIELDS

__all__ = [
    "Mapping",
    "MappingError",
    "load_mapping",
    "parse_mapping",
    "canonical_columns",
    "raw_rows",
    "translate_codes",
    "RAW_ATTR",
]

#: ``DataFrame.attrs`` key under which :meth:`Mapping.apply` leaves the file's own rows, so that
#: validation can quarantine a bad row verbatim, in the file's own column names.
RAW_ATTR = "riskgraph_raw"

_SECTIONS = ("fields", "constants", "features", "values")


class MappingError(RiskGraphError, ValueError):
    """A mapping file that cannot be used, or a file that does not have the columns it names."""

    status, code = 422, "invalid_mapping"


class _Raw:
    """Holds the raw frame in ``attrs``; pandas deep-copies ``attrs`` on every operation, this opts out."""

    __slots__ = ("frame",)

    def __init__(self, frame: pd.DataFrame) -> None:
        self.frame = frame

    def __deepcopy__(self, memo: dict) -> _Raw:
        return self


@dataclass(frozen=True)
class Mapping:
    fields: dict[str, str] = field(default_factory=dict)
    constants: dict[str, str] = field(default_factory=dict)
    features: dict[str, str] = field(default_factory=dict)  # feature name -> source column
    values: dict[str, dict[str, str]] = field(default_factory=dict)  # canonical name -> {code: translation}
    origin: str = "<mapping>"

    def apply(self, df: pd.DataFrame, source: object = "<input>", only_present: bool = False) -> pd.DataFrame:
        """Canonical columns (plus ``feature_<name>``) from a file's own columns.

        Raises :class:`MappingError` naming the column and the file when a mapped column is absent,
        unless it is an outcome field (new declarations have none). Source columns are matched
        exactly, then ignoring case and surrounding spaces. ``values:`` translations apply to the
        text as written (spaces trimmed); other codes pass unchanged. ``only_present`` skips every
        mapped column the file lacks (an outcomes file has the declaration number and the outcome only).
        """
        lookup = {str(c).strip().lower(): c for c in df.columns}

        def found(name: str) -> object | None:
            if name in df.columns:
                return name
            return lookup.get(name.strip().lower())

        def column(name: str, role: str) -> pd.Series:
            if found(name) is not None:
                return df[found(name)]
            raise MappingError(
                f"{source}: no column {name!r} (mapped to {role} by {self.origin}); "
                f"the file has: {', '.join(map(str, df.columns))}"
            )

        data = {
            canon: column(src, canon).to_numpy()
            for canon, src in self.fields.items()
            if (canon not in OUTCOME_FIELDS and not only_present) or found(src) is not None
        }
        data |= {canon: [value] * len(df) for canon, value in self.constants.items()}
        data |= {f"feature_{name}": column(src, f"feature {name!r}").to_numpy() for name, src in self.features.items()}
        out = pd.DataFrame(data, index=df.index)
        for canon, table in self.values.items():
            if canon in out.columns:
                out[canon] = translate_codes(out[canon], table)
        out.attrs[RAW_ATTR] = _Raw(df)
        return out


def translate_codes(values: pd.Series, table: dict[str, str]) -> pd.Series:
    """Each value translated by ``table`` (keys compared as trimmed text); untranslated values unchanged."""
    text = values.astype("string").str.strip()
    return text.map(table).fillna(values.where(values.notna(), None)).astype(object)


def raw_rows(df: pd.DataFrame) -> pd.DataFrame:
    """The file's own rows behind a mapped frame (the frame itself when it was not mapped)."""
    raw = df.attrs.get(RAW_ATTR)
    return raw.frame if isinstance(raw, _Raw) and len(raw.frame) == len(df) else df


def canonical_columns(df: pd.DataFrame) -> pd.DataFrame:
    """Without a mapping: headers that spell a canonical field (any case, spaces trimmed) take its name."""
    renames = {}
    for col in df.columns:
        key = str(col).strip().lower()
        if key in CANONICAL_FIELDS and col != key:
            renames[col] = key
    return df.rename(columns=renames) if renames else df


def _section(doc: dict, name: str, origin: str) -> dict | list:
    value = doc.get(name) or {}
    if not isinstance(value, dict | list):
        raise MappingError(f"{origin}: '{name}:' must be a mapping, got {type(value).__name__}")
    return value


def _check_canonical(names: list[str], section: str, origin: str) -> None:
    for name in names:
        if name not in CANONICAL_FIELDS:
            raise MappingError(
                f"{origin}: unknown field {name!r} in '{section}:'; valid fields are: {', '.join(CANONICAL_FIELDS)}"
            )


def parse_mapping(doc: object, origin: str = "<mapping>") -> Mapping:
    """A :class:`Mapping` from the parsed YAML document, checked."""
    if not isinstance(doc, dict):
        raise MappingError(f"{origin}: a mapping file is a YAML mapping with 'fields:', 'constants:', 'features:'")
    unknown = [k for k in doc if k not in _SECTIONS]
    if unknown:
        raise MappingError(f"{origin}: unknown section {unknown[0]!r}; expected {', '.join(_SECTIONS)}")
    fields, constants = _section(doc, "fields", origin), _section(doc, "constants", origin)
    if isinstance(fields, list) or isinstance(constants, list):
        raise MappingError(f"{origin}: 'fields:' and 'constants:' map canonical names to a column or a value")
    _check_canonical(list(fields), "fields", origin)
    _check_canonical(list(constants), "constants", origin)
    for name, column in fields.items():
        if not isinstance(column, str | int) or column == "":
            raise MappingError(f"{origin}: field {name!r} must name one column, got {column!r}")
    both = sorted(set(fields) & set(constants))
    if both:
        raise MappingError(f"{origin}: {both[0]!r} is both in 'fields:' and in 'constants:'; keep one")
    missing = [f for f in REQUIRED_FIELDS if f not in fields and f not in constants]
    if missing:
        raise MappingError(
            f"{origin}: required fields not mapped: {', '.join(missing)} (required: {', '.join(REQUIRED_FIELDS)})"
        )

    values = _section(doc, "values", origin)
    if isinstance(values, list):
        raise MappingError(f"{origin}: 'values:' maps a canonical field to {{code: value}}")
    _check_canonical(list(values), "values", origin)
    for name, table in values.items():
        if not isinstance(table, dict):
            raise MappingError(f"{origin}: values of {name!r} must map codes to values, got {table!r}")

    raw_features = _section(doc, "features", origin)
    items = [(str(c), c) for c in raw_features] if isinstance(raw_features, list) else list(raw_features.items())
    features = {}
    for name, column in items:
        if not isinstance(column, str | int) or column == "":
            raise MappingError(f"{origin}: feature {name!r} must name one column, got {column!r}")
        features[str(name)] = str(column)
    return Mapping(
        fields={k: str(v) for k, v in fields.items()},
        constants={k: "" if v is None else str(v) for k, v in constants.items()},
        features=features,
        values={k: {str(code): str(v) for code, v in t.items()} for k, t in values.items()},
        origin=origin,
    )


def load_mapping(path: Path | str) -> Mapping:
    """Read and check a YAML mapping file; any problem is a :class:`MappingError` naming the file."""
    path = Path(path)
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise MappingError(f"{path}: cannot read the mapping file ({exc.strerror or exc})") from exc
    except yaml.YAMLError as exc:
        raise MappingError(f"{path}: not valid YAML ({exc})".replace("\n", " ")) from exc
    return parse_mapping(doc, str(path))
