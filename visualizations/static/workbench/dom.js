// Small DOM helpers: elements, formatting (missing values as a dash, scores as percentages), sortable tables.
export const DASH = "—";

/** An element with attributes (``on*`` are listeners, ``dataset`` an object) and children (text or nodes). */
export function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else if (name === "dataset") Object.assign(node.dataset, value);
    else node.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat(Infinity)) {
    if (child !== null && child !== undefined && child !== false) node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

export function missing(value) {
  return value === null || value === undefined || value === "" || (typeof value === "number" && !isFinite(value));
}

export function show(value) {
  return missing(value) ? DASH : String(value);
}

/** A risk of 0..1 as "81%". */
export function pct(risk) {
  return missing(risk) || typeof risk !== "number" ? DASH : Math.round(risk * 100) + "%";
}

/** A network score of 0..100 as "81%". */
export function scorePct(score) {
  return missing(score) || typeof score !== "number" ? DASH : Math.round(score) + "%";
}

export function money(value) {
  return missing(value) || typeof value !== "number" ? DASH : value.toLocaleString("en", {maximumFractionDigits: 0});
}

export function band(risk, bands) {
  if (missing(risk)) return "";
  const names = ["low", "medium", "high"];
  for (let i = 0; i < bands.length; i++) if (risk < bands[i][0]) return names[i] || "high";
  return "high";
}

export function facts(pairs) {
  return el("dl", {class: "facts"}, pairs.map(([term, value]) => [el("dt", {}, term), el("dd", {}, value instanceof Node ? value : show(value))]));
}

/** Reasons as a list: "detail (strength)". */
export function reasonList(reasons, limit) {
  const shown = (reasons || []).slice(0, limit || 50);
  if (!shown.length) return el("p", {class: "muted"}, "no reasons recorded");
  return el("ul", {class: "reasons"}, shown.map((r) => el("li", {}, show(r.detail || r.signal),
    missing(r.strength) ? "" : el("span", {class: "muted"}, " (" + show(r.signal) + ", " + pct(r.strength) + ")"))));
}

export function message(text, kind) {
  return el("p", {class: kind || "error", role: "alert"}, text);
}

function compare(a, b) {
  if (typeof a === "number" && typeof b === "number") return a - b;
  return String(a).localeCompare(String(b), "en", {numeric: true});
}

/**
 * A table sorted by clicking a column head (again to reverse); missing values always sort last.
 * columns: [{title, value: row => sortable value, cell?: row => node or text, numeric?}]
 */
export function table(columns, rows, attrs) {
  const body = el("tbody");
  let sortedBy = null, direction = 1;
  const heads = columns.map((column) => el("th", {
    onclick: () => {
      direction = sortedBy === column ? -direction : (column.numeric ? -1 : 1);
      sortedBy = column;
      heads.forEach((h) => delete h.dataset.sorted);
      heads[columns.indexOf(column)].dataset.sorted = String(direction);
      render();
    },
  }, column.title));
  function render() {
    const ordered = rows.slice();
    if (sortedBy) {
      ordered.sort((x, y) => {
        const a = sortedBy.value(x), b = sortedBy.value(y);
        if (missing(a) || missing(b)) return missing(a) - missing(b);
        return compare(a, b) * direction;
      });
    }
    body.replaceChildren(...ordered.map((row) => {
      const tr = el("tr", {}, columns.map((c) => el("td", {class: c.numeric ? "num" : null}, c.cell ? c.cell(row) : show(c.value(row)))));
      tr.row = row;
      return tr;
    }));
  }
  render();
  const grid = el("table", Object.assign({class: "grid"}, attrs || {}), el("thead", {}, el("tr", {}, heads)), body);
  grid.rerender = render;
  return grid;
}

export function link(href, text) {
  return el("a", {href}, show(text));
}

export const enterpriseHref = (id) => "#/enterprises/" + encodeURIComponent(id);
export const networkHref = (id) => "#/networks/" + encodeURIComponent(id);
export const caseHref = (id) => "#/cases/" + encodeURIComponent(id);
