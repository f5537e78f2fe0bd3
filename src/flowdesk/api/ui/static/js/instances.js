// Instances: filters of GET /instances (kept in the URL), newest first, a total, paging by cursor.
import { api, everyItem, query } from "./api.js";
import { badge, clear, el, guarded, short, start, UI, when } from "./page.js";

const FILTERS = ["process_key", "status", "business_key", "sort"];
const form = document.getElementById("instance-filters");
const body = document.querySelector("#instances-table tbody");
const total = document.getElementById("instances-total");
const prev = document.getElementById("prev-page");
const next = document.getElementById("next-page");
let cursors = [null];
let nextCursor = null;

function row(instance) {
  return el("tr", {},
    el("td", {}, el("a", { href: `${UI}instances/${instance.id}` }, short(instance.id))),
    el("td", { "data-label": "Process" }, `${instance.process_key} v${instance.process_version}`),
    el("td", { "data-label": "Business key" }, instance.business_key || "—"),
    el("td", { "data-label": "Status" }, badge(instance.status), (instance.incidents || []).length ? [" ", badge("incident")] : null),
    el("td", { "data-label": "Open tickets" }, (instance.open_tickets || []).map((t) => t.name || t.element_id).join(", ") || "—"),
    el("td", { "data-label": "Incidents" }, (instance.incidents || []).length ? badge(String(instance.incidents.length), "incident") : "—"),
    el("td", { "data-label": "Started" }, when(instance.created_at)));
}

function chosen() {
  return Object.fromEntries([...new FormData(form)].filter(([, value]) => value !== ""));
}

let loads = 0; // the latest load wins: an older answer arriving late is dropped

async function load() {
  const mine = ++loads;
  history.replaceState(null, "", `${location.pathname}${query(chosen())}`);
  await guarded(async () => {
    const filters = chosen();
    // An instance with an incident is still running; the API finds those by has_incident.
    if (filters.status === "incident") Object.assign(filters, { status: "", has_incident: "true" });
    const page = await api(`/instances${query({ ...filters, limit: 25, count: true, after: cursors.at(-1) })}`);
    if (mine !== loads) return;
    clear(body, page.items.length ? page.items.map(row) : el("tr", {}, el("td", { colspan: "7", class: "empty" }, "No instances match.")));
    const count = page.total_capped ? `${page.total}+` : String(page.total);
    total.textContent = `${count} instance${page.total === 1 ? "" : "s"} · page ${cursors.length}`;
    nextCursor = page.next_cursor;
    next.disabled = !nextCursor;
    prev.disabled = cursors.length <= 1;
  });
}

form.addEventListener("submit", (event) => { event.preventDefault(); cursors = [null]; load(); });
next.addEventListener("click", () => { cursors.push(nextCursor); load(); });
prev.addEventListener("click", () => { cursors.pop(); load(); });

guarded(async () => {
  await start();
  const picker = form.elements.process_key;
  for (const process of await everyItem("/definitions")) {
    picker.append(el("option", { value: process.key }, process.name && process.name !== process.key
      ? `${process.name} (${process.key})` : process.key));
  }
  const wanted = new URLSearchParams(location.search);
  for (const name of FILTERS) {
    const value = wanted.get(name);
    if (value === null) continue;
    const field = form.elements[name];
    if (field.tagName === "SELECT" && ![...field.options].some((o) => o.value === value)) field.append(el("option", { value }, value));
    field.value = value;
  }
  await load();
});
