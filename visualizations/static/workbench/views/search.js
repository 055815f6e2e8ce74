// Search: enterprises, addresses, phones and consignments whose key or name contains the words typed.
import {explain, getJSON} from "../api.js";
import {el, enterpriseHref, message, pct} from "../dom.js";
import {nodeFacts} from "../chart.js";

export async function render(view, params, query) {
  const q = (query.get("q") || "").trim();
  const results = el("ul", {id: "results"});
  const detail = el("p", {id: "result-facts", style: "white-space: pre-line"});
  view.append(el("div", {class: "page"}, el("h2", {}, q ? "Search: " + q : "Search"), results, detail,
    q ? "" : el("p", {class: "muted"}, "Type part of an id, a name, an address, a phone or a container number above. ",
      "Or start from the ", el("a", {href: "#/networks"}, "riskiest networks"), ", the ", el("a", {href: "#/leads"}, "leads"),
      " or the ", el("a", {href: "#/cases"}, "case queue"), ".")));
  if (q.length < 2) return;
  try {
    const body = await getJSON("/v1/search?q=" + encodeURIComponent(q));
    if (!body.items.length) { results.textContent = "nothing found"; return; }
    for (const n of body.items) {
      const text = n.label + " " + n.key + (n.caption !== n.key ? " — " + n.caption : "") +
                   (n.label === "Enterprise" ? " · risk " + pct(n.risk) : "");
      results.append(el("li", {class: "result", onclick: () => {
        if (n.label === "Enterprise") location.hash = enterpriseHref(n.key);
        else detail.textContent = nodeFacts(n);
      }}, text));
    }
  } catch (err) {
    results.replaceChildren(message(explain(err), err.status === 403 ? "denied" : "error"));
  }
}
