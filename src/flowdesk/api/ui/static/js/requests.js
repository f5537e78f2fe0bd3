// My requests (newest first, search, open or closed) and my to-do.
import { api, query } from "./api.js";
import { clear, el, guarded, short, UI, when } from "./page.js";
import { promise, stateBadge, startRequester } from "./requester.js";

const list = document.getElementById("requests");
const more = document.getElementById("more");
const filters = document.getElementById("request-filters");
let cursor = null;

function item(request) {
  const line = promise(request.sla);
  return el("li", { class: "request-item", "data-request-id": request.id },
    el("a", { href: `${UI}requests/${request.id}`, class: "request-subject" }, request.subject),
    el("div", { class: "request-meta" }, el("span", { class: "stage" }, request.stage), " ", stateBadge(request)),
    el("div", { class: "sub" }, `${request.type_name} · #${short(request.id)} · updated ${when(request.updated_at)}`),
    line ? el("div", { class: "sub promise" }, line) : null);
}

async function loadRequests(append = false) {
  const form = new FormData(filters);
  const page = await api(`/requests${query({ q: form.get("q"), state: form.get("state"), limit: 20,
                                             after: append ? cursor : null })}`);
  const items = page.items.map(item);
  if (append) list.append(...items);
  else clear(list, items.length ? items : el("li", { class: "empty" }, "No requests yet."));
  cursor = page.next_cursor;
  more.hidden = !cursor;
}

async function loadTodo() {
  const { items } = await api("/requester-tasks?limit=50");
  clear(document.getElementById("todo"), items.length ? items.map((task) => el("li", { class: "request-item" },
    el("a", { href: `${UI}requests/tasks/${task.id}` }, task.name),
    el("div", { class: "sub" }, `${task.request_subject || ""} · since ${when(task.created_at)}`)))
    : el("li", { class: "empty" }, "Nothing to do."));
}

filters.addEventListener("submit", (event) => {
  event.preventDefault();
  guarded(() => loadRequests());
});
more.addEventListener("click", () => guarded(() => loadRequests(true)));

guarded(async () => {
  await startRequester();
  await Promise.all([loadRequests(), loadTodo()]);
});
