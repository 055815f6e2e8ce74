"""The customs graph schema, loaded once from the YAML declarations in ``graph/schema/``.

Constraint setup, the loader, the API and the chart legend all read this one model,
so a label or relationship type that is not declared here cannot reach Cypher.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import yaml

from graph.errors import RiskGraphError

__all__ = ["SchemaError", "NodeType", "RelationshipType", "Schema", "schema"]

SCHEMA_DIR = Path(__file__).parent / "schema"
PROPERTY_TYPES = {"string", "integer", "float", "date", "datetime", "boolean"}
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


class SchemaError(RiskGraphError, ValueError):
    """The schema declaration is inconsistent; raised at load time, never at query time."""

    status, code = 500, "invalid_schema"


@dataclass(frozen=True)
class NodeType:
    label: str
    key: str
    description: str
    properties: dict[str, str]
    indexed: tuple[str, ...]
    #: properties every node has (a declaration's required canonical fields)
    required: tuple[str, ...] = ()


@dataclass(frozen=True)
class RelationshipType:
    type: str
    sources: tuple[str, ...]
    targets: tuple[str, ...]
    description: str = ""
    properties: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Schema:
    nodes: dict[str, NodeType]
    relationships: dict[str, RelationshipType]

    def node(self, label: str) -> NodeType:
        try:
            return self.nodes[label]
        except KeyError:
            raise SchemaError(f"label {label!r} is not declared in graph/schema/") from None

    def relationship(self, rel_type: str) -> RelationshipType:
        try:
            return self.relationships[rel_type]
        except KeyError:
            raise SchemaError(f"relationship type {rel_type!r} is not declared in graph/schema/") from None


def _as_tuple(value: str | list[str]) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else tuple(value)


def _yaml(path: Path):
    """libyaml's safe loader when PyYAML has it: the pure-Python one takes 0.5 s a command for the schema."""
    return yaml.load(path.read_text(), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def _load_node(path: Path) -> NodeType:
    raw = _yaml(path)
    label, key = raw.get("label"), raw.get("key")
    if label != path.stem:
        raise SchemaError(f"{path.name}: label {label!r} must match the file name")
    props = raw.get("properties") or {}
    if key not in props:
        raise SchemaError(f"{path.name}: key {key!r} is not among its properties")
    types, indexed, required = {}, [], []
    for name, spec in props.items():
        if not _NAME.match(name):
            raise SchemaError(f"{path.name}: property name {name!r} is not a plain identifier")
        if spec.get("type") not in PROPERTY_TYPES:
            raise SchemaError(f"{path.name}: property {name!r} has unknown type {spec.get('type')!r}")
        types[name] = spec["type"]
        if spec.get("indexed"):
            indexed.append(name)
        if spec.get("required") or name == key:
            required.append(name)
    return NodeType(label, key, raw.get("description", ""), types, tuple(indexed), tuple(required))


def load_schema(folder: Path = SCHEMA_DIR) -> Schema:
    nodes = {}
    for path in sorted(folder.glob("*.yaml")):
        if path.stem != "relationships":
            node = _load_node(path)
            if not _NAME.match(node.label):
                raise SchemaError(f"{path.name}: label {node.label!r} is not a plain identifier")
            nodes[node.label] = node
    rels = {}
    for rel_type, spec in (_yaml(folder / "relationships.yaml") or {}).items():
        if not _NAME.match(rel_type):
            raise SchemaError(f"relationship type {rel_type!r} is not a plain identifier")
        sources, targets = _as_tuple(spec["from"]), _as_tuple(spec["to"])
        for end in sources + targets:
            if end not in nodes:
                raise SchemaError(f"relationship {rel_type}: endpoint {end!r} is not a declared label")
        rels[rel_type] = RelationshipType(
            rel_type, sources, targets, spec.get("description", ""), dict(spec.get("properties") or {})
        )
    return Schema(nodes, rels)


@cache
def schema() -> Schema:
    return load_schema()
