// An enterprise: profile (risk as a percentage with its reasons), its chart, the timeline of its declarations
// (a time window filters the chart to the links active in it) and the table of its declarations.
import {explain, getJSON} from "../api.js";
import {band, el, facts, link, message, money, networkHref, pct, reasonList, scorePct, show, table,
        enterpriseHref} from "../dom.js";
import {Chart, STYLE} from "../chart.js";
import {drawTimeline, legend, outcomeText} from "../timeline.js";
import {caseOpener, nodePanel, openWithKey} from "./common.js";

function profile(e) {
  const level = band(e.risk, STYLE.bands);
  const network = e.network
    ? el("span", {}, link(networkHref(e.network.id), "network " + e.network.id),
         " (" + show(e.network.kind) + ", score " + scorePct(e.network.score) + ", " + show(e.network.size) + " firms)")
    : "in no scored network";
  return [
    el("h2", {}, "Enterprise " + e.id),
    el("p", {}, show(e.name)),
    facts([
      ["risk", el("span", {class: level ? "risk-" + level : null}, pct(e.risk) + (level ? " (" + level + ")" : ""))],
      ["category", e.category], ["registered", e.registered], ["country", e.country],
      ["network", network], ["community", e.community], ["analysed", e.analysed_at],
    ]),
    el("h3", {}, "Why"),
    reasonList(e.reasons),
    (e.linked || []).length ? [el("h3", {}, "Shares identifiers with"), el("ul", {class: "reasons"}, e.linked.map((o) =>
      el("li", {}, o.id ? link(enterpriseHref(o.id), o.id) : "outside jurisdiction", " " + show(o.name) + " · risk " + pct(o.risk) +
         " · " + (o.via || []).join(", "))))] : [],
  ];
}

function declarationTable(rows) {
  return table([
    {title: "date", value: (d) => d.date},
    {title: "declaration", value: (d) => d.id, cell: (d) => d.outside ? "outside jurisdiction" : show(d.id)},
    {title: "role", value: (d) => d.role},
    {title: "HS", value: (d) => d.hs_code},
    {title: "origin", value: (d) => d.origin},
    {title: "value", value: (d) => d.value, cell: (d) => money(d.value) + (d.currency ? " " + d.currency : ""), numeric: true},
    {title: "channel", value: (d) => d.channel},
    {title: "outcome", value: (d) => (d.outside ? null : outcomeText(d))},
    {title: "broker", value: (d) => d.broker},
    {title: "seller", value: (d) => d.seller},
    {title: "route", value: (d) => d.route},
    {title: "cases", value: (d) => (d.cases || []).join(" ")},
  ], rows, {id: "declarations"});
}

export async function render(view, params) {
  const id = params.id;
  const side = el("aside", {class: "side", id: "side"});
  const chartBox = el("div", {class: "chart", id: "chart"});
  const content = el("section", {class: "content"});
  view.append(el("div", {class: "split"}, side, content));
  const profileBox = el("div", {id: "profile"}, "loading…");
  const factsBox = el("div", {id: "facts"});
  const actions = el("div", {id: "actions"});
  side.append(profileBox, actions, factsBox);

  const chart = new Chart(chartBox, {focus: [id], onSelect: (node) => {
    factsBox.replaceChildren(...nodePanel(node));
    if (node.label === "Enterprise" && node.key) expand(node.key);
  }});
  content.append(chartBox, el("div", {class: "chart-tools"}, "Click an enterprise to add its links. ", chart.exportButton("enterprise-" + id)));
  const expand = (key) => getJSON("/v1/enterprises/" + encodeURIComponent(key) + "/network?depth=1&limit=200")
    .then((graph) => chart.add(graph)).catch((err) => factsBox.replaceChildren(message(explain(err))));

  const windowState = el("span", {id: "window-state", class: "muted"});
  const from = el("input", {type: "date", id: "window-from"});
  const to = el("input", {type: "date", id: "window-to"});
  const timelineBox = el("div", {id: "timeline"});
  const tableBox = el("div", {id: "declarations-box"});
  content.append(el("h3", {}, "Declarations over time"),
    el("div", {class: "timeline-tools"}, "window", from, to,
       el("button", {type: "button", id: "window-apply", onclick: () => timeline && from.value && to.value &&
         timeline.setWindow(from.value, to.value)}, "show window"),
       el("button", {type: "button", id: "window-reset", onclick: () => timeline && timeline.fit()}, "all dates"),
       windowState),
    timelineBox, legend(), el("h3", {}, "Declarations"), tableBox);

  let timeline = null, declarations = [], grid = null;
  function applyWindow(start, end) {
    from.value = start;
    to.value = end;
    const links = chart.showWindow(start, end);
    let inside = 0;
    if (grid) {
      for (const tr of grid.tBodies[0].rows) {
        const out = !tr.row.date || tr.row.date < start || tr.row.date > end;
        tr.classList.toggle("outside-window", out);
        if (!out) inside += 1;
      }
      grid.dataset.inWindow = String(inside);
    }
    windowState.textContent = start + " to " + end + ": " + links.shown + " of " + links.total + " links, " +
      inside + " of " + declarations.length + " declarations";
  }

  const loads = [
    getJSON("/v1/enterprises/" + encodeURIComponent(id)).then((e) => {
      profileBox.replaceChildren(...profile(e).flat());
      const targets = [{text: "enterprise " + e.id, title: "Enterprise " + e.id + (e.name ? " (" + e.name + ")" : ""),
                        body: {enterprise_id: e.id}}];
      if (e.network) targets.push({text: "network " + e.network.id + " (" + e.network.kind + ")",
                                   title: "Network " + e.network.id + " around " + e.id, body: {network_id: e.network.id}});
      actions.replaceChildren(openWithKey("/v1/enterprises/" + encodeURIComponent(e.id) + "/chart", "open full chart", "chart-link"),
                              caseOpener(targets));
    }),
    expand(id),
    getJSON("/v1/enterprises/" + encodeURIComponent(id) + "/timeline").then((t) => {
      declarations = t.declarations;
      grid = declarationTable(declarations);
      tableBox.replaceChildren(grid, el("p", {class: "muted"}, declarations.length + " declaration(s), " +
        t.changes.length + " switch(es) of broker, seller or route, " + t.cases.length + " case(s)"));
      if (!declarations.length) {
        timelineBox.replaceChildren(el("p", {class: "muted"}, "no declarations"));
        return;
      }
      timeline = drawTimeline(timelineBox, declarations, t.changes, applyWindow);
      window.timeline = timeline;
    }),
  ];
  const failed = (await Promise.allSettled(loads)).find((r) => r.status === "rejected");
  if (failed) profileBox.replaceChildren(message(explain(failed.reason), failed.reason.status === 403 ? "denied" : "error"));
  return () => timeline && timeline.destroy();
}
