// An enterprise's declarations on a time axis (vis-timeline): ring colour = channel, fill = outcome, and a
// second row marking each switch to a broker, seller or route it had not used before.
import {el, show} from "./dom.js";

const CHANNELS = {"fast release": "ch-fast", "document check": "ch-document", "physical inspection": "ch-physical"};

function outcome(d) {
  if (d.violation === true || d.violation === 1 || d.violation === "1") return "violation";
  if (d.inspected === true || d.inspected === 1 || d.inspected === "1") return "clean";
  return "none";
}

export function declarationClass(d) {
  return (CHANNELS[d.channel] || "ch-none") + " out-" + outcome(d);
}

export function outcomeText(d) {
  return {violation: "violation" + (d.violation_type ? " (" + d.violation_type + ")" : ""),
          clean: "inspected, no violation", none: "not inspected"}[outcome(d)];
}

function describe(d) {
  // a declaration lodged outside the key's jurisdiction comes with its date and the firm's role only
  if (d.outside) return "declaration outside your jurisdiction · " + d.date + (d.role ? " (" + d.role + ")" : "");
  return [d.id + " · " + d.date, "channel " + show(d.channel), outcomeText(d), "broker " + show(d.broker),
          "seller " + show(d.seller), "route " + show(d.route)].join("\n");
}

export function legend() {
  const item = (cls, text) => el("span", {}, el("i", {class: cls}), text);
  return el("div", {class: "legend muted"}, "ring: ", item("ch-fast", "fast release"), item("ch-document", "document check"),
    item("ch-physical", "physical inspection"), item("ch-none", "no channel"), " fill: ", item("out-violation", "violation"),
    item("out-clean", "inspected clean"), item("out-none", "not inspected"));
}

/** Draw the timeline; ``onWindow(from, to)`` (ISO dates) follows every change of the visible range. */
export function drawTimeline(container, declarations, changes, onWindow) {
  const dated = declarations.filter((d) => d.date);
  const items = dated.map((d, i) => ({id: "d" + i, group: "declarations", start: d.date, type: "point", content: "",
                                      className: declarationClass(d), title: describe(d)}));
  (changes || []).forEach((c, i) => items.push({
    id: "c" + i, group: "switches", start: c.date, type: "box", className: "switch switch-" + c.field,
    content: c.field + " → " + c.to, title: c.field + ": " + show(c.from) + " → " + c.to + " (" + c.declaration + ")",
  }));
  const groups = [{id: "declarations", content: "declarations"}, {id: "switches", content: "new broker / seller / route"}];
  const timeline = new vis.Timeline(container, items, groups, {
    stack: true, zoomMin: 7 * 24 * 3600 * 1000, margin: {item: 4}, orientation: "top", tooltip: {followMouse: true},
    selectable: false, showCurrentTime: false,
  });
  const iso = (date) => new Date(date).toISOString().slice(0, 10);
  timeline.on("rangechanged", (props) => onWindow(iso(props.start), iso(props.end)));
  container.dataset.items = String(dated.length);
  container.dataset.switches = String((changes || []).length);
  return timeline;
}
