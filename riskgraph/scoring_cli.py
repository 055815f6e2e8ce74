"""Clearance risk commands: ``rules``, ``model``, ``score``, ``serve``.

Registered on the main app by :func:`register`. Failures a user can fix raise ``UserError`` (or
another ``RiskGraphError``), which ``riskgraph/cli.py`` prints as one line with exit status 1.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
import yaml
from rich.console import Console

from graph.config import settings
from riskgraph.engine_option import DeclarationsEngine, checked_declarations_engine
from riskgraph.errors import UserError

__all__ = ["register"]

console = Console(stderr=True)
rules_app = typer.Typer(help="Risk parameters: rules kept as data, with versions.", no_args_is_help=True)
model_app = typer.Typer(help="The learned violation model and the scoring snapshot.", no_args_is_help=True)


def _home() -> Path:

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
    """Propose rules, or new versions of existing ones; each takes effect once someone else approves it
    (`riskgraph rules approve`). An invalid rule is refused with the reason."""
    from scoring.rule_store import RuleStore
    from scoring.rules import parse_rule

    items = read_items(file)
    for item in items:  # all or nothing: check every rule before storing any
        parse_rule({**item, "changed_by": by} if isinstance(item, dict) else item)
    store = RuleStore(_home())
    for item in items:
        print_proposed(store.propose("add", by, rule=item))


def read_items(file: Path) -> list:
    """The items of a YAML or JSON file holding one item or a list of them (rules, operations)."""
    if not file.exists():
        raise UserError(f"no such file: {file}")
    try:
        doc = yaml.safe_load(file.read_text())
    except yaml.YAMLError as exc:
        raise UserError(f"{file}: not valid YAML or JSON ({exc.__class__.__name__})") from None
    return doc if isinstance(doc, list) else [doc]


def print_proposed(change: dict, what: str | None = None) -> None:
    """A pending change and how it takes effect; ``what`` names it (default: its action on the rule)."""
    what = what or f"{change['action']} rule {change['rule_id']}"
    console.print(
        f"proposed change {change['id']} ({what}); it takes effect when someone else approves it: "
        f"riskgraph rules approve {change['id']} --by NAME",
        highlight=False,
        soft_wrap=True,
    )


@rules_app.command("pending")
def rules_pending(as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False) -> None:
    """Rule changes awaiting a second person's approval."""
    from scoring.rule_store import RuleStore

    changes = RuleStore(_home()).pending()
    if as_json:
        print(json.dumps(changes))
        return
    for c in changes:
        console.print(
            f"{c['id']}  {c['action']:<8} {c['rule_id']:<28} {c['owner']:<12} "
            f"by {c['proposed_by']} at {c['proposed_at']}",
            highlight=False,
        )


@rules_app.command("approve")
def rules_approve(
    change_id: Annotated[str, typer.Argument(metavar="ID", help="a pending change (riskgraph rules pending)")],
    by: Annotated[str, typer.Option("--by", help="who approves: not the person who proposed it")],
) -> None:
    """Approve a proposed rule change (a new-firm policy, a route or a special operation too): it takes effect now (four
    eyes: the proposer cannot approve)."""
    from scoring.inspection import Route
    from scoring.new_firms import NewFirmPolicy
    from scoring.operations import Operation
    from scoring.rule_store import RuleStore

    rule = RuleStore(_home()).approve(change_id, by)
    if isinstance(rule, NewFirmPolicy):
        console.print(f"new-firm policy of {rule.owner} version {rule.version}, approved by {by}", highlight=False)
        return
    if isinstance(rule, Operation):
        done = f"ends {rule.ended_on}" if rule.ended_on else f"runs {rule.start}..{rule.end}"
        console.print(f"operation {rule.id} ({rule.name}) {done}, approved by {by}", highlight=False)
        return
    if isinstance(rule, Route):
        console.print(
            f"route of {rule.target} ({rule.channel}) at {rule.owner}'s offices version {rule.version}: "
            f"{rule.inspection_type}, approved by {by}",
            highlight=False,
        )
        return
    state = "enabled" if rule.enabled else "disabled"
    console.print(f"rule {rule.id} version {rule.version} ({state}), approved by {by}", highlight=False)


