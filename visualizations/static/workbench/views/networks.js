// Suspicious networks: the ranked list with its filters, and one network with its chart, members and reasons.
import {explain, getJSON} from "../api.js";
import {el, enterpriseHref, facts, link, message, money, networkHref, pct, reasonList, scorePct, show, table} from "../dom.js";
import {Chart, OFFICES} from "../chart.js";
import {caseOpener, nodePanel, openWithKey} from "./common.js";

function filters(query) {
  const kind = el("select", {name: "kind", id: "filter-kind"}, ["", "audit", "anti-smuggling"].map((k) =>
    el("option", {value: k, selected: query.get("kind") === k}, k || "any kind")));
  const minimum = el("input", {type: "number", name: "min", id: "filter-min", min: "0", max: "100", step: "1",
                               value: query.get("min") || "", placeholder: "0"});
  const office = el("input", {name: "office", id: "filter-office", list: "offices", value: query.get("office") || "",
                              placeholder: "sub-centre or district"});
  const offices = el("datalist", {id: "offices"}, OFFICES.map((o) => el("option", {value: o.name}, o.level)));
  return el("form", {class: "filters", id: "network-filters", onsubmit: (event) => {
    event.preventDefault();
    const next = new URLSearchParams();
    if (kind.value) next.set("kind", kind.value);
    if (minimum.value) next.set("min", minimum.value);
    if (office.value.trim()) next.set("office", office.value.trim());
    location.hash = "#/networks" + (next.toString() ? "?" + next : "");
  }}, el("label", {}, "kind", kind), el("label", {}, "minimum score %", minimum),
     el("label", {}, "sub-centre or district", office), offices, el("button", {}, "Apply"));
}

export async function renderList(view, params, query) {
  const page = el("div", {class: "page"}, el("h2", {}, "Suspicious networks, highest score first"), filters(query));
  const body = el("div", {id: "networks-box"}, "loading…");
  view.append(page);
  page.append(body);
  const api = new URLSearchParams({limit: "100"});
  if (query.get("kind")) api.set("kind", query.get("kind"));
  if (query.get("min")) api.set("min_score", query.get("min"));
  if (query.get("office")) api.set("office", query.get("office"));
  try {
    const found = await getJSON("/v1/networks?" + api);
    const rows = found.items.map((n, i) => Object.assign({rank: i + 1}, n));
    body.replaceChildren(el("p", {class: "muted", id: "networks-count"}, found.count + " network(s)"), table([
      {title: "#", value: (n) => n.rank, numeric: true},
      {title: "network", value: (n) => n.id, cell: (n) => link(networkHref(n.id), "network " + n.id)},
      {title: "firms", value: (n) => n.size, numeric: true},
      {title: "score", value: (n) => n.score, cell: (n) => scorePct(n.score), numeric: true},
      {title: "kind", value: (n) => n.kind},
      {title: "top reasons", value: (n) => (n.reasons[0] || {}).detail,
       cell: (n) => el("span", {}, n.reasons.slice(0, 2).map((r) => show(r.detail)).join("; ") || "—")},
    ], rows, {id: "networks"}));
  } catch (err) {
    body.replaceChildren(message(explain(err), err.status === 403 ? "denied" : "error"));
  }
}

export async function renderOne(view, params) {
  const id = params.id;
  const side = el("aside", {class: "side", id: "side"}, "loading…");
  const chartBox = el("div", {class: "chart", id: "chart"});
  const members = el("div", {id: "members-box"});
  const factsBox = el("div", {id: "facts"});
  view.append(el("div", {class: "split"}, side, el("section", {class: "content"}, chartBox,
    el("div", {class: "chart-tools", id: "chart-tools"}), el("h3", {}, "Members, riskiest first"), members)));
  const chart = new Chart(chartBox, {onSelect: (node) => factsBox.replaceChildren(...nodePanel(node))});
  document.getElementById("chart-tools").append("Click a firm for its facts. ", chart.exportButton("network-" + id));
  try {
    const [network, graph] = await Promise.all([
      getJSON("/v1/networks/" + encodeURIComponent(id)),
      getJSON("/v1/networks/" + encodeURIComponent(id) + "/neighbourhood"),
    ]);
    chart.focus = new Set(network.members.filter((m) => m.id).map((m) => m.id));
    chart.add(graph);
    side.replaceChildren(
      el("h2", {}, "Network " + network.id),
      facts([["score", scorePct(network.score)], ["kind", network.kind], ["firms", network.size ?? network.members.length],
             ["value at stake", money(network.value_at_stake)], ["analysed", network.analysed_at]]),
      el("div", {id: "actions"}, openWithKey("/v1/networks/" + encodeURIComponent(id) + "/chart", "open full chart", "chart-link"),
         caseOpener([{text: "network " + network.id + " (" + network.kind + ")", title: "Network " + network.id,
                      body: {network_id: network.id}}])),
      factsBox, el("h3", {}, "Why"), reasonList(network.reasons));
    members.replaceChildren(table([
      {title: "enterprise", value: (m) => m.id, cell: (m) => m.id ? link(enterpriseHref(m.id), m.id) : "outside jurisdiction"},
      {title: "name", value: (m) => m.name},
      {title: "risk", value: (m) => m.risk, cell: (m) => pct(m.risk), numeric: true},
      {title: "category", value: (m) => m.category},
      {title: "registered", value: (m) => m.registered},
    ], network.members, {id: "members"}));
  } catch (err) {
    side.replaceChildren(message(explain(err), err.status === 403 ? "denied" : "error"));
  }
}
