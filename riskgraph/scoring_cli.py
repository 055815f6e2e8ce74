"""Clearance risk commands: ``rules``, ``model``, ``score``, ``serve``.

Registered on the main app by :func:`register`. Failures a user can fix raise the main CLI's
``UserError`` so they print as one line with exit status 1.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
import yaml
from rich.console import Console

__all__ = ["register"]

console = Console(stderr=True)
rules_app = typer.Typer(help="Risk parameters: rules kept as data, with versions.", no_args_is_help=True)


def _user_error(message: str) -> Exception:
    from riskgraph.cli import UserError

    return UserError(message)


def _home() -> Path:
    from riskgraph.settings import settings

    return settings().home


@rules_app.command("list")
def rules_list(
    all_versions: Annotated[bool, typer.Option("--all-versions", help="every version, oldest first")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """The current rules (or their whole history)."""
    from scoring.rule_store import RuleStore

    store = RuleStore(_home())
    rules = store.history() if all_versions else store.current()
    if as_json:
        print(json.dumps([r.model_dump(mode="json") for r in rules]))
        return
    if not rules:
        console.print("no rules yet: add one with `riskgraph rules add FILE --by NAME`")
    for r in rules:
        state = "enabled " if r.enabled else "disabled"
        offices = ",".join(r.offices) or "whole jurisdiction"
        console.print(
            f"{r.id:<28} v{r.version:<3} {state} {r.target:<8} w={r.weight:.2f} {r.owner:<12} {offices}  "
            f"{r.effective_from}..{r.effective_to or ''}  by {r.changed_by}: {r.description}",
            highlight=False,
            soft_wrap=True,
        )


@rules_app.command("add")
def rules_add(
    file: Annotated[Path, typer.Argument(help="YAML or JSON file holding one rule or a list of rules")],
    by: Annotated[str, typer.Option("--by", help="who is making the change")],
) -> None:
    """Add rules, or a new version of existing ones; an invalid rule is refused with the reason."""
    from scoring.rule_store import RuleStore
    from scoring.rules import RuleError, parse_rule

    if not file.exists():
        raise _user_error(f"no such file: {file}")
    try:
        doc = yaml.safe_load(file.read_text())
    except yaml.YAMLError as exc:
        raise _user_error(f"{file}: not valid YAML or JSON ({exc.__class__.__name__})") from None
    items = doc if isinstance(doc, list) else [doc]
    try:
        for item in items:  # all or nothing: check every rule before storing any
            parse_rule({**item, "changed_by": by} if isinstance(item, dict) else item)
        store = RuleStore(_home())
        for item in items:
            rule = store.add(item, by)
            console.print(f"stored rule {rule.id} version {rule.version}", highlight=False)
    except RuleError as exc:
        raise _user_error(str(exc)) from None


@rules_app.command("disable")
def rules_disable(
    rule_id: Annotated[str, typer.Argument(metavar="ID")],
    by: Annotated[str, typer.Option("--by", help="who is making the change")],
    acting_for: Annotated[str, typer.Option("--as", help="your sub-centre code (or the department's)")],
) -> None:
    """Disable a rule (a new version; the history keeps the old one)."""
    from scoring.rule_store import RuleStore
    from scoring.rules import RuleError

    try:
        rule = RuleStore(_home()).disable(rule_id, by, acting_for)
    except RuleError as exc:
        raise _user_error(str(exc)) from None
    console.print(f"disabled rule {rule.id} (version {rule.version})", highlight=False)


def register(app: typer.Typer) -> None:
    """Add the clearance risk commands to the main ``riskgraph`` app."""
    app.add_typer(rules_app, name="rules")
