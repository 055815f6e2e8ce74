// The workbench: hash routes (``#/networks/12``) that can be sent to a colleague as they are, the key form,
// and the search box. Each view renders into <main id="view"> and may return a function that tidies up.
import {apiKey} from "./api.js";
import * as search from "./views/search.js";
import * as networks from "./views/networks.js";
import * as enterprise from "./views/enterprise.js";
import * as leads from "./views/leads.js";
import * as cases from "./views/cases.js";
import * as report from "./views/report.js";
import * as alerts from "./views/alerts.js";

const ROUTES = [
  [/^\/?$/, "search", search.render],
  [/^\/search$/, "search", search.render],
  [/^\/networks$/, "networks", networks.renderList],
  [/^\/networks\/(?<id>[^/]+)$/, "networks", networks.renderOne],
  [/^\/enterprises\/(?<id>[^/]+)$/, "search", enterprise.render],
  [/^\/leads$/, "leads", leads.render],
  [/^\/cases$/, "cases", cases.renderQueue],
  [/^\/cases\/(?<id>[^/]+)$/, "cases", cases.renderCase],
  [/^\/report$/, "report", report.render],
  [/^\/alerts$/, "alerts", alerts.render],
];

let tidy = null;

async function route() {
  const hash = location.hash.replace(/^#/, "");
  const [path, search_] = hash.split("?");
  const query = new URLSearchParams(search_ || "");
  const view = document.getElementById("view");
  if (typeof tidy === "function") tidy();
  tidy = null;
  view.replaceChildren();
  delete document.body.dataset.settled;
  const found = ROUTES.find(([pattern]) => pattern.test(path));
  if (!found) {
    view.textContent = "No such page: " + hash;
    return;
  }
  const [pattern, section, render] = found;
  const params = Object.fromEntries(Object.entries(pattern.exec(path).groups || {}).map(([k, v]) => [k, decodeURIComponent(v)]));
  document.querySelectorAll("header nav a").forEach((a) => a.classList.toggle("current", a.dataset.view === section));
  document.body.dataset.view = section;
  const rendered = render(view, params, query);
  document.body.dataset.rendering = "1";
  tidy = await rendered;
  delete document.body.dataset.rendering;
}

function showKeyState() {
  const known = !!apiKey.get();
  document.getElementById("key-form").hidden = known;
  document.getElementById("key-state").hidden = !known;
}

document.getElementById("key-form").addEventListener("submit", (event) => {
  event.preventDefault();
  apiKey.set(document.getElementById("key").value.trim());
  document.getElementById("key").value = "";
  showKeyState();
  route();
});
document.getElementById("forget-key").addEventListener("click", (event) => {
  event.preventDefault();
  apiKey.forget();
  showKeyState();
});
document.getElementById("search").addEventListener("submit", (event) => {
  event.preventDefault();
  const next = "#/search?q=" + encodeURIComponent(document.getElementById("q").value.trim());
  if (location.hash === next) route(); else location.hash = next;
});
window.addEventListener("hashchange", route);
showKeyState();
route();
document.body.dataset.ready = "1";
