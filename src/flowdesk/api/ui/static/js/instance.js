// One instance: the diagram with completed elements, current tokens and incidents; retry, cancel,
// suspend/resume (admin, system) and migrate to another version (admin, modeler).
import { api, ApiError } from "./api.js";
import { definitionXml, marksOf, showDiagram } from "./diagram.js";
import { badge, clear, el, guarded, say, short, showNotFound, start, UI, when } from "./page.js";

const instanceId = document.body.dataset.instanceId;
const path = `/instances/${encodeURIComponent(instanceId)}`;
let who = null;
let shownVersion = null;

/** What the instance waits on, per element: `[elementId, kind, marker, tooltip line]`. */
function waitingOn(instance) {
  return [
    ...(instance.open_tickets || []).map((t) => [t.element_id, "ticket", null, `ticket ${t.status}`]),
    ...(instance.jobs || []).map((j) => [j.element_id, "job", null, `job ${j.status}, attempt ${j.attempts}/${j.max_attempts}`]),
    ...(instance.external_tasks || []).map((x) => [x.element_id, "external task", "fd-external",
      x.status === "locked" ? `external task “${x.topic}”, locked by ${x.worker_id} until ${when(x.lock_expires_at)}`
                            : `external task “${x.topic}”, waiting for a worker`]),
    ...(instance.timers || []).map((t) => [t.element_id, "timer", "fd-timer", `timer due ${when(t.due)}`]),
    ...(instance.waiting_for || []).map((s) => [s.element_id, s.kind, null, `${s.kind} “${s.name}”`]),
  ];
}

function diagramMarks(instance) {
  const pairs = (instance.history || []).map((h) => [h.element_id, "fd-completed"]);
  const badges = {};
  const waiting = waitingOn(instance).filter(([id]) => id);
  for (const [id, kind, marker, line] of waiting) {
    pairs.push([id, "fd-current"]);
    if (marker) pairs.push([id, marker]);
    const badge = badges[id] || { kinds: [], lines: [] };
    if (!badge.kinds.includes(kind)) badge.kinds.push(kind);
    badge.lines.push(line);
    badges[id] = badge;
  }
  for (const incident of instance.incidents || []) {
    pairs.push([incident.element_id, "fd-incident"]);
    if (incident.element_id) badges[incident.element_id] = { kinds: ["incident"], lines: [incident.message] };
  }
  const shown = Object.fromEntries(Object.entries(badges).map(([id, b]) => [id, { text: b.kinds.join(", "), title: b.lines.join("\n") }]));
  const walked = [...(instance.history || []).map((h) => h.element_id), ...waiting.map(([id]) => id)];
  return { marks: marksOf(pairs), badges: shown, path: walked };
}

function renderFacts(instance) {
  document.getElementById("instance-title").textContent = `${instance.process_key} ${instance.business_key || short(instance.id)}`;
  const facts = [
    ["Status", [badge(instance.status),
                (instance.incidents || []).length ? [" ", badge("incident"), " stuck until the incident is retried"] : null]],
    ["Process", `${instance.process_key} version ${instance.process_version}`],
    ["Business key", instance.business_key || "—"],
    ["Started", `${when(instance.created_at)} by ${instance.started_by || "—"}`],
    ["Updated", when(instance.updated_at)],
    ["Completed", when(instance.completed_at)],
    ["Next timer", when(instance.next_timer_at)],
  ];
  if (instance.error) facts.push(["Error", instance.error]);
  clear(document.getElementById("instance-facts"), facts.flatMap(([t, v]) => [el("dt", {}, t), el("dd", {}, v)]));
  const actions = [];
  const live = ["running", "suspended"].includes(instance.status);
  if (live && ["admin", "system"].includes(who.role)) {
    actions.push(instance.status === "running"
      ? el("button", { type: "button", class: "secondary", onclick: (e) => lifecycle("suspend", e.currentTarget) }, "Suspend")
      : el("button", { type: "button", onclick: (e) => lifecycle("resume", e.currentTarget) }, "Resume"));
    actions.push(el("label", { for: "cancel-reason" }, "Reason for cancelling"),
                 el("input", { id: "cancel-reason", type: "text" }),
                 el("button", { type: "button", class: "danger", onclick: () => cancel() }, "Cancel instance"));
  }
  clear(document.getElementById("instance-actions"), actions);
  if (live && ["admin", "modeler"].includes(who.role)) renderMigration(instance);
  document.getElementById("variables").textContent = JSON.stringify(instance.variables, null, 2);
}