@rules_app.command("new-firms")
def rules_new_firms(as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False) -> None:
    """The new-firm policies in force per sub-centre (importers the graph does not know: scoring.new_firms)."""
    from scoring.new_firms import BUILT_IN
    from scoring.rule_store import RuleStore

    policies = [*RuleStore(_home()).policies(), BUILT_IN]
    if as_json:
        print(json.dumps([p.model_dump(mode="json") for p in policies]))
        return
    for p in policies:
        cap = "the estimate" if p.no_history_probability is None else f"{p.no_history_probability:g}"
        inspect = "never" if p.inspect_from is None else f"from a tie of {p.inspect_from:g}"
        console.print(
            f"{p.owner:<12} v{p.version:<3} probability without history at most {cap}; link weight "
            f"{p.link_weight:g}; physical inspection {inspect}  by {p.changed_by or '-'}",
            highlight=False,
            soft_wrap=True,
        )


@rules_app.command("new-firms-set")
def rules_new_firms_set(
    owner: Annotated[str, typer.Argument(help="sub-centre (or department) code")],
    by: Annotated[str, typer.Option("--by", help="who is making the change")],
    cap: Annotated[
        float | None,
        typer.Option("--no-history-probability", min=0.0, max=1.0, help="cap (default: the estimate)"),
    ] = None,
    link_weight: Annotated[float, typer.Option(min=0.0, max=1.0, help="weight of link evidence")] = 1.0,
    inspect_from: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="tie sending to physical inspection (0: never)")
    ] = 0.5,
) -> None:
    """Propose a sub-centre's new-firm policy; it takes effect once someone else approves it."""
    from scoring.rule_store import RuleStore

    policy = {
        "owner": owner,
        "no_history_probability": cap,
        "link_weight": link_weight,
        "inspect_from": inspect_from or None,
    }
    print_proposed(RuleStore(_home()).propose("policy", by, rule=policy))


@rules_app.command("disable")
def rules_disable(
    rule_id: Annotated[str, typer.Argument(metavar="ID")],
    by: Annotated[str, typer.Option("--by", help="who is making the change")],
    acting_for: Annotated[str, typer.Option("--as", help="your sub-centre code (or the department's)")],
) -> None:
    """Propose to disable a rule (a new version once approved; the history keeps the old one)."""
    from scoring.rule_store import RuleStore

    print_proposed(RuleStore(_home()).propose("disable", by, rule_id=rule_id, acting_for=acting_for))


@rules_app.command("route")
def rules_route(
    target: Annotated[str, typer.Argument(help="risk target (tax, security, ipr, drugs, or one added)")],
    channel: Annotated[str, typer.Option("--channel", help="'document check' or 'physical inspection'")],
    inspection_type: Annotated[str, typer.Option("--type", help="documentary, scan, physical, sample or your own")],
    instruction: Annotated[str, typer.Option("--instruction", help="what the officer looks for")],
    by: Annotated[str, typer.Option("--by", help="who is making the change")],
    acting_for: Annotated[str, typer.Option("--as", help="your sub-centre code (or the department's)")],
) -> None:
    """Propose the inspection a target's declarations get at your offices on a channel (four eyes)."""
    from scoring.rule_store import RuleStore

    route = {"target": target, "channel": channel, "inspection_type": inspection_type, "instruction": instruction}
    change = RuleStore(_home()).propose("route", by, rule={**route, "owner": acting_for}, acting_for=acting_for)
    print_proposed(change)


Physical = Annotated[float, typer.Option(min=0.0, max=1.0, help="share of declarations physically inspected")]
Document = Annotated[float, typer.Option(min=0.0, max=1.0, help="share sent to document check")]
RandomShare = Annotated[float, typer.Option(min=0.0, max=0.5, help="share selected at random (marked random)")]


def _capacity(physical: float, document: float, random_share: float):
    from scoring.pipeline import Capacity

    return Capacity(physical=physical, document=document, random_share=random_share)


def _connect():
    from graph.connection import check, database

    return check(), database()


