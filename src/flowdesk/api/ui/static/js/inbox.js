// The inbox: the filters of GET /tickets as presets with counts, a table paged by cursor, claim.
// The filters live in the URL (a reload or a shared link shows the same list); the columns after
// the ticket's own are the case fields its model names (`caseFields`); the server sorts by them
// (`sort=case.<field>`) across pages, like by its own columns.
import { api, everyItem, query } from "./api.js";
import { age, badge, caseValue, clear, duration, el, every, guarded, inFlight, say, short, start, UI, when } from "./page.js";

const PAGE_SIZE = 25;
const MAX_CASE_COLUMNS = 4;
const FILTERS = ["status", "q", "process_key", "sort", "filter"];
const form = document.getElementById("inbox-filters");
const presetList = document.getElementById("presets");
const head = document.getElementById("inbox-columns");
const body = document.querySelector("#inbox-table tbody");
const total = document.getElementById("inbox-total");
const prev = document.getElementById("prev-page");
const next = document.getElementById("next-page");

let presets = [];
let preset = null;
let cursors = [null]; // the cursor of each page seen so far, for "Previous page"
let nextCursor = null;

function presetsFor(who) {
  const list = [
    { id: "open", label: "Open", filter: { status: "open" } },
    // Yours to work on now; the ones waiting for a customer have their own preset.
    { id: "mine", label: "Mine", filter: { assignee: "me", status: "claimed" } },
    { id: "mine-waiting", label: "Mine, waiting", filter: { assignee: "me", status: "waiting" } },
  ];
  for (const group of who.groups) {
    list.push({ id: `group-${group}`, label: `Group ${group}`, filter: { candidate_group: group, status: "open" } });
  }
  // A finished ticket keeps its SLA state; these views are of work still to do.
  list.push({ id: "at-risk", label: "SLA at risk", filter: { sla_state: "at_risk", active: true } },
            { id: "breached", label: "SLA breached", filter: { sla_state: "breached", active: true } },
            { id: "all", label: "All", filter: {} });
  return list;
}

/** The filters the user chose; an empty field ("any") leaves the preset's own filter in place. */
function formFilter() {
  const values = Object.fromEntries([...new FormData(form)].filter(([, value]) => value !== ""));
  if (values.sort === "created") delete values.sort;
  return values;
}

function currentQuery(extra = {}) {
  return { ...preset.filter, ...formFilter(), ...extra };
}

/** Writes the preset and the filters into the address, so a reload or a shared link keeps them. */
function remember() {
  sessionStorage.setItem("flowdesk.inboxPreset", preset.id);
  // The first preset without filters is the plain inbox: its address stays plain.
  const view = preset === presets[0] ? undefined : preset.id;
  history.replaceState(null, "", `${location.pathname}${query({ view, ...formFilter() })}`);
}

/** The filters a link carries, put back into the form (a value the form lacks is added as an option). */
function restore(params) {
  for (const name of FILTERS) {
    const field = form.elements[name];
    const value = params.get(name);
    if (!field || value === null) continue;
    if (field.tagName === "SELECT" && ![...field.options].some((o) => o.value === value)) {
      field.append(el("option", { value }, value));
    }
    field.value = value;
  }
}

async function countPresets() {
  const extra = formFilter();
  delete extra.status;
  delete extra.sort;
  await Promise.all(presets.map(async (p) => {
    const page = await api(`/tickets${query({ ...p.filter, ...extra, limit: 1, count: true })}`);
    const node = document.querySelector(`[data-preset="${p.id}"] .count`);
    if (node) node.textContent = page.total_capped ? `${page.total}+` : String(page.total);
  }));
}

function renderPresets() {
  clear(presetList, presets.map((p) => el("li", {},
    el("button", { type: "button", class: "preset", "data-preset": p.id, "aria-pressed": String(p === preset),
                   onclick: () => choose(p) },
       p.label, " ", el("span", { class: "count", "aria-label": "tickets" }, "…")))));
}

/** The case columns of a page: its tickets' case fields in order, each once, a few at most. */
function caseColumns(items) {
  const columns = new Map();
  for (const ticket of items) {
    for (const field of ticket.case || []) {
      if (!columns.has(field.name) && columns.size < MAX_CASE_COLUMNS) columns.set(field.name, field.label);
    }
  }
  return [...columns].map(([name, label]) => ({ name, label }));
}

function sortHeader(label, key, attributes = {}) {
  const sort = form.elements.sort.value || "created";
  const direction = sort === key ? "ascending" : sort === `-${key}` ? "descending" : "none";
  return el("th", { scope: "col", "aria-sort": direction, ...attributes },
    el("button", { type: "button", class: "sort", "data-sort": key, onclick: () => sortBy(key, direction, label) },
       label, el("span", { "aria-hidden": "true" }, { ascending: " ▲", descending: " ▼", none: "" }[direction])));
}

function renderHead(columns) {
  clear(head,
    el("th", { scope: "col" }, "Ticket"), el("th", { scope: "col" }, "Process"),
    columns.map((c) => sortHeader(c.label, `case.${c.name}`, { "data-case": c.name })),
    el("th", { scope: "col" }, "Status"), el("th", { scope: "col" }, "Assignee"),
    sortHeader("SLA", "due"), sortHeader("Created", "created"), sortHeader("Priority", "priority"),
    el("th", { scope: "col" }, el("span", { class: "visually-hidden" }, "Actions")));
}

