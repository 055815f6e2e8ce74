// The monthly analysis report (GET /v1/reports/analysis), fetched with the key and shown in the page.
import {blobUrl, explain} from "../api.js";
import {el, message} from "../dom.js";

export async function render(view) {
  const box = el("div", {class: "page", id: "report-box"}, "loading the report…");
  view.append(box);
  try {
    const address = await blobUrl("/v1/reports/analysis");
    box.replaceChildren(el("iframe", {class: "report", id: "report-frame", src: address, title: "analysis report"}));
    return () => URL.revokeObjectURL(address);
  } catch (err) {
    box.replaceChildren(message(explain(err), err.status === 403 ? "denied" : "error"));
  }
}
