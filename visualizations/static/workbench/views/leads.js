// Post-clearance leads as GET /v1/leads ranks them, with the figures behind each rank, sortable, and the
// CSV and Excel exports (fetched with the key, saved from memory).
import {download, explain, getJSON} from "../api.js";
import {el, enterpriseHref, link, message, money, networkHref, pct, scorePct, show, table} from "../dom.js";

const KINDS = ["audit", "anti-smuggling"];
// the built-in risk targets (an administration's own are reached with ?target= in the address)
const TARGETS = ["tax", "security", "ipr", "drugs", "other"];

const reasons = {title: "reasons", value: (l) => (l.reasons[0] || {}).detail,
                 cell: (l) => l.reasons.slice(0, 3).map((r) => show(r.detail)).join("; ") || "—"};
const figure = (title, name, format, numeric = true) =>
  ({title, value: (l) => l.figures[name], cell: format ? (l) => format(l.figures[name]) : undefined, numeric});

const COLUMNS = {
  audit: [
    {title: "#", value: (l) => l.rank, numeric: true},
    {title: "enterprise", value: (l) => l.id, cell: (l) => l.id ? link(enterpriseHref(l.id), l.id) : "outside jurisdiction"},
    {title: "name", value: (l) => l.name},
    {title: "target", value: (l) => l.target},
    figure("expected value", "expected_value", money),
    figure("risk", "probability", pct),
    figure("revenue at stake", "revenue_at_stake", money),
    figure("duty declared", "duty_declared", money),
    figure("shortfall", "tax_shortfall", money),
    figure("declarations", "declarations"),
    figure("inspected", "inspected"),
    figure("violations", "violations"),
    figure("category", "category", null, false),
    reasons,
  ],
  "anti-smuggling": [
    {title: "#", value: (l) => l.rank, numeric: true},
    {title: "network", value: (l) => l.id, cell: (l) => link(networkHref(l.id), "network " + l.id)},
    figure("score", "network_score", scorePct),
    {title: "target", value: (l) => l.target || "—"},
    figure("firms", "size"),
    figure("value at stake", "value_at_stake", money),
    figure("declarations", "declarations"),
    figure("declared value", "declared_value", money),
    figure("inspected", "inspected"),
    figure("violations", "violations"),
    {title: "key members", value: (l) => (l.members[0] || {}).id,
     cell: (l) => l.members.slice(0, 3).map((m) => (m.id || "outside") + " " + pct(m.risk)).join(", ") || "—"},
    reasons,
  ],
};

export async function render(view, params, query) {
  const kind = KINDS.includes(query.get("kind")) ? query.get("kind") : "audit";
  const target = /^[a-z][a-z0-9_]{1,31}$/.test(query.get("target") || "") ? query.get("target") : null;
  const filter = target ? "&target=" + target : "";
  const here = (k, t) => "#/leads?kind=" + k + (t ? "&target=" + t : "");
  const status = el("span", {class: "muted", id: "export-state"});
  const exporter = (fmt, text) => el("button", {type: "button", id: "export-" + fmt, onclick: async () => {
    status.textContent = "exporting…";
    try {
      await download("/v1/leads." + fmt + "?kind=" + kind + filter, "leads-" + kind + (target ? "-" + target : "") + "." + fmt);
      status.textContent = "saved " + document.body.dataset.lastDownload.split(" ")[0];
    } catch (err) {
      status.replaceChildren(message(explain(err)));
    }
  }}, text);
  const body = el("div", {id: "leads-box"}, "loading…");
  view.append(el("div", {class: "page"},
    el("h2", {}, "Leads"),
    el("p", {}, KINDS.map((k) => k === kind ? el("strong", {}, k + " ") : [link(here(k, target), k), " "]),
       " · ", exporter("csv", "CSV"), " ", exporter("xlsx", "Excel"), " ", status),
    el("p", {id: "leads-targets"}, "risk target: ", [null, ...TARGETS].map((t) => t === target
      ? el("strong", {}, (t || "all") + " ") : [link(here(kind, t), t || "all"), " "])),
    el("p", {class: "muted"}, kind === "audit"
      ? "Importers by expected value = risk × revenue at stake (duty declared over the audit period plus the peer-estimated shortfall), in USD."
      : "Networks routed to anti-smuggling, by network score."),
    body));
  try {
    const found = await getJSON("/v1/leads?kind=" + kind + "&limit=200" + filter);
    const rows = found.items.map((l, i) => Object.assign({rank: i + 1}, l));
    const period = rows.length ? "audit period " + show(rows[0].figures.period_from) + " to " + show(rows[0].figures.period_to) : "";
    body.replaceChildren(el("p", {class: "muted", id: "leads-count"}, found.count + " lead(s) " + period), table(COLUMNS[kind], rows, {id: "leads"}));
  } catch (err) {
    body.replaceChildren(message(explain(err), err.status === 403 ? "denied" : "error"));
  }
}