@model_app.command("train")
def model_train(
    physical: Physical = 0.03,
    document: Document = 0.10,
    random_share: RandomShare = 0.01,
    test_share: Annotated[float, typer.Option(min=0.05, max=0.5, help="newest share of labelled rows held out")] = 0.2,
    seed: Annotated[int, typer.Option(help="random seed of the trees and the settings search")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="print a JSON summary as the last line")] = False,
    declarations_engine: DeclarationsEngine = "duckdb",
) -> None:
    """Learn P(violation) from inspected declarations (time-split validation) and publish a scoring snapshot.

    The history features (what each trader, broker, seller, goods, origin, route and network lodged and was found
    with on earlier days) are counted by ``--declarations-engine`` over the columnar copy.
    """
    from scoring.pipeline import train_and_publish
    from scoring.training_report import training_report

    checked_declarations_engine(declarations_engine)
    cap = _capacity(physical, document, random_share)
    drv, db = _connect()
    summary = train_and_publish(
        drv, db, _home(), cap, test_share=test_share, seed=seed, declarations_engine=declarations_engine
    )
    for line in training_report(summary["metrics"]):
        console.print(line, highlight=False, soft_wrap=True)
    console.print(f"model {summary['model_version']}, snapshot {summary['snapshot']}", highlight=False)
    if as_json:
        print(json.dumps(summary))


@model_app.command("snapshot")
def model_snapshot(
    physical: Physical = 0.03,
    document: Document = 0.10,
    random_share: RandomShare = 0.01,
) -> None:
    """Rebuild the scoring snapshot from the latest model and the graph as it is now."""
    from scoring.pipeline import rebuild_snapshot

    cap = _capacity(physical, document, random_share)
    drv, db = _connect()
    version = rebuild_snapshot(drv, db, _home(), cap)
    console.print(f"scoring snapshot {version}", highlight=False)


def score(
    paths: Annotated[list[Path], typer.Argument(metavar="FILE", help="CSV, Parquet or JSON-lines declarations")],
    out: Annotated[Path, typer.Option("--out", help="CSV to write the decisions to")],
    mapping: Annotated[Path | None, typer.Option(help="YAML mapping of your columns to canonical fields")] = None,
    workers: Annotated[
        int, typer.Option(min=1, max=16, help="processes scoring chunks side by side (each shares the snapshot)")
    ] = 2,
    as_json: Annotated[bool, typer.Option("--json", help="print a JSON summary as the last line")] = False,
) -> None:
    """Score new declarations from the snapshot (no outcome fields needed); rank by score to select."""
    import time

    from ingest.mapping import load_mapping
    from ingest.normalize import warming_up
    from ingest.readers import input_files
    from scoring.decision_log import DecisionLog
    from scoring.pipeline import score_file
    from scoring.snapshot import load_scorer

    input_files(paths)  # a missing or unsupported input fails before any work
    warming_up()  # this process validates the file: beside loading the scorer
    scorer, meta = load_scorer(_home())
    began = time.perf_counter()
    rules = load_mapping(mapping) if mapping else None
    log = DecisionLog(_home())
    try:
        counts = score_file(paths, rules, out, scorer, _home() / "quarantine", log, meta["version"], workers=workers)
    finally:
        log.close()  # every decision committed before the command returns
        scorer.operations.sync()  # what the special operations counted joins the shared tally
    counts["seconds"] = round(time.perf_counter() - began, 2)
    counts["snapshot"] = meta["version"]
    console.print(
        f"scored {counts['scored']:,} of {counts['read']:,} declarations in {counts['seconds']}s "
        f"({counts['physical inspection']:,} physical inspection, {counts['document check']:,} document check); "
        f"quarantined {counts['quarantined']:,}; wrote {out}",
        highlight=False,
        soft_wrap=True,
    )
    if counts["targets"] == ["any"]:
        console.print("one risk target, any: the model learned from a fraud flag without violation types")
    elif counts["targets"]:
        console.print(f"scores per risk target: {', '.join('score_' + t for t in counts['targets'])}, leading_target")
    else:
        console.print("no scores per risk target: the model predates them (run `riskgraph model train`)")
    if as_json:
        print(json.dumps(counts))


