"""What a key limited to a jurisdiction may see of a result: outside firms become placeholders.

The rule itself is :mod:`graph.scope`'s (an enterprise is seen when it lodged, in any role, a
declaration at one of the jurisdiction's districts; a declaration when it was lodged there; a case
through its enterprises). Every result that can name a firm
outside (a neighbourhood, a path, a member list, a reason's text) passes through :class:`Scope`,
which replaces the outside firm with a placeholder: its kind of entity and nothing else (no id,
name, risk or network), so an investigator sees that a link leaves the jurisdiction without seeing
across it. The walk of a neighbourhood stops at a placeholder.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable

import neo4j

from graph.scope import CASE, DECLARATION, ENTERPRISE, lodged_in_districts

__all__ = ["OUTSIDE", "Scope", "placeholder", "unlimited"]

#: what replaces an outside firm's id, name and caption
OUTSIDE = "outside jurisdiction"

_INSIDE = {
    "Enterprise": f"""
UNWIND $keys AS key MATCH (e:Enterprise {{id: key}}) WHERE {lodged_in_districts(ENTERPRISE, "e")} RETURN key
""",
    "Declaration": f"""
UNWIND $keys AS key MATCH (d:Declaration {{id: key}}) WHERE {lodged_in_districts(DECLARATION, "d")} RETURN key
""",
    "Case": f"""
UNWIND $keys AS key MATCH (k:Case {{id: key}}) WHERE {lodged_in_districts(CASE, "k")} RETURN key
""",
}
OUTSIDE_FIRMS = f"""
UNWIND $keys AS key
MATCH (e:Enterprise {{id: key}}) WHERE NOT {lodged_in_districts(ENTERPRISE, "e")}
RETURN key, e.name AS name
"""
#: words of a reason's text that may be an enterprise id: runs of non-space characters, parentheses stripped
_WORD = re.compile(r"[^\s(),;:]+")


class Scope:
    """What a caller limited to ``districts`` may see; ``districts=None`` sees everything unchanged.

    Labels the rule does not name (addresses, phones, people, consignments, routes, ports) are shared
    identifiers: they are shown, since they are reached only from something the caller may see.
    """

    def __init__(self, driver: neo4j.Driver, database: str, districts: Iterable[str] | None) -> None:
        self.driver, self.database = driver, database
        self.districts = None if districts is None else sorted(districts)
        self._seen: dict[tuple[str, str], bool] = {}
        # placeholder ids differ between responses, so two answers cannot be joined on an outside firm
        self._salt = secrets.token_hex(4)

    @property
    def limited(self) -> bool:
        return self.districts is not None

    def visible(self, label: str, keys: Iterable[str]) -> set[str]:
        """The keys of ``label`` this caller may see (all of them for an unlimited caller or another label)."""
        keys = [k for k in dict.fromkeys(keys) if k is not None]
        if not self.limited or label not in _INSIDE:
            return set(keys)
        ask = [k for k in keys if (label, k) not in self._seen]
        if ask:
            found = {
                r["key"]
                for r in self.driver.execute_query(
                    _INSIDE[label], keys=ask, districts=self.districts, database_=self.database
                ).records
            }
            self._seen.update({(label, k): k in found for k in ask})
        return {k for k in keys if self._seen[(label, k)]}

    def placeholder_id(self, number: int) -> str:
        """The id of this answer's ``number``-th placeholder (``outside-…``): it names no firm."""
        return f"outside-{self._salt}-{number}"

    def redact_graph(self, graph: dict) -> dict:
        """A ``{nodes, edges, ...}`` result with every outside node a placeholder and its edges re-pointed."""
        if not self.limited:
            return graph
        by_label: dict[str, list[str]] = {}
        for node in graph["nodes"]:
            if not node.get("outside"):
                by_label.setdefault(node["label"], []).append(node["key"])
        seen = {label: self.visible(label, keys) for label, keys in by_label.items()}
        renamed: dict[str, str] = {}
        nodes = []
        for node in graph["nodes"]:
            if node.get("outside") or node["key"] in seen[node["label"]]:
                nodes.append(node)
                continue
            renamed[node["id"]] = self.placeholder_id(len(renamed) + 1)
            nodes.append(placeholder(node["label"], renamed[node["id"]]))
        edges = [
            {**e, "source": renamed.get(e["source"], e["source"]), "target": renamed.get(e["target"], e["target"])}
            for e in graph["edges"]
        ]
        return {**graph, "nodes": nodes, "edges": edges}

    def scrub(self, text: str) -> str:
        """``text`` with every outside firm it names (``Name (ID)`` or a bare ``ID``) replaced by :data:`OUTSIDE`."""
        if not self.limited or not text:
            return text
        outside = self.outside_firms(_WORD.findall(text))
        for key in sorted(outside, key=len, reverse=True):
            name = outside[key]
            if isinstance(name, str) and name:
                text = text.replace(f"{name} ({key})", OUTSIDE)
            text = re.sub(rf"(?<![^\s(),;:]){re.escape(key)}(?![^\s(),;:])", OUTSIDE, text)
        return text

    def outside_firms(self, words: Iterable[str]) -> dict[str, str | None]:
        """Which of ``words`` are ids of firms outside the scope, with their names."""
        words = [w for w in dict.fromkeys(words) if w]
        if not self.limited or not words:
            return {}
        records = self.driver.execute_query(
            OUTSIDE_FIRMS, keys=words, districts=self.districts, database_=self.database
        ).records
        return {r["key"]: r["name"] for r in records}

    def scrub_reasons(self, reasons: list[dict]) -> list[dict]:
        """Reasons (``{signal, strength, detail}``) with their details scrubbed."""
        if not self.limited:
            return reasons
        return [{**r, "detail": self.scrub(r["detail"])} if r.get("detail") else r for r in reasons]

    def ids(self, ids: list[str]) -> list[str | None]:
        """Enterprise ids in order, each outside one ``None``."""
        seen = self.visible("Enterprise", ids)
        return [i if i in seen else None for i in ids]

    def firms(self, firms: list[dict]) -> list[dict]:
        """Enterprise records (``{"id", ...}``) in order, each outside one a placeholder: every field
        ``None`` but those saying how it is linked (:data:`LINK_FIELDS`), and ``outside: true``."""
        seen = self.visible("Enterprise", [f["id"] for f in firms])
        return [f if f["id"] in seen else _outside_firm(f) for f in firms]


#: fields of a firm record that say how it is linked, kept on its placeholder
LINK_FIELDS = ("via", "role")


def _outside_firm(firm: dict) -> dict:
    return {**{k: None for k in firm}, **{k: firm[k] for k in LINK_FIELDS if k in firm}, "outside": True}


def placeholder(label: str, node_id: str) -> dict:
    """What stands for an outside entity in a neighbourhood or a path: its kind, nothing more."""
    return {"id": node_id, "label": label, "key": None, "caption": OUTSIDE, "outside": True}


def unlimited(driver: neo4j.Driver, database: str) -> Scope:
    """The scope of a caller who sees everything (the CLI, an unlimited key)."""
    return Scope(driver, database, None)
