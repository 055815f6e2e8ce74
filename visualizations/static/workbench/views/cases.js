// Cases: the queue by status and assignee, and one case with its evidence snapshot, notes, history and the
// status moves it allows (closing asks for the outcome).
import {explain, getJSON, sendJSON} from "../api.js";
import {caseHref, el, enterpriseHref, facts, link, message, networkHref, pct, reasonList, scorePct, show, table} from "../dom.js";
import {Chart} from "../chart.js";
import {nodePanel} from "./common.js";

const STATUSES = ["open", "investigating", "referred", "closed"];
const OUTCOMES = ["confirmed", "no_violation", "insufficient_evidence"];
// the built-in risk targets (an administration's own are reached with ?target= in the address)
const TARGETS = ["tax", "security", "ipr", "drugs", "other"];
const TARGET_NAME = /^[a-z][a-z0-9_]{1,31}$/;

export async function renderQueue(view, params, query) {
  const status = el("select", {id: "filter-status"}, ["", ...STATUSES].map((s) =>
    el("option", {value: s, selected: query.get("status") === s}, s || "any status")));
  const assignee = el("input", {id: "filter-assignee", value: query.get("assignee") || "", placeholder: "assignee"});
  const asked = TARGET_NAME.test(query.get("target") || "") ? query.get("target") : "";
  const target = el("select", {id: "filter-target"}, ["", ...new Set([...TARGETS, asked].filter(Boolean))].map((t) =>
    el("option", {value: t, selected: asked === t}, t || "any target")));
  const body = el("div", {id: "cases-box"}, "loading…");
  view.append(el("div", {class: "page"}, el("h2", {}, "Cases, newest first"),
    el("form", {class: "filters", onsubmit: (event) => {
      event.preventDefault();
      const next = new URLSearchParams();
      if (status.value) next.set("status", status.value);
      if (assignee.value.trim()) next.set("assignee", assignee.value.trim());
      if (target.value) next.set("target", target.value);
      location.hash = "#/cases" + (next.toString() ? "?" + next : "");
    }}, el("label", {}, "status", status), el("label", {}, "assignee", assignee), el("label", {}, "risk target", target),
    el("button", {}, "Apply")), body));
  const api = new URLSearchParams({limit: "500"});
  if (query.get("status")) api.set("status", query.get("status"));
  if (query.get("assignee")) api.set("assignee", query.get("assignee"));
  if (asked) api.set("target", asked);
  try {
    const found = await getJSON("/v1/cases?" + api);
    const counts = STATUSES.map((s) => el("span", {dataset: {status: s}}, s + " " + found.items.filter((c) => c.status === s).length));
    body.replaceChildren(el("p", {class: "chips", id: "case-counts"}, counts), table([
      {title: "case", value: (c) => c.id, cell: (c) => link(caseHref(c.id), c.id)},
      {title: "status", value: (c) => c.status},
      {title: "outcome", value: (c) => c.outcome},
      {title: "kind", value: (c) => c.kind},
      {title: "target", value: (c) => c.target},
      {title: "assignee", value: (c) => c.assignee},
      {title: "title", value: (c) => c.title},
      {title: "enterprises", value: (c) => c.concerns.length, numeric: true},
      {title: "opened", value: (c) => c.opened, cell: (c) => show(c.opened && c.opened.slice(0, 16).replace("T", " "))},
    ], found.items, {id: "cases"}));
  } catch (err) {
    body.replaceChildren(message(explain(err), err.status === 403 ? "denied" : "error"));
  }
}

function moves(c, update) {
  const box = el("div", {class: "case-moves", id: "moves"});
  if (!c.moves.length) return el("p", {class: "muted", id: "moves"}, "closed: final (notes may still be added)");
  const outcome = el("select", {id: "outcome", required: true}, el("option", {value: ""}, "choose the outcome…"),
                     OUTCOMES.map((o) => el("option", {value: o}, o.replace(/_/g, " "))));
  const closing = el("div", {id: "close-form", hidden: true}, "Outcome: ", outcome, " ",
    el("button", {type: "button", id: "confirm-close", onclick: () => {
      if (!outcome.value) { outcome.focus(); closing.append(message("choose the outcome to close the case")); return; }
      update({status: "closed", outcome: outcome.value});
    }}, "close case"));
  for (const status of c.moves) {
    box.append(el("button", {type: "button", dataset: {status}, onclick: () => {
      if (status === "closed") closing.hidden = false; else update({status});
    }}, status === "closed" ? "close…" : "move to " + status));
  }
  box.append(closing);
  return box;
}