def feedback(
    paths: Annotated[list[Path], typer.Argument(metavar="FILE", help="outcomes: CSV, Parquet or JSON lines")],
    mapping: Annotated[Path | None, typer.Option(help="YAML mapping of your columns to canonical fields")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print a JSON summary as the last line")] = False,
) -> None:
    """Record inspection and audit outcomes on the declarations (with the decision that targeted them)."""
    from ingest.mapping import load_mapping
    from ingest.readers import input_files
    from scoring.decision_log import DecisionLog
    from scoring.pipeline import feedback_file

    input_files(paths)  # a missing or unsupported input fails before any work
    drv, db = _connect()
    rules = load_mapping(mapping) if mapping else None
    counts = feedback_file(paths, rules, drv, db, DecisionLog(_home()), _home() / "quarantine")
    console.print(
        f"recorded {counts['recorded']:,} of {counts['read']:,} outcomes ({counts['with_decision']:,} joined to "
        f"their scoring decision); {counts['unknown']:,} unknown declarations; quarantined {counts['quarantined']:,}",
        highlight=False,
        soft_wrap=True,
    )
    if as_json:
        print(json.dumps(counts))


def performance(
    since: Annotated[str | None, typer.Option("--from", help="first declaration date (YYYY-MM-DD)")] = None,
    until: Annotated[str | None, typer.Option("--to", help="last declaration date (YYYY-MM-DD)")] = None,
    idle_days: Annotated[int, typer.Option(min=1, help="a rule without a hit this long is a retire candidate")] = 90,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Hit rates per rule, channel, office, sub-centre and risk target; what the random sample says targeting
    misses."""
    from datetime import date

    from columnar.store import DeclarationStore
    from scoring.decision_log import DecisionLog
    from scoring.performance import performance_report
    from scoring.rule_store import RuleStore

    try:
        period = [date.fromisoformat(d) if d else None for d in (since, until)]
    except ValueError:
        raise UserError("--from and --to take dates as YYYY-MM-DD") from None
    home = _home()
    report = performance_report(
        DeclarationStore(home), DecisionLog(home), RuleStore(home).current(), *period, idle_days
    )
    if as_json:
        print(json.dumps(report))
        return
    console.print(f"{report['outcomes']:,} recorded outcomes with a scoring decision", highlight=False)
    for section in ("channels", "sub_centres", "offices", "rules"):
        console.print(f"[bold]{section.replace('_', '-')}[/bold]")
        for name, e in report[section].items():
            rate = "-" if e["hit_rate"] is None else f"{e['hit_rate']:.1%}"
            extra = f"  hits {e['hits']:,}" if section == "rules" else ""
            retire = f"  [yellow]retire? {e['retire_candidate']}[/yellow]" if e.get("retire_candidate") else ""
            console.print(
                f"  {name:<28} inspected {e['inspected']:>6,}  violations {e['violations']:>5,}  hit rate {rate:>6}"
                f"{extra}{retire}",
                highlight=False,
            )
    console.print("[bold]targets[/bold] (inspected when the score led with it; found whatever led)")
    for name, e in report["targets"].items():
        rate = "-" if e["hit_rate"] is None else f"{e['hit_rate']:.1%}"
        sample = "-" if e["random_violation_rate"] is None else f"{e['random_violation_rate']:.2%}"
        console.print(
            f"  {name:<28} inspected {e['inspected']:>6,}  violations {e['violations']:>5,}  hit rate {rate:>6}"
            f"  found {e['found']:>5,}  in the random sample {sample}",
            highlight=False,
        )
    missed = report["random_sample"]["missed_in_fast_release"]
    rate = "-" if missed["violation_rate"] is None else f"{missed['violation_rate']:.1%}"
    console.print(f"random sample: {rate} violations among {missed['inspected']:,} it would have released")


def serve(
    host: Annotated[str, typer.Option(help="interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="port to listen on")] = 8000,
    workers: Annotated[int, typer.Option(min=1, max=16, help="worker processes")] = 1,
) -> None:
    """Run the HTTP API (clearance scoring, rules; OpenAPI at /docs)."""
    import uvicorn

    uvicorn.run("api.main:create_app", factory=True, host=host, port=port, workers=workers, log_level="warning")


def register(app: typer.Typer) -> None:
    """Add the clearance risk commands to the main ``riskgraph`` app."""
    app.add_typer(rules_app, name="rules")
    app.add_typer(model_app, name="model")
    app.command()(score)
    app.command()(feedback)
    app.command()(performance)
    app.command()(serve)
