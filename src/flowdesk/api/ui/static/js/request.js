// One of my requests: status in the model's words, the promise, public details and timeline,
// my open tasks, replying, adding a file, cancelling.
import { api } from "./api.js";
import { clear, el, guarded, say, short, UI, when } from "./page.js";
import { promise, stateBadge, startRequester, timelineItem } from "./requester.js";

const id = document.body.dataset.requestId;
const path = `/requests/${encodeURIComponent(id)}`;

async function downloadFile(entry) {
  const { blob } = await api(`${path}/attachments/${entry.id}`, { as: "blob" });
  const url = URL.createObjectURL(blob);
  const link = el("a", { href: url, download: entry.filename });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

function show(request) {
  document.getElementById("request-subject").textContent = request.subject;
  document.title = `${request.subject} · flowdesk`;
  document.getElementById("request-stage").textContent = request.stage;
  clear(document.getElementById("request-state"), stateBadge(request));
  document.getElementById("waiting-note").hidden = !(request.waiting_on_you && !request.open_tasks.length);
  const facts = [["Request", `${request.type_name} · #${short(request.id)}`], ["Opened", when(request.created_at)],
                 ["Promise", promise(request.sla)], ["Closed", request.closed_at ? when(request.closed_at) : null]];
  clear(document.getElementById("request-facts"),
        facts.filter(([, value]) => value).flatMap(([name, value]) => [el("dt", {}, name), el("dd", {}, value)]));
  clear(document.getElementById("request-tasks"), request.open_tasks.length ? el("ul", { class: "request-list" },
    request.open_tasks.map((task) => el("li", { class: "request-item todo" }, "To do: ",
      el("a", { href: `${UI}requests/tasks/${task.id}` }, task.name)))) : null);
  const variables = Object.entries(request.variables);
  clear(document.getElementById("request-variables"), variables.length
    ? variables.flatMap(([name, value]) => [el("dt", {}, request.labels[name] || name),
                                            el("dd", {}, typeof value === "string" ? value : JSON.stringify(value))])
    : el("p", { class: "empty" }, "Nothing more to show."));
  clear(document.getElementById("request-timeline"), request.timeline.map((entry) => timelineItem(entry, (e) => guarded(() => downloadFile(e)))));
  document.getElementById("cancel-request").hidden = !request.can_cancel;
  document.getElementById("reply-card").hidden = request.state !== "open";
}

async function load() {
  show(await api(path));
}

document.getElementById("reply-form").addEventListener("submit", (event) => {
  event.preventDefault();
  guarded(async () => {
    const body = document.getElementById("reply-body").value.trim();
    if (!body) return;
    show(await api(`${path}/comments`, { method: "POST", json: { body } }));
    event.target.reset();
    say("Your reply was sent.");
  });
});

document.getElementById("file-form").addEventListener("submit", (event) => {
  event.preventDefault();
  guarded(async () => {
    const file = document.getElementById("reply-file").files[0];
    if (!file) return;
    const data = new FormData();
    data.append("file", file, file.name);
    await api(`${path}/attachments`, { method: "POST", body: data });
    event.target.reset();
    say(`${file.name} was added.`);
    await load();
  });
});

document.getElementById("cancel-request").addEventListener("click", () => guarded(async () => {
  if (!window.confirm("Cancel this request?")) return;
  show(await api(`${path}/cancel`, { method: "POST" }));
  say("The request was cancelled.");
}));

guarded(async () => {
  await startRequester();
  await load();
});
