// Calls to the flowdesk REST API with the key from the login form, sent as a Bearer token.
const KEY = "flowdesk.apiKey";
const BASE = document.body.dataset.api;
const UI = document.body.dataset.ui;

export const session = {
  key: () => sessionStorage.getItem(KEY),
  save: (key) => sessionStorage.setItem(KEY, key),
  clear: () => { sessionStorage.removeItem(KEY); sessionStorage.removeItem("flowdesk.me"); },
};

/** A problem+json answer (RFC 9457) as an Error: `status`, `problem.title/detail/errors`. */
export class ApiError extends Error {
  constructor(status, problem) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

export function loginUrl() {
  const next = location.pathname + location.search;
  return `${UI}login?next=${encodeURIComponent(next)}`;
}

/**
 * fetch() against /api/v1: `json` is sent as a JSON body, `body` as is (FormData for uploads);
 * answers JSON, text (`as: "text"`) or a Blob (`as: "blob"`); null for 204 and 304 (not modified). A 401 leads back to the login page, unless the
 * call names its own `key` or is `anonymous` (sent without one).
 */
export async function api(path, { method = "GET", json, body, headers = {}, as = "json", key, anonymous = false } = {}) {
  const sent = anonymous ? { ...headers } : { ...headers, Authorization: `Bearer ${key || session.key()}` };
  if (json !== undefined) {
    sent["Content-Type"] = "application/json";
    body = JSON.stringify(json);
  }
  const response = await fetch(BASE + path, { method, headers: sent, body });
  if (response.status === 401 && !key && !anonymous) {
    session.clear();
    location.assign(loginUrl());
    throw new ApiError(401, { title: "Please log in again" });
  }
  if (response.status === 304) return null; // unchanged since the ETag sent (If-None-Match)
  if (!response.ok) {
    let problem = { title: response.statusText };
    try { problem = await response.json(); } catch { /* not JSON: keep the status text */ }
    throw new ApiError(response.status, problem);
  }
  if (response.status === 204) return null;
  if (as === "blob") return { blob: await response.blob(), headers: response.headers };
  if (as === "text") return response.text();
  return response.json();
}

/** `{a: 1, b: ""}` -> "?a=1" (empty values left out). */
export function query(params) {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== "") search.set(name, value);
  }
  const text = search.toString();
  return text ? `?${text}` : "";
}

/** Every item of a paged list (`{items, next_cursor}`), following the cursor 200 at a time: for pickers. */
export async function everyItem(path) {
  const items = [];
  let after = null;
  do {
    const page = await api(path + query({ limit: 200, after }));
    items.push(...page.items);
    after = page.next_cursor;
  } while (after);
  return items;
}
