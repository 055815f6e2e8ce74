// Pieces several views share: opening a case, the "open full chart" link, the chart's side facts.
import {blobUrl, explain, sendJSON} from "../api.js";
import {el, caseHref, enterpriseHref, message} from "../dom.js";
import {isOutside, nodeFacts} from "../chart.js";

/** A link that fetches a page with the key and opens it from memory (a plain link cannot send the key). */
export function openWithKey(url, text, id) {
  return el("a", {href: "#", id, onclick: async (event) => {
    event.preventDefault();
    const opened = window.open("", "_blank");
    try {
      const address = await blobUrl(url);
      if (opened) opened.location = address;
    } catch (err) {
      if (opened) opened.close();
      event.target.after(message(explain(err)));
    }
  }}, text);
}

/**
 * The "open case" control: ``targets`` are [{text, title, body}] (body names enterprise_id or network_id);
 * the kind defaults to the network's, and may be chosen (needed for a firm in no scored network).
 */
export function caseOpener(targets) {
  const select = el("select", {id: "case-on"}, targets.map((t, i) => el("option", {value: String(i)}, t.text)));
  const kind = el("select", {id: "case-kind", title: "kind of case"}, el("option", {value: ""}, "kind: network's"),
                  el("option", {value: "audit"}, "audit"), el("option", {value: "anti-smuggling"}, "anti-smuggling"));
  const result = el("p", {id: "case-result"});
  const button = el("button", {id: "open-case", type: "button", onclick: async () => {
    const target = targets[Number(select.value)];
    button.disabled = true;
    try {
      const body = Object.assign({title: target.title}, target.body);
      if (kind.value) body.kind = kind.value;
      const opened = await sendJSON("POST", "/v1/cases", body);
      result.replaceChildren("opened ", el("a", {id: "case-link", href: caseHref(opened.id)}, opened.id),
        " (" + opened.kind + ", " + opened.concerns.length + " enterprise(s))");
    } catch (err) {
      result.replaceChildren(message(explain(err)));
    } finally {
      button.disabled = false;
    }
  }}, "open case");
  return el("div", {class: "case-opener"}, button, " on ", select, " ", kind, result);
}

/** What the side panel says about a clicked node, with a link to an enterprise's own page. */
export function nodePanel(node) {
  const text = el("p", {style: "white-space: pre-line"}, nodeFacts(node));
  if (node.label === "Enterprise" && !isOutside(node)) return [text, el("a", {href: enterpriseHref(node.key)}, "open " + node.key)];
  return [text];
}
