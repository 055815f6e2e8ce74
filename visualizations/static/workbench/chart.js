// Link charts in the workbench: vis-network styled as the saved charts (colour = risk, shape = kind,
// border = community), a time window that hides the links not active in it, and export as PNG.
import {saveBlob} from "./api.js";
import {el, pct, show} from "./dom.js";

const CONFIG = JSON.parse(document.getElementById("config").textContent);
export const STYLE = CONFIG.style;
export const OFFICES = CONFIG.offices;
//: firms outside the key's jurisdiction come back as placeholders (kind only), drawn grey
export const OUTSIDE_COLOUR = "#e0e0e0";
// Above this many nodes the initial layout skips vis-network's O(n²) "improved layout": new nodes start
// where seedPositions puts them and physics only tidies up, so a 500-node chart is drawn and answers a
// click within a second (benchmarks/workbench.py).
const LARGE = 150;
const TIDY_ITERATIONS = 30;

export function riskColour(risk) {
  if (risk === null || risk === undefined) return STYLE.unscored;
  for (const [bound, colour] of STYLE.bands) if (risk < bound) return colour;
  return STYLE.bands[STYLE.bands.length - 1][1];
}

export function isOutside(node) {
  return !!node.outside || node.key === null;
}

export function nodeFacts(n) {
  if (isOutside(n)) return n.label + " outside your jurisdiction";
  const lines = [n.label + ": " + n.key];
  if (n.caption !== undefined && n.caption !== n.key) lines.push(show(n.caption));
  if (n.label === "Enterprise") {
    lines.push("risk " + pct(n.risk), "category " + show(n.category), "registered " + show(n.registered));
    if (n.network_id !== null && n.network_id !== undefined) lines.push("network " + n.network_id);
  }
  const box = document.createElement("div");
  box.innerText = lines.join("\n");
  return box;
}

function tooltip(n) {
  const box = document.createElement("div");
  box.innerText = nodeFacts(n);
  return box;
}

function visNode(n, focus) {
  const shape = STYLE.shapes[n.label] || "ellipse";
  if (isOutside(n)) {
    return {id: n.id, label: "outside jurisdiction", shape, size: 10, title: tooltip(n), data: n,
            color: {background: OUTSIDE_COLOUR, border: "#9e9e9e"}, font: {color: "#9e9e9e", size: 10}};
  }
  const caption = show(n.caption);
  return {
    id: n.id, label: caption.length > 24 ? caption.slice(0, 23) + "…" : caption, shape, title: tooltip(n), data: n,
    size: focus.has(n.id) ? 28 : 12 + 14 * (n.risk || 0),
    color: {background: riskColour(n.risk),
            border: n.community == null ? "#455a64" : STYLE.palette[n.community % STYLE.palette.length]},
  };
}

function edgeKey(e) {
  return e.source + ">" + e.target + ":" + e.type + ":" + (e.role || "");
}

// the link's weight, then what each field weighed and how it compared, strongest first (plain text, a line each)
function sameFirmTitle(e) {
  const lines = ["probably the same firm (" + (e.status || "candidate") + "), match weight " + e.weight.toFixed(1)];
  for (const part of e.evidence || []) {
    lines.push(part.field + " " + (part.weight >= 0 ? "+" : "") + part.weight.toFixed(1)
               + (part.level ? " (" + part.level + ")" : ""));
  }
  const box = document.createElement("div");
  box.innerText = lines.join("\n");
  return box;
}

function visEdge(e) {
  const count = e.declarations;
  const when = e.first ? ", " + e.first + " to " + e.last : "";
  // a probable same firm is evidence, not yet a fact: dashed and labelled with its match weight
  const sameFirm = e.type === "PROBABLY_SAME_FIRM" && typeof e.weight === "number";
  return {id: edgeKey(e), from: e.source, to: e.target, dashes: (STYLE.dashed || ["FILED"]).indexOf(e.type) >= 0,
          color: STYLE.edges[e.type], label: sameFirm ? e.weight.toFixed(1) : undefined,
          title: sameFirm ? sameFirmTitle(e)
            : count ? e.type + " (" + (e.role || "") + ", " + count + " declarations" + when + ")" : (e.role || e.type),
          width: 1 + Math.min(count || 0, 20) / 5, first: e.first || null, last: e.last || null};
}

/**
 * Starting places for new nodes, so physics has little left to do: the best-linked nodes (shared phones,
 * addresses, brokers) on a sunflower spiral, every other node on a small ring around its best-linked
 * neighbour (already placed nodes count as anchors where they are).
 */
