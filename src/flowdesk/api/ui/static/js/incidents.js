// Incidents: work that stopped and needs a person. Filters in the URL, newest first, the job's
// attempt log on demand, retry one or the selected ones, or resolve one without a retry (admins).
import { api, ApiError, query } from "./api.js";
import { badge, clear, el, fail, guarded, say, short, start, UI, when } from "./page.js";

const form = document.getElementById("incident-filters");
const body = document.querySelector("#incidents-table tbody");
const total = document.getElementById("incidents-total");
const retrySelected = document.getElementById("retry-selected");
const prev = document.getElementById("prev-page");
const next = document.getElementById("next-page");
const FILTERS = ["status", "instance_id", "sort"];
let who = null;
let cursors = [null];
let nextCursor = null;

function filters() {
  return Object.fromEntries([...new FormData(form)].filter(([, value]) => value !== ""));
}

async function showAttempts(incident, cell, button) {
  button.disabled = true;
  await guarded(async () => {
    const job = await api(`/jobs/${incident.job_id}`);
    button.hidden = true; // shown now, below the error
    const attempts = job.attempt_log || [];
    clear(cell, el("ol", { class: "attempts" }, attempts.length ? attempts.map((a) => el("li", {},
      `attempt ${a.number}: ${a.outcome || "running"}`, a.status_code ? ` (HTTP ${a.status_code})` : "",
      a.error ? ` — ${a.error}` : "", el("span", { class: "sub" }, ` ${when(a.started_at)}`)))
      : el("li", {}, "No attempts recorded.")));
  });
}

function row(incident) {
  const open = incident.status === "open";
  const log = el("div", { class: "attempt-log" });
  const check = who.role === "admin" && open
    ? el("input", { type: "checkbox", class: "pick", value: incident.id, "aria-label": `Select the incident at ${incident.element_id || "—"}`,
                    onchange: updateSelection })
    : "";
  const attemptsButton = incident.job_id
    ? el("button", { type: "button", class: "link", onclick: (event) => showAttempts(incident, log, event.currentTarget) },
         "attempt log") : null;
  return el("tr", { "data-incident-id": incident.id },
    el("td", {}, check),
    el("td", { "data-label": "Instance" }, incident.instance_id
      ? el("a", { href: `${UI}instances/${incident.instance_id}` }, short(incident.instance_id)) : "—"),
    el("td", { "data-label": "Element" }, incident.element_id || "—"),
    el("td", { "data-label": "Error" }, el("div", { class: "error-text" }, incident.message), attemptsButton, log),
    el("td", { "data-label": "Attempts" }, String(incident.attempts)),
    el("td", { "data-label": "Status" }, badge(open ? "incident" : "resolved", open ? "incident" : "completed"),
       incident.resolved_by ? el("div", { class: "sub" }, `by ${incident.resolved_by}, ${when(incident.resolved_at)}`) : null),
    el("td", { "data-label": "Since" }, when(incident.created_at)),
    el("td", { class: "incident-actions" }, who.role === "admin" && open
      ? [el("button", { type: "button", class: "small", onclick: (event) => retry([incident.id], event.currentTarget) }, "Retry"),
         el("button", { type: "button", class: "small secondary", onclick: (event) => askResolve(incident, event.currentTarget) },
            "Resolve…")]
      : ""));
}

/** Resolving closes the incident only: the instance stays where it stopped (the work was done
 * by hand, or is no longer wanted). A note says why; it goes to the audit log. */
function askResolve(incident, button) {
  const cell = button.closest("td");
  const note = el("input", { type: "text", name: "note", maxlength: "2000", "aria-label": "Why it is resolved (optional)",
                             placeholder: "why (optional)" });
  const confirm = el("button", { type: "button", class: "small", onclick: () => resolve(incident, note.value.trim(), confirm) },
                     "Resolve without retry");
  clear(cell, el("p", { class: "help" }, "Closes the incident; the instance stays where it stopped and nothing runs again."),
        note, el("div", { class: "actions" }, confirm,
                 el("button", { type: "button", class: "small secondary", onclick: () => load() }, "Cancel")));
  note.focus();
}

async function resolve(incident, note, button) {
  button.disabled = true;
  await guarded(async () => {
    await api(`/incidents/${incident.id}/resolve`, { method: "POST", json: { note: note || null } });
    say(`Resolved the incident at ${incident.element_id || short(incident.id)} without a retry.`);
    await load();
  });
  button.disabled = false;
}

function updateSelection() {
  retrySelected.disabled = !body.querySelector(".pick:checked");
}

let loads = 0; // the latest load wins: an older answer arriving late is dropped

async function load() {
  const mine = ++loads;
  history.replaceState(null, "", `${location.pathname}${query(filters())}`);
  await guarded(async () => {
    const page = await api(`/incidents${query({ ...filters(), limit: 25, count: true, after: cursors.at(-1) })}`);
    if (mine !== loads) return;
    clear(body, page.items.length ? page.items.map(row)
      : el("tr", {}, el("td", { colspan: "8", class: "empty" }, "No incidents match.")));
    const count = page.total_capped ? `${page.total}+` : String(page.total);
    total.textContent = `${count} incident${page.total === 1 ? "" : "s"} · page ${cursors.length}`;
    nextCursor = page.next_cursor;
    next.disabled = !nextCursor;
    prev.disabled = cursors.length <= 1;
    updateSelection();
  });
}

/** Retries each incident in turn; says how many were retried and lists the ones refused. */
async function retry(ids, button) {
  button.disabled = true;
  const refused = [];
  for (const id of ids) {
    try {
      await api(`/incidents/${id}/retry`, { method: "POST" });
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) return;
      refused.push(`${short(id)}: ${error.message}`);
    }
  }
  const retried = ids.length - refused.length;
  say(`Retried ${retried} incident${retried === 1 ? "" : "s"}.`);
  await load();
  if (refused.length) {
    fail(new ApiError(409, { title: `${refused.length} could not be retried`, detail: refused.join("; ") }));
  }
  button.disabled = false;
}

form.addEventListener("submit", (event) => { event.preventDefault(); cursors = [null]; load(); });
next.addEventListener("click", () => { cursors.push(nextCursor); load(); });
prev.addEventListener("click", () => { cursors.pop(); load(); });
retrySelected.addEventListener("click", () => {
  retry([...body.querySelectorAll(".pick:checked")].map((box) => box.value), retrySelected);
});

guarded(async () => {
  who = await start();
  const wanted = new URLSearchParams(location.search);
  for (const name of FILTERS) {
    if (wanted.has(name)) form.elements[name].value = wanted.get(name);
  }
  await load();
});