export async function renderCase(view, params) {
  const id = params.id;
  const side = el("aside", {class: "side", id: "side"}, "loading…");
  const chartBox = el("div", {class: "chart", id: "chart"});
  const evidence = el("div", {id: "evidence"});
  view.append(el("div", {class: "split"}, side, el("section", {class: "content"},
    el("h3", {id: "evidence-title"}, "Evidence snapshot"), chartBox, el("div", {class: "chart-tools", id: "chart-tools"}), evidence)));
  const factsBox = el("div", {id: "facts"});
  const chart = new Chart(chartBox, {onSelect: (node) => factsBox.replaceChildren(...nodePanel(node))});
  document.getElementById("chart-tools").append("What was seen when the case was opened. ", chart.exportButton("case-" + id));
  const feedback = el("p", {id: "case-feedback"});

  async function update(change) {
    try {
      show_(await sendJSON("PATCH", "/v1/cases/" + encodeURIComponent(id), change));
      feedback.replaceChildren("saved");
    } catch (err) {
      feedback.replaceChildren(message(explain(err), err.status === 403 ? "denied" : "error"));
    }
  }

  function show_(c) {
    const note = el("textarea", {id: "note", rows: "3", placeholder: "add a note"});
    const assignee = el("input", {id: "assignee", value: c.assignee || "", placeholder: "assignee"});
    side.replaceChildren(
      el("h2", {}, c.id), el("p", {}, show(c.title)),
      facts([["status", el("strong", {id: "case-status"}, c.status)], ["outcome", c.outcome], ["kind", c.kind],
             ["risk target", el("span", {id: "case-target"}, show(c.target))],
             ["assignee", c.assignee], ["on", c.network_id !== null && c.network_id !== undefined
               ? link(networkHref(c.network_id), "network " + c.network_id)
               : (c.enterprise_id ? link(enterpriseHref(c.enterprise_id), c.enterprise_id) : null)],
             ["opened", c.opened], ["by", c.opened_by], ["closed", c.closed]]),
      el("h3", {}, "Status"), moves(c, update), feedback,
      el("form", {onsubmit: (event) => { event.preventDefault(); if (assignee.value.trim()) update({assignee: assignee.value.trim()}); }},
         assignee, " ", el("button", {id: "reassign"}, "assign")),
      el("h3", {}, "Notes"),
      el("ul", {id: "notes", class: "reasons"}, c.notes.map((n) => el("li", {}, show(n.text), el("br"),
         el("span", {class: "muted"}, show(n.by) + ", " + show(n.at).slice(0, 16).replace("T", " "))))),
      note, el("button", {type: "button", id: "add-note", onclick: () => note.value.trim() && update({notes: note.value.trim()})}, "add note"),
      el("h3", {}, "History"),
      el("ol", {id: "history", class: "reasons"}, c.history.map((h) => el("li", {}, h.action + " ",
         el("span", {class: "muted"}, show(h.by) + ", " + show(h.at).slice(0, 16).replace("T", " ")),
         el("div", {class: "muted"}, Object.entries(h.changes || {}).map(([k, v]) =>
           k + ": " + (v && typeof v === "object" ? show(v.from) + " → " + show(v.to) : show(v))).join("; "))))),
      factsBox);
  }

  try {
    const c = await getJSON("/v1/cases/" + encodeURIComponent(id));
    show_(c);
    const ev = c.evidence || {};
    document.getElementById("evidence-title").textContent = "Evidence snapshot taken " + show(ev.taken_at).slice(0, 16).replace("T", " ");
    if (ev.graph) chart.add(ev.graph);
    evidence.replaceChildren(
      ev.network ? el("p", {}, "Network " + ev.network.id + ": score " + scorePct(ev.network.score) + ", " + show(ev.network.kind) +
                      ", " + show(ev.network.size) + " firms") : "",
      ev.violations_by_target ? el("p", {id: "evidence-targets"}, "Violations found, by risk target: " +
        (Object.entries(ev.violations_by_target).map(([t, n]) => t + " " + n).join(", ") || "none")) : "",
      el("h3", {}, "Scores when opened"),
      table([
        {title: "enterprise", value: (e) => e.id, cell: (e) => e.id ? link(enterpriseHref(e.id), e.id) : "outside jurisdiction"},
        {title: "name", value: (e) => e.name},
        {title: "risk", value: (e) => e.risk, cell: (e) => pct(e.risk), numeric: true},
        {title: "category", value: (e) => e.category},
        {title: "reasons", value: (e) => ((e.reasons || [])[0] || {}).detail, cell: (e) => reasonList(e.reasons, 3)},
      ], ev.enterprises || [], {id: "evidence-enterprises"}));
  } catch (err) {
    side.replaceChildren(message(explain(err), err.status === 403 ? "denied" : "error"));
  }
}