function seedPositions(fresh, edges, placed) {
  const neighbours = new Map();
  const link = (a, b) => (neighbours.get(a) || neighbours.set(a, []).get(a)).push(b);
  for (const e of edges) { link(e.source, e.target); link(e.target, e.source); }
  const degree = (id) => (neighbours.get(id) || []).length;
  const where = new Map(Object.entries(placed));
  const hubs = fresh.filter((n) => degree(n.id) >= 3).sort((a, b) => degree(b.id) - degree(a.id));
  const spread = 70 * Math.sqrt(Math.max(...hubs.map((n) => degree(n.id)), 1));
  const golden = Math.PI * (3 - Math.sqrt(5));
  hubs.forEach((n, i) => {
    const r = spread * Math.sqrt(i + 0.5);
    where.set(n.id, {x: r * Math.cos(i * golden), y: r * Math.sin(i * golden)});
  });
  const around = new Map();
  let loose = hubs.length;
  for (const n of fresh) {
    if (where.has(n.id)) continue;
    const anchors = (neighbours.get(n.id) || []).filter((m) => where.has(m));
    if (!anchors.length) {
      const r = spread * Math.sqrt(loose + 0.5);
      where.set(n.id, {x: r * Math.cos(loose * golden), y: r * Math.sin(loose * golden)});
      loose += 1;
      continue;
    }
    const anchor = anchors.reduce((a, b) => (degree(b) > degree(a) ? b : a));
    const k = around.get(anchor) || 0;
    around.set(anchor, k + 1);
    const centre = where.get(anchor), angle = k * golden, r = 45 + 6 * Math.sqrt(k);
    where.set(n.id, {x: centre.x + r * Math.cos(angle), y: centre.y + r * Math.sin(angle)});
  }
  return where;
}

export class Chart {
  /** A chart in ``container``; ``onSelect(node)`` is called with the API's node when one is clicked. */
  constructor(container, options = {}) {
    this.container = container;
    this.focus = new Set(options.focus || []);
    this.nodes = new vis.DataSet();
    this.edges = new vis.DataSet();
    this.options = JSON.parse(JSON.stringify(CONFIG.options));
    this.network = new vis.Network(container, {nodes: this.nodes, edges: this.edges}, this.options);
    this.network.on("stabilizationIterationsDone", () => {
      this.network.setOptions({physics: false});
      this.network.fit();
      container.dataset.settled = String(this.nodes.length);
      document.body.dataset.settled = String(this.nodes.length);
    });
    this.network.on("click", (params) => {
      const node = params.nodes.length ? this.nodes.get(params.nodes[0]) : null;
      if (node && options.onSelect) options.onSelect(node.data);
    });
    // the chart on screen, for the console and the browser tests
    Object.assign(window, {chart: this, network: this.network, nodes: this.nodes, edges: this.edges});
  }

  /** Add a neighbourhood ({nodes, edges}) and lay it out again. */
  add(graph) {
    const fresh = graph.nodes.filter((n) => !this.nodes.get(n.id));
    const large = this.nodes.length + fresh.length > LARGE;
    const start = large ? seedPositions(fresh, graph.edges, this.network.getPositions()) : new Map();
    this.nodes.update(fresh.map((n) => ({...visNode(n, this.focus), ...start.get(n.id)})));
    this.edges.update(graph.edges.map(visEdge));
    delete this.container.dataset.settled;
    const iterations = large ? TIDY_ITERATIONS : this.options.physics.stabilization.iterations;
    // short layout batches keep the page answering input while a large chart settles
    if (large) this.network.setOptions({layout: {improvedLayout: false}, physics: {stabilization: {updateInterval: 10}}});
    this.network.setOptions({physics: true});
    this.network.stabilize(iterations);
    this.container.dataset.nodes = String(this.nodes.length);
    this.container.dataset.links = String(this.edges.length);
    if (this.window) this.showWindow(...this.window);
  }

  /**
   * Show only the links active between ``from`` and ``to`` (ISO dates; null = no bound): a link made of
   * declarations (FILED) is active when its first..last dates overlap the window; shared identifiers carry
   * no dates and stay. Nodes left with no visible link are hidden, except the chart's focus.
   */
  showWindow(from, to) {
    this.window = [from, to];
    const linked = new Set(this.focus);
    const updates = this.edges.get().map((e) => {
      const hidden = !!(e.first && ((to && e.first > to) || (from && e.last < from)));
      if (!hidden) { linked.add(e.from); linked.add(e.to); }
      return {id: e.id, hidden};
    });
    this.edges.update(updates);
    this.nodes.update(this.nodes.get().map((n) => ({id: n.id, hidden: !linked.has(n.id)})));
    const shown = updates.filter((u) => !u.hidden).length;
    this.container.dataset.visibleLinks = String(shown);
    return {shown, total: updates.length};
  }

  /** The chart as a PNG data URL, on white (the canvas itself is transparent). */
  png() {
    const canvas = this.container.querySelector("canvas");
    const out = document.createElement("canvas");
    out.width = canvas.width;
    out.height = canvas.height;
    const context = out.getContext("2d");
    context.fillStyle = "#ffffff";
    context.fillRect(0, 0, out.width, out.height);
    context.drawImage(canvas, 0, 0);
    return out.toDataURL("image/png");
  }

  /** A button saving the chart as ``name``.png. */
  exportButton(name) {
    return el("button", {class: "png-export", type: "button", onclick: async () => {
      const blob = await (await fetch(this.png())).blob();
      saveBlob(blob, name + ".png");
    }}, "PNG");
  }
}
