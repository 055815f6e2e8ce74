"""Access commands: ``keys create|list|revoke`` and ``audit``.

Registered on the main app by :func:`register`. They work on the files under ``$RISKGRAPH_HOME``
only, so they run with the database stopped, and a running API picks the change up by itself.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console

from graph.config import settings

__all__ = ["register"]

console = Console(stderr=True)
keys_app = typer.Typer(help="API keys: who may call the API, in which role and jurisdiction.", no_args_is_help=True)


def _store():
    from api.keys import KeyStore

    return KeyStore(settings().home)


@keys_app.command("create")
def keys_create(
    role: Annotated[str, typer.Option(help="clearance-system, investigator, auditor, analyst or admin")],
    jurisdiction: Annotated[
        str | None, typer.Option(help="a sub-centre or district, by code or name; none = the whole country")
    ] = None,
    name: Annotated[str, typer.Option(help="who or what uses the key (shown in the audit log)")] = "",
) -> None:
    """Create a key; its secret is the last line printed, shown once, stored only as a hash."""

    key, secret = _store().create(role, jurisdiction, name)
    scope = key.jurisdiction or "the whole country"
    console.print(
        f"key {key.id} ({key.name}): role {key.role}, jurisdiction {scope}; send it as X-API-Key", soft_wrap=True
    )
    print(secret)


@keys_app.command("list")
def keys_list(as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False) -> None:
    """Every key ever created, revoked ones marked; never the secrets."""
    keys = [k.public() for k in _store().list()]
    if as_json:
        print(json.dumps(keys))
        return
    for k in keys:
        state = f"revoked {k['revoked']}" if k["revoked"] else "active"
        print(f"{k['id']}  {k['role']:<16} {k['jurisdiction'] or '-':<14} {k['name']:<24} {k['created']}  {state}")


@keys_app.command("revoke")
def keys_revoke(key_id: Annotated[str, typer.Argument(help="the key id from `riskgraph keys list`")]) -> None:
    """Refuse the key from now on (within a second on a running API)."""

    key = _store().revoke(key_id)
    console.print(f"revoked key {key.id} ({key.name}, {key.role})")


def audit(
    limit: Annotated[int, typer.Option(min=1, help="newest entries to show")] = 50,
    key: Annotated[str | None, typer.Option(help="only this key id")] = None,
    resource: Annotated[str | None, typer.Option(help="only this enterprise, network, case or rule id")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON lines")] = False,
) -> None:
    """Who read or changed what through the API, newest first."""
    from api.audit_log import AuditLog

    for entry in AuditLog(settings().home).tail(limit, key, resource):
        if as_json:
            print(json.dumps(entry, ensure_ascii=False))
            continue
        who = f"{entry['name']} ({entry['role']})" if entry["key"] else "no valid key"
        print(f"{entry['at']}  {entry['status']}  {entry['method']:<6} {entry['path']:<40} {who}")


def register(app: typer.Typer) -> None:
    """Add the access commands to the main ``riskgraph`` app."""
    app.add_typer(keys_app, name="keys")
    app.command()(audit)