function renderLists(instance) {
  const tickets = instance.open_tickets || [];
  clear(document.getElementById("open-tickets"), tickets.length ? tickets.map((t) => el("li", {},
    el("a", { href: `${UI}tickets/${t.id}` }, t.name || t.element_id), " ", badge(t.status),
    el("span", { class: "sub" }, ` ${t.assignee || (t.candidate_groups || []).join(", ")}`)))
    : el("li", { class: "empty" }, "None."));
  const incidents = instance.incidents || [];
  clear(document.getElementById("incidents"), incidents.length ? incidents.map((i) => el("li", { class: "incident" },
    el("strong", {}, i.element_id || "—"), `: ${i.message} (${i.attempts} attempts, ${when(i.created_at)}) `,
    who.role === "admin" ? el("button", { type: "button", class: "small", onclick: () => retry(i) }, "Retry") : null))
    : el("li", { class: "empty" }, "None."));
  const waiting = [
    ...(instance.jobs || []).map((j) => el("li", {}, `job ${j.kind} at ${j.element_id || "—"}: ${j.status}, attempt ${j.attempts}/${j.max_attempts}`,
      j.next_attempt_at ? `, next ${when(j.next_attempt_at)}` : "", j.last_error ? ` — ${j.last_error}` : "")),
    ...(instance.external_tasks || []).map((x) => el("li", { "data-element-id": x.element_id },
      `external task “${x.topic}” at ${x.element_id}: `, x.status === "locked"
        ? `locked by ${x.worker_id} until ${when(x.lock_expires_at)}` : "waiting for a worker",
      x.retry_at ? `, fetchable again ${when(x.retry_at)}` : "", x.error_message ? ` — ${x.error_message}` : "")),
    ...(instance.timers || []).map((t) => el("li", { "data-element-id": t.element_id },
      `timer ${t.element_id} (${t.kind}) due `, el("time", { datetime: t.due }, when(t.due)))),
    ...(instance.waiting_for || []).map((s) => el("li", {}, `${s.kind} “${s.name}” at ${s.element_id || "—"}`,
      Object.keys(s.correlations || {}).length ? ` ${JSON.stringify(s.correlations)}` : "")),
  ];
  clear(document.getElementById("waiting"), waiting.length ? waiting : el("li", { class: "empty" }, "None."));
  clear(document.getElementById("history"), (instance.history || []).map((h) => el("li", { "data-element-id": h.element_id },
    el("strong", {}, h.name || h.element_id), el("span", { class: "sub" }, ` ${h.type} · ${when(h.finished_at)}`))));
}

async function renderApprovals() {
  const { decided, pending, ahead } = await api(`${path}/approvals`);
  const items = [
    ...decided.map((a) => el("li", {}, el("strong", {}, `Level ${a.level} ${a.name || a.element_id}`), " ", badge(a.decision.replaceAll("_", " "), a.decision),
      el("span", { class: "sub" }, ` ${a.approver} · ${when(a.created_at)}`), a.comment ? el("div", {}, a.comment) : null)),
    ...pending.map((t) => el("li", { class: "pending" },
      el("strong", {}, `Level ${t.approval_level} `, el("a", { href: `${UI}tickets/${t.id}` }, t.name || t.element_id)), " ",
      badge("pending", "waiting"),
      el("span", { class: "sub" }, ` ${t.assignee || (t.candidate_groups || []).map((g) => `group ${g}`).join(", ") || "—"}`
                                   + ` · since ${when(t.created_at)}`))),
    ...ahead.map((step) => el("li", { class: "ahead" }, el("strong", {}, `Level ${step.level} ${step.name || step.element_id}`),
      el("span", { class: "sub" }, ` ahead · ${(step.candidate_groups || []).join(", ")}`))),
  ];
  document.getElementById("approvals-section").hidden = !items.length;
  clear(document.getElementById("approvals"), items);
}

async function load() {
  const instance = await api(path);
  renderFacts(instance);
  renderLists(instance);
  await renderApprovals();
  const container = document.getElementById("diagram");
  const xml = await definitionXml(instance.process_key, instance.process_version);
  shownVersion = instance.process_version;
  await showDiagram(container, xml, diagramMarks(instance));
  container.dataset.version = String(shownVersion);
}

async function retry(incident) {
  await guarded(async () => {
    await api(`/incidents/${incident.id}/retry`, { method: "POST" });
    say(`Incident at ${incident.element_id} retried.`);
    await load();
  });
}

async function lifecycle(action, button) {
  button.disabled = true;
  await guarded(async () => {
    await api(`${path}/${action}`, { method: "POST" });
    say(action === "suspend" ? "Instance suspended: nothing moves until it is resumed." : "Instance resumed.");
    await load();
  });
  button.disabled = false;
}

/** A version picker for moving the instance; the API says (409, reasons) when it cannot move. */
async function renderMigration(instance) {
  const { versions = [] } = await api(`/definitions/${encodeURIComponent(instance.process_key)}`);
  const others = versions.map((v) => v.version).filter((v) => v !== instance.process_version);
  if (!others.length) return;
  const select = el("select", { id: "migrate-version" }, others.map((v) => el("option", { value: String(v) }, `version ${v}`)));
  const button = el("button", { type: "button", class: "secondary", onclick: () => migrate(Number(select.value), button) },
                    "Migrate");
  document.getElementById("instance-actions").append(
    el("div", { class: "migrate" }, el("label", { for: "migrate-version" }, "Move to another version"), select, button));
}

async function migrate(version, button) {
  button.disabled = true;
  await guarded(async () => {
    await api(`${path}/migrate`, { method: "POST", json: { version } });
    say(`Instance moved to version ${version}.`);
    await load();
  });
  button.disabled = false;
}

async function cancel() {
  if (!window.confirm("Cancel this instance? Its tickets and jobs are closed.")) return;
  await guarded(async () => {
    const reason = document.getElementById("cancel-reason").value.trim();
    await api(`${path}/cancel`, { method: "POST", json: { reason: reason || null } });
    say("Instance cancelled.");
    await load();
  });
}

guarded(async () => {
  who = await start();
  try {
    await load();
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return showNotFound("Instance", `${UI}instances`);
    throw error;
  }
});
