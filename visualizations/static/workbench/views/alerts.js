// The alerts inbox: firms newly linked to an intelligence record (after an analysis, or by a lookout hit at
// lodging), newest first with why, as GET /v1/alerts answers for this key; acknowledge one, or open a case
// on its firm from it (the case id then links to the case page).
import {explain, getJSON, sendJSON} from "../api.js";
import {caseHref, el, enterpriseHref, link, message, show, table} from "../dom.js";

const STATUSES = ["new", "acknowledged", "case"];

function actions(alert, redraw) {
  if (alert.case_id) return link(caseHref(alert.case_id), alert.case_id);
  const said = el("span", {class: "muted"});
  const act = (path, text) => el("button", {type: "button", dataset: {act: path}, onclick: async () => {
    said.textContent = "…";
    try {
      Object.assign(alert, await sendJSON("POST", "/v1/alerts/" + encodeURIComponent(alert.id) + "/" + path, {}));
      redraw();
    } catch (err) {
      said.replaceChildren(message(explain(err), err.status === 403 ? "denied" : "error"));
    }
  }}, text);
  return [alert.status === "new" ? [act("acknowledge", "acknowledge"), " "] : "", act("case", "open case"), " ", said];
}

export async function render(view, params, query) {
  const status = STATUSES.includes(query.get("status")) ? query.get("status") : null;
  const here = (s) => "#/alerts" + (s ? "?status=" + s : "");
  const body = el("div", {id: "alerts-box"}, "loading…");
  view.append(el("div", {class: "page"}, el("h2", {}, "Alerts, newest first"),
    el("p", {id: "alert-statuses"}, "status: ", [null, ...STATUSES].map((s) => s === status
      ? el("strong", {}, (s || "all") + " ") : [link(here(s), s || "all"), " "])),
    el("p", {class: "muted"}, "A firm newly linked to an intelligence record: found by the cross-reference after an analysis, or by a lookout hit at lodging."),
    body));
  try {
    const found = await getJSON("/v1/alerts?limit=500" + (status ? "&status=" + status : ""));
    let grid = null;
    const columns = [
      {title: "raised", value: (a) => a.raised, cell: (a) => show(a.raised && a.raised.slice(0, 19).replace("T", " "))},
      {title: "status", value: (a) => a.status},
      {title: "record", value: (a) => a.record, cell: (a) => a.record + " (" + a.kind + ", " + a.target + ")"},
      {title: "firm", value: (a) => a.enterprise, cell: (a) => [link(enterpriseHref(a.enterprise), a.enterprise), a.name ? " " + a.name : ""]},
      {title: "source", value: (a) => a.source},
      {title: "why", value: (a) => a.why},
      {title: "", value: (a) => a.case_id, cell: (a) => actions(a, () => grid.rerender())},
    ];
    grid = table(columns, found.data, {id: "alerts"});
    body.replaceChildren(el("p", {class: "muted", id: "alerts-count"}, found.count + " alert(s)"), grid);
  } catch (err) {
    body.replaceChildren(message(explain(err), err.status === 403 ? "denied" : "error"));
  }
}
