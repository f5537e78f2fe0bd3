// What every page shares: the login guard, the user line, messages, and building DOM safely.
import { api, ApiError, loginUrl, session } from "./api.js";

export const UI = document.body.dataset.ui;

/** `el("a", {href: "/x", class: "y"}, "text", child)`: text is always text, never HTML. */
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else if (value === true) node.setAttribute(name, "");
    else node.setAttribute(name, value);
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function clear(node, ...children) {
  node.replaceChildren(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
}

export function say(message) {
  document.getElementById("status").textContent = message;
}

/** Shows an error (a problem+json answer with its per-field errors, or any exception);
 * `details: false` leaves the per-field errors to the page, which shows them in place. */
export function fail(error, { details = true } = {}) {
  const box = document.getElementById("alert");
  const items = [];
  const errors = error instanceof ApiError && details ? error.problem.errors : null;
  if (Array.isArray(errors)) {
    for (const e of errors) {
      const where = [e.file, e.line ? `line ${e.line}` : null, e.element_id].filter(Boolean).join(", ");
      items.push(el("li", {}, where ? `${where}: ` : "", e.message || JSON.stringify(e)));
    }
  } else if (errors && typeof errors === "object") {
    for (const [field, messages] of Object.entries(errors)) {
      items.push(el("li", {}, `${field}: ${[].concat(messages).join("; ")}`));
    }
  }
  // Why a command was refused (a migration that cannot move the instance, say).
  if (error instanceof ApiError && Array.isArray(error.problem.reasons)) {
    for (const reason of error.problem.reasons) items.push(el("li", {}, reason));
  }
  const title = error instanceof ApiError ? (error.problem.title || `HTTP ${error.status}`) : "Something went wrong";
  const detail = error instanceof ApiError ? error.problem.detail : String(error);
  clear(box, el("strong", {}, title), detail && detail !== title ? el("p", {}, detail) : null,
        items.length ? el("ul", {}, items) : null);
  box.hidden = false;
  box.scrollIntoView({ block: "nearest" });
}

export function clearAlert() {
  const box = document.getElementById("alert");
  box.hidden = true;
  box.replaceChildren();
}

/** Runs `work`, showing its error instead of throwing; returns its result or undefined. */
export async function guarded(work) {
  try {
    clearAlert();
    return await work();
  } catch (error) {
    if (!(error instanceof ApiError && error.status === 401)) fail(error);
    return undefined;
  }
}

/** A page whose subject does not exist (or is not yours to see): no skeleton of forms to use,
 * only the words and a way back. */
export function showNotFound(what, back = `${UI}inbox`) {
  for (const node of document.querySelectorAll("#main > :not(#status):not(#alert)")) node.remove();
  clearAlert();
  document.getElementById("main").append(
    el("h1", {}, `${what} not found`),
    el("p", { id: "not-found" }, `There is no ${what.toLowerCase()} here, or it is not yours to see.`),
    el("p", {}, el("a", { href: back }, "Back to the list")));
  document.title = `Not found · flowdesk`;
}

/** Runs `work` with every button in `container` disabled, so a double click sends one request. */
export async function inFlight(container, work) {
  const buttons = [...container.querySelectorAll("button:not([disabled])")];
  for (const button of buttons) button.disabled = true;
  container.setAttribute("aria-busy", "true");
  try {
    return await work();
  } finally {
    container.removeAttribute("aria-busy");
    for (const button of buttons) if (button.isConnected) button.disabled = false;
  }
}

/** Calls `refresh` every `seconds` while the tab is shown, and at once when it is shown again. */
export function every(seconds, refresh) {
  const tick = () => { if (document.visibilityState === "visible") refresh(); };
  setInterval(tick, seconds * 1000);
  document.addEventListener("visibilitychange", tick);
}

/** Who is logged in (cached for the tab); sends to the login page when nobody is. */
export async function me() {
  if (!session.key()) {
    location.assign(loginUrl());
    throw new ApiError(401, { title: "Please log in" }); // guarded() stays quiet while the page leaves
  }
  const cached = sessionStorage.getItem("flowdesk.me");
  if (cached) return JSON.parse(cached);
  const who = await api("/me");
  sessionStorage.setItem("flowdesk.me", JSON.stringify(who));
  return who;
}

/** Page start: the login guard, the user line and the logout button. A requester sees only the
 * requester pages: the desk's pages send them to their requests. */
export async function start({ requesterPage = false } = {}) {
  const who = await me();
  if (who.role === "requester" && !requesterPage) {
    location.replace(`${UI}requests`);
    throw new ApiError(401, { title: "Your requests" }); // guarded() stays quiet while the page leaves
  }
  const line = document.getElementById("who");
  if (line) line.textContent = `${who.name} (${who.role})`;
  // What a role may not use is not offered (the API refuses it anyway).
  for (const node of document.querySelectorAll("[data-roles]")) node.hidden = !node.dataset.roles.split(" ").includes(who.role);
  document.getElementById("logout")?.addEventListener("click", () => {
    session.clear();
    location.assign(`${UI}login`);
  });
  return who;
}

export function when(iso) {
  if (!iso) return "—";
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString();
}

/** 93784 -> "1 d 2 h 3 min"; negative -> "… overdue". */
export function duration(seconds) {
  if (seconds === null || seconds === undefined) return "—";
  const past = seconds < 0;
  let rest = Math.abs(Math.round(seconds));
  const parts = [];
  for (const [size, unit] of [[86400, "d"], [3600, "h"], [60, "min"]]) {
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)} ${unit}`);
      rest %= size;
    }
  }
  if (!parts.length) parts.push(`${rest} s`);
  return past ? `${parts.slice(0, 2).join(" ")} overdue` : `${parts.slice(0, 2).join(" ")} left`;
}

/** How long ago `iso` was, roughly: "just now", "5 min ago", "3 h ago", "2 d ago". */
export function age(iso, now = Date.now()) {
  const seconds = (now - new Date(iso).getTime()) / 1000;
  if (!Number.isFinite(seconds)) return "—";
  if (seconds < 60) return "just now";
  for (const [size, unit] of [[86400, "d"], [3600, "h"], [60, "min"]]) {
    if (seconds >= size) return `${Math.floor(seconds / size)} ${unit} ago`;
  }
  return "just now";
}

/** A case value as people read it: text as is, nothing as a dash, objects as compact JSON. */
export function caseValue(value) {
  if (value === null || value === undefined || value === "") return "—";
  if (typeof value === "boolean") return value ? "yes" : "no";
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}

export function badge(text, kind = text) {
  return el("span", { class: `badge badge-${String(kind).replace(/[^a-z_-]/gi, "")}` }, text);
}

export function short(id) {
  return id ? String(id).slice(0, 8) : "";
}

/** `next` when it is a page of this UI, else the inbox: never send the user to another site after logging in. */
export function safeNext(next) {
  return next && next.startsWith(UI) && !next.startsWith("//") ? next : `${UI}inbox`;
}

export function param(name) {
  return new URLSearchParams(location.search).get(name);
}
