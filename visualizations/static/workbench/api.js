// Calls to the RiskGraph API. The key stays in this tab's sessionStorage and goes with every call as
// X-API-Key; it is never put in a URL, so a page's address can be sent to a colleague as it is.
const KEY_ITEM = "riskgraph-key";

export const apiKey = {
  get: () => sessionStorage.getItem(KEY_ITEM) || "",
  set: (value) => sessionStorage.setItem(KEY_ITEM, value),
  forget: () => sessionStorage.removeItem(KEY_ITEM),
};

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export async function call(url, options = {}) {
  const headers = Object.assign({"X-API-Key": apiKey.get()}, options.headers || {});
  const response = await fetch(url, Object.assign({}, options, {headers}));
  if (response.ok) return response;
  let code = "error", message = response.statusText;
  try {
    const body = await response.json();
    code = body.error.code;
    message = body.error.message;
  } catch (ignored) { /* not the API's error shape: keep the status text */ }
  throw new ApiError(response.status, code, message);
}

export const getJSON = (url) => call(url).then((r) => r.json());

export function sendJSON(method, url, body) {
  return call(url, {method, headers: {"Content-Type": "application/json"}, body: JSON.stringify(body)})
    .then((r) => r.json());
}

/** One line a person can act on; role and jurisdiction refusals (403) say so plainly. */
export function explain(err) {
  if (err instanceof ApiError) {
    if (err.status === 401) return "No valid API key: " + err.message + ". Paste a key at the top.";
    if (err.status === 403) return "Not allowed with this key: " + err.message;
    if (err.status === 404) return "Not found: " + err.message;
    if (err.status === 503) return "The graph database is not reachable: " + err.message;
    return err.message;
  }
  return String((err && err.message) || err);
}

/** Save a blob under a name; the name and size are left on <body> for whoever checks downloads. */
export function saveBlob(blob, name) {
  const link = document.createElement("a");
  link.href = URL.createObjectURL(blob);
  link.download = name;
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 60000);
  document.body.dataset.lastDownload = name + " " + blob.size;
}

// A file (spreadsheet, report) is fetched with the key and kept in memory: a plain link cannot send a header.
export async function download(url, fallbackName) {
  const response = await call(url);
  const match = /filename="?([^";]+)"?/.exec(response.headers.get("Content-Disposition") || "");
  saveBlob(await response.blob(), match ? match[1] : fallbackName);
}

export async function blobUrl(url) {
  const response = await call(url);
  return URL.createObjectURL(await response.blob());
}