function row(ticket, columns) {
  const claimable = ticket.status === "open" && !ticket.assignee;
  const active = ["open", "claimed", "waiting"].includes(ticket.status);
  const sla = ticket.sla && ticket.sla.due_at
    ? el("span", {}, badge(ticket.sla.state), active ? [" ", duration(ticket.sla.remaining_seconds)] : null) : "—";
  const values = Object.fromEntries((ticket.case || []).map((f) => [f.name, f.value]));
  return el("tr", { "data-ticket-id": ticket.id },
    el("td", {}, el("a", { href: `${UI}tickets/${ticket.id}` }, ticket.name || ticket.element_id),
       el("div", { class: "sub" }, ticket.business_key || short(ticket.id))),
    el("td", { "data-label": "Process" }, ticket.process_key),
    columns.map((c) => el("td", { "data-case": c.name, "data-label": c.label }, caseValue(values[c.name]))),
    el("td", { "data-label": "Status" }, badge(ticket.status)),
    el("td", { "data-label": "Assignee" }, ticket.assignee || (ticket.candidate_groups || []).join(", ") || "—"),
    el("td", { "data-label": "SLA" }, sla),
    el("td", { "data-label": "Created", title: when(ticket.created_at) }, age(ticket.created_at)),
    el("td", { "data-label": "Priority" }, ticket.priority ?? "—"),
    el("td", {}, claimable
      ? el("button", { type: "button", class: "small", onclick: () => claim(ticket),
                       "aria-label": `Claim ${ticket.name || ticket.element_id}` }, "Claim")
      : ""));
}

let loads = 0; // the latest load wins: an older answer arriving late is dropped

async function load() {
  remember();
  const mine = ++loads;
  await guarded(async () => {
    const page = await api(`/tickets${query(currentQuery({ limit: PAGE_SIZE, count: true, after: cursors.at(-1) }))}`);
    if (mine !== loads) return;
    const columns = caseColumns(page.items);
    renderHead(columns);
    clear(body, page.items.length ? page.items.map((ticket) => row(ticket, columns))
      : el("tr", {}, el("td", { colspan: String(9 + columns.length), class: "empty" }, "No tickets match.")));
    const count = page.total_capped ? `${page.total}+` : String(page.total);
    total.textContent = `${count} ticket${page.total === 1 ? "" : "s"} · page ${cursors.length}`;
    nextCursor = page.next_cursor;
    next.disabled = !nextCursor;
    prev.disabled = cursors.length <= 1;
    await countPresets();
  });
}

/** Chooses ``sort`` in the "Sort by" list, adding it there first when it is a case field's. */
function chooseSort(sort, label) {
  const select = form.elements.sort;
  if (![...select.options].some((o) => o.value === sort)) {
    select.append(el("option", { value: sort }, `${label} ${sort.startsWith("-") ? "descending" : "ascending"}`));
  }
  select.value = sort;
}

function sortBy(key, direction, label) {
  // A header first sorts the way people mean it (highest priority, soonest due), then flips.
  const first = key === "priority" ? `-${key}` : key;
  const flipped = direction === "ascending" ? `-${key}` : direction === "descending" ? key : first;
  chooseSort(flipped, label);
  cursors = [null];
  load();
}

async function claim(ticket) {
  await inFlight(document.getElementById("inbox-table"), () => guarded(async () => {
    await api(`/tickets/${ticket.id}/claim`, { method: "POST" });
    say(`You claimed “${ticket.name || ticket.element_id}”.`);
    await load();
  }));
}

function choose(p) {
  preset = p;
  cursors = [null];
  for (const button of presetList.querySelectorAll("button")) {
    button.setAttribute("aria-pressed", String(button.dataset.preset === p.id));
  }
  load();
}

async function loadChoices() {
  const [saved, processes] = await Promise.all([everyItem("/me/filters"), everyItem("/definitions")]);
  const select = document.getElementById("f-saved");
  for (const filter of saved) select.append(el("option", { value: filter.id }, filter.name));
  const picker = document.getElementById("f-process");
  for (const process of processes) {
    picker.append(el("option", { value: process.key }, process.name && process.name !== process.key
      ? `${process.name} (${process.key})` : process.key));
  }
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  cursors = [null];
  load();
});
next.addEventListener("click", () => { cursors.push(nextCursor); load(); });
prev.addEventListener("click", () => { cursors.pop(); load(); });

guarded(async () => {
  const who = await start();
  presets = presetsFor(who);
  const params = new URLSearchParams(location.search);
  const chosen = params.get("view") || sessionStorage.getItem("flowdesk.inboxPreset");
  preset = presets.find((p) => p.id === chosen) || presets[0];
  renderPresets();
  await loadChoices();
  restore(params);
  await load();
  // Live counts and rows; a page past the first stays put (its cursor would skip new tickets).
  every(30, () => { if (cursors.length === 1) load(); });
});
