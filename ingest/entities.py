"""An entity named by intelligence (``{type, value}``) as the keys ingest gives the graph's nodes.

A lookout on a phone written ``+86 21 5555 0101`` must hit a declaration that writes ``021-55550101``, and
link to the ``Phone`` node ingest made of it: so each entity value goes through the same normaliser as the
declaration field it stands for (:mod:`ingest.normalize`). Each entity gives one or more *match keys*
``(kind, key)``; a declaration's party fields give theirs with :func:`declaration_keys`, and the two meet
on equal keys. An enterprise (or seller) may be named by its code or by its name, so it gives both.

>>> entity_keys("phone", "+86 21 5555 0101") == entity_keys("phone", "021-55550101")
True
"""

from __future__ import annotations

import pandas as pd

from ingest import normalize as nz

__all__ = ["ENTITY_TYPES", "GRAPH_NODE", "KEY_FIELDS", "EntityError", "entity_keys", "declaration_keys"]

#: entity type -> the graph label and key property its node has (enterprise and seller are both firms)
GRAPH_NODE = {
    "enterprise": ("Enterprise", "id"),
    "seller": ("Enterprise", "id"),
    "person": ("Person", "id"),
    "phone": ("Phone", "number"),
    "address": ("Address", "key"),
    "consignment": ("Consignment", "id"),
    "vessel": ("Vessel", "id"),
}
ENTITY_TYPES = tuple(GRAPH_NODE)


class EntityError(ValueError):
    """An entity that cannot be matched: an unknown type, or a value no normaliser can read."""


def _text(value) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        if pd.isna(value):  # NaN, NA, NaT as a frame's rows carry them
            return None
        value = str(value)
    return value.strip() or None


def _vessel(value: str) -> str:
    return " ".join(value.upper().split())


def entity_keys(entity_type: str, value: object) -> list[tuple[str, str]]:
    """The match keys of one entity: ``[(kind, key), ...]``, the graph key first. Raises :class:`EntityError`."""
    text = _text(value)
    if entity_type not in GRAPH_NODE:
        raise EntityError(f"entity type {entity_type!r} is not one of {', '.join(ENTITY_TYPES)}")
    if text is None:
        raise EntityError(f"{entity_type}: empty value")
    if entity_type in ("enterprise", "seller"):
        name = nz.normalize_name(text)
        return [("firm", text), *([("firm_name", name)] if name else [])]
    key = {
        "person": nz.normalize_person_name,
        "phone": nz.normalize_phone,
        "address": nz.address_key,
        "consignment": str.strip,
        "vessel": _vessel,
    }[entity_type](text)
    if not key:
        raise EntityError(f"{entity_type} {text[:80]!r} cannot be read as one")
    return [(entity_type, key)]


# (match kind, field the validated rows carry already normalised, raw field, normaliser)
_NORMALISED = (
    ("address", "importer_address_key", "importer_address", nz.address_key),
    ("phone", "importer_phone_norm", "importer_phone", nz.normalize_phone),
    ("person", "importer_legal_rep_norm", "importer_legal_rep", nz.normalize_person_name),
    ("firm_name", "importer_name_norm", "importer_name", nz.normalize_name),
    ("firm_name", "seller_name_norm", "seller_name", nz.normalize_name),
)
#: (match kind, field) taken as given (ids are stripped text in ingest too)
_AS_GIVEN = (
    ("firm", "importer_id"),
    ("firm", "seller_id"),
    ("firm", "declarant_id"),
    ("firm", "carrier_id"),
    ("consignment", "consignment_id"),
)
#: a mapped extra column naming the vessel, when the administration's files have one
VESSEL_FIELDS = ("feature_vessel", "vessel")


#: every field :func:`declaration_keys` reads
KEY_FIELDS = (
    *(f for _, ready, raw, _ in _NORMALISED for f in (ready, raw)),
    *(f for _, f in _AS_GIVEN),
    *VESSEL_FIELDS,
)


def declaration_keys(raw: dict, normalise=None) -> set[tuple[str, str]]:
    """The match keys of a declaration's party fields (as the API or a validated file row gives them).

    ``normalise(kind_function, text)`` may memoise the normalisers (a clearance stream repeats its parties).
    """
    keys = set()
    for kind, ready, field, fn in _NORMALISED:
        key = _text(raw.get(ready))
        if key is None and (text := _text(raw.get(field))) is not None:
            key = normalise(fn, text) if normalise else fn(text)
        if key:
            keys.add((kind, key))
    for kind, field in _AS_GIVEN:
        if (text := _text(raw.get(field))) is not None:
            keys.add((kind, text))
    for field in VESSEL_FIELDS:
        if (text := _text(raw.get(field))) is not None:
            keys.add(("vessel", _vessel(text)))
    return keys
