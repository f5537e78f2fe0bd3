// The inbox: the filters of GET /tickets as presets with counts, a table paged by cursor, claim.
import { api, query } from "./api.js";
import { badge, clear, duration, el, guarded, say, short, start, UI } from "./page.js";

const PAGE_SIZE = 25;
const form = document.getElementById("inbox-filters");
const presetList = document.getElementById("presets");
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
  list.push({ id: "at-risk", label: "SLA at risk", filter: { sla_state: "at_risk" } },
            { id: "breached", label: "SLA breached", filter: { sla_state: "breached" } },
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

async function countPresets() {
  const extra = formFilter();
  delete extra.status;
  await Promise.all(presets.map(async (p) => {
    const page = await api(`/tickets${query({ ...p.filter, ...extra, limit: 1, count: true })}`);
    const node = document.querySelector(`[data-preset="${p.id}"] .count`);
    if (node) node.textContent = String(page.total);
  }));
}

function renderPresets() {
  clear(presetList, presets.map((p) => el("li", {},
    el("button", { type: "button", class: "preset", "data-preset": p.id, "aria-pressed": String(p === preset),
                   onclick: () => choose(p) },
       p.label, " ", el("span", { class: "count", "aria-label": "tickets" }, "…")))));
}

function row(ticket) {
  const claimable = ticket.status === "open" && !ticket.assignee;
  const sla = ticket.sla && ticket.sla.due_at
    ? el("span", {}, badge(ticket.sla.state), " ", duration(ticket.sla.remaining_seconds)) : "—";
  return el("tr", { "data-ticket-id": ticket.id },
    el("td", {}, el("a", { href: `${UI}tickets/${ticket.id}` }, ticket.name || ticket.element_id),
       el("div", { class: "sub" }, short(ticket.id))),
    el("td", {}, ticket.process_key),
    el("td", {}, ticket.business_key || "—"),
    el("td", {}, badge(ticket.status)),
    el("td", {}, ticket.assignee || (ticket.candidate_groups || []).join(", ") || "—"),
    el("td", {}, sla),
    el("td", {}, ticket.priority ?? "—"),
    el("td", {}, claimable
      ? el("button", { type: "button", class: "small", onclick: () => claim(ticket),
                       "aria-label": `Claim ${ticket.name || ticket.element_id}` }, "Claim")
      : ""));
}

async function load() {
  await guarded(async () => {
    const page = await api(`/tickets${query(currentQuery({ limit: PAGE_SIZE, count: true, after: cursors.at(-1) }))}`);
    clear(body, page.items.length ? page.items.map(row)
      : el("tr", {}, el("td", { colspan: "8", class: "empty" }, "No tickets match.")));
    total.textContent = `${page.total} ticket${page.total === 1 ? "" : "s"} · page ${cursors.length}`;
    nextCursor = page.next_cursor;
    next.disabled = !nextCursor;
    prev.disabled = cursors.length <= 1;
    await countPresets();
  });
}

async function claim(ticket) {
  await guarded(async () => {
    await api(`/tickets/${ticket.id}/claim`, { method: "POST" });
    say(`You claimed “${ticket.name || ticket.element_id}”.`);
    await load();
  });
}

function choose(p) {
  preset = p;
  cursors = [null];
  for (const button of presetList.querySelectorAll("button")) {
    button.setAttribute("aria-pressed", String(button.dataset.preset === p.id));
  }
  sessionStorage.setItem("flowdesk.inboxPreset", p.id);
  load();
}

async function loadSavedFilters() {
  const saved = await api("/me/filters");
  const select = document.getElementById("f-saved");
  for (const filter of saved) select.append(el("option", { value: filter.id }, filter.name));
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
  const remembered = sessionStorage.getItem("flowdesk.inboxPreset");
  preset = presets.find((p) => p.id === remembered) || presets[0];
  renderPresets();
  await loadSavedFilters();
  await load();
});
