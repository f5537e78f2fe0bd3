// The ticket page: facts, claim, assign, the form with complete / approve / reject, SLA, diagram, timeline.
import { api, ApiError } from "./api.js";
import { renderAssignment } from "./assign.js";
import { definitionXml, marksOf, showDiagram } from "./diagram.js";
import { loadAttachments, loadComments, wireDiscussion } from "./discussion.js";
import { orderedFields, readForm, renderForm, showFieldErrors } from "./form.js";
import { badge, caseValue, clear, duration, el, every, fail, guarded, inFlight, say, short, showNotFound, start, UI, when }
  from "./page.js";

const ticketId = document.body.dataset.ticketId;
const path = `/tickets/${encodeURIComponent(ticketId)}`;
const fields = document.getElementById("form-fields");
const comment = document.getElementById("work-comment");
const main = document.getElementById("main");
let who = null;
let ticket = null;
let slaTimer = null;
let edited = false; // the agent typed into the form: a refresh must not wipe it

const ACTIVE = new Set(["open", "claimed", "waiting"]);

function renderFacts() {
  document.getElementById("ticket-title").textContent = ticket.name || ticket.element_id;
  document.title = `${ticket.name || ticket.element_id} · flowdesk`;
  const facts = [
    ["Status", badge(ticket.status)],
    ["Process", `${ticket.process_key} v${ticket.process_version ?? "?"}`],
    ["Instance", el("a", { href: `${UI}instances/${ticket.instance_id}` }, short(ticket.instance_id))],
    ["Business key", ticket.business_key || "—"],
    ["Assignee", ticket.assignee || "nobody yet"],
    ["Offered to", [...(ticket.candidate_groups || []).map((g) => `group ${g}`), ...(ticket.candidate_users || [])].join(", ") || "—"],
    ["Priority", ticket.priority ?? "—"],
    ["Created", when(ticket.created_at)],
  ];
  if (ticket.approval_level) facts.push(["Approval level", String(ticket.approval_level)]);
  if (ticket.owner) facts.push(["Owner (delegated)", ticket.owner]);
  if (ticket.completed_by) facts.push(["Completed by", `${ticket.completed_by}, ${when(ticket.completed_at)}`]);
  clear(document.getElementById("ticket-facts"), facts.flatMap(([term, value]) => [el("dt", {}, term), el("dd", {}, value)]));
  document.getElementById("ticket-doc").textContent = ticket.documentation || "";

  const mine = ticket.assignee === who.name;
  const buttons = [];
  if (ticket.status === "open" && !ticket.assignee) buttons.push(el("button", { type: "button", onclick: () => act("claim") }, "Claim"));
  if (ticket.status === "claimed" && (mine || who.role === "admin")) {
    buttons.push(el("button", { type: "button", class: "secondary", onclick: () => act("unclaim") }, "Unclaim"));
  }
  if ((ticket.status === "open" || ticket.status === "claimed") && !ticket.approval_level) {
    // An approval waits on the approver, never on the customer.
    buttons.push(el("button", { type: "button", class: "secondary", onclick: () => progress("waiting_customer") },
                    "Wait for the customer"));
  }
  if (ticket.status === "waiting") {
    buttons.push(el("button", { type: "button", onclick: () => progress("resume") }, "Resume"));
  }
  clear(document.getElementById("ticket-claim"), buttons);
}

const DECIDED = { approved: "approved", rejected: "rejected", changes_requested: "sent back for changes" };

/** What the ticket is about (the fields its model names) and, on approvals, the decisions before it. */
function renderCase() {
  const fieldsShown = ticket.case || [];
  clear(document.getElementById("case"), fieldsShown.length
    ? fieldsShown.flatMap((field) => [el("dt", {}, field.label), el("dd", { "data-field": field.name }, caseValue(field.value))])
    : [el("dt", {}, "Case"), el("dd", {}, "The model names no case fields for this ticket.")]);
  const decisions = ticket.earlier_decisions || [];
  const box = document.getElementById("earlier-decisions");
  box.hidden = !ticket.approval_level;
  clear(document.getElementById("decisions"), decisions.length
    ? decisions.map((d) => el("li", {},
        el("strong", {}, `Level ${d.level} ${d.name || d.element_id}: ${DECIDED[d.decision] || d.decision}`), " ",
        el("span", { class: "sub" }, `${d.approver} · ${when(d.created_at)}`),
        d.comment ? el("div", { class: "decision-comment" }, d.comment) : null))
    : el("li", {}, "No earlier decisions: this is the first level decided."));
}

/** What a completed ticket was completed with, read-only, and who completed it. */
function renderSubmitted() {
  const properties = ticket.form_schema?.properties || {};
  const result = ticket.result || {};
  const names = [...orderedFields(ticket.form_schema, ticket.form_fields).map(([name]) => name).filter((name) => name in result),
                 ...Object.keys(result).filter((name) => !(name in properties))];
  const shown = (value) => (typeof value === "object" && value !== null ? JSON.stringify(value) : String(value));
  clear(fields,
    el("p", { class: "help" }, `Completed by ${ticket.completed_by || "flowdesk"}, ${when(ticket.completed_at)}.`),
    names.length
      ? el("dl", { id: "ticket-result", class: "facts" },
           names.flatMap((name) => [el("dt", {}, properties[name]?.title || name), el("dd", {}, shown(result[name]))]))
      : el("p", { class: "help" }, "It was completed without data."));
}

function renderWork() {
  const active = ticket.status === "open" || ticket.status === "claimed"; // a waiting ticket resumes first
  if (ticket.status === "completed") renderSubmitted();
  else renderForm(fields, ticket.form_schema, ticket.data, ticket.form_fields);
  // A finished ticket takes no more input: no comment box beside what was submitted.
  for (const node of [comment, document.querySelector('label[for="work-comment"]')]) node.hidden = !ACTIVE.has(ticket.status);
  for (const input of document.querySelectorAll("#ticket-form input, #ticket-form select, #ticket-form textarea")) {
    input.disabled = !active;
  }
  const buttons = [];
  // Four eyes: who approved a lower level of this request may not approve a higher one.
  const approvedBelow = (ticket.earlier_decisions || []).some((d) => d.approver === who.name && d.decision === "approved"
                                                                    && d.level < ticket.approval_level);
  if (active && ticket.approval_level && approvedBelow) {
    buttons.push(el("p", { class: "help", id: "four-eyes" },
                    "You approved a lower level of this request: four eyes means someone else decides this one."));
  } else if (active && ticket.approval_level) {
    buttons.push(el("button", { type: "button", "data-action": "approve", onclick: () => decide("approve") }, "Approve"),
                 el("button", { type: "button", class: "secondary", "data-action": "request_changes",
                                onclick: () => decide("request_changes") }, "Request changes"),
                 el("button", { type: "button", class: "danger", "data-action": "reject", onclick: () => decide("reject") }, "Reject"));
  } else if (active) {
    buttons.push(el("button", { type: "submit", "data-action": "complete" }, "Complete"));
  } else if (ticket.status === "waiting") {
    buttons.push(el("p", { class: "help" }, "This ticket waits for the customer; resume it to work on it."));
  } else {
    buttons.push(el("p", { class: "help" }, `This ticket is ${ticket.status}; nothing is left to do here.`));
  }
  clear(document.getElementById("work-buttons"), buttons);
}

function renderSla() {
  const sla = ticket.sla || {};
  const box = document.getElementById("sla");
  clearInterval(slaTimer);
  if (!sla.due_at) {
    clear(box, el("p", {}, "No due date."));
    return;
  }
  const loadedAt = Date.now();
  const remaining = el("p", { class: "remaining" });
  const tick = () => {
    if (sla.remaining_seconds === null || sla.remaining_seconds === undefined) {
      // A finished ticket has no time left to count: say when its clock stopped instead.
      remaining.textContent = `The clock stopped: the ticket is ${ticket.status}`
        + (ticket.completed_at ? ` (${when(ticket.completed_at)}).` : ".");
      return;
    }
    const passed = sla.paused || !ACTIVE.has(ticket.status) ? 0 : (Date.now() - loadedAt) / 1000;
    remaining.textContent = duration(sla.remaining_seconds - passed);
  };
  tick();
  slaTimer = setInterval(tick, 30000);
  clear(box, el("p", {}, badge(sla.state), sla.paused ? " (paused while waiting)" : ""), remaining,
    el("dl", { class: "facts" }, el("dt", {}, "Due"), el("dd", {}, when(sla.due_at)),
       el("dt", {}, "At risk from"), el("dd", {}, when(sla.at_risk_at)),
       sla.calendar ? [el("dt", {}, "Calendar"), el("dd", {}, sla.calendar)] : null,
       sla.breached_at ? [el("dt", {}, "Breached"), el("dd", {}, when(sla.breached_at))] : null));
}

async function renderTimeline() {
  const { items } = await api(`${path}/progressions`);
  clear(document.getElementById("timeline"), items.map((p) => el("li", {},
    el("strong", {}, p.action.replaceAll("_", " ")), " ",
    el("span", { class: "sub" }, `${p.performed_by || "flowdesk"} · ${when(p.created_at)}`),
    p.previous_status !== p.new_status ? el("div", { class: "sub" }, `${p.previous_status || "—"} → ${p.new_status}`) : null,
    p.comment ? el("div", {}, p.comment) : null)));
}

async function renderDiagram() {
  const container = document.getElementById("diagram");
  if (!ticket.process_version) return;
  const xml = await definitionXml(ticket.process_key, ticket.process_version);
  await showDiagram(container, xml, { marks: marksOf([[ticket.element_id, ACTIVE.has(ticket.status) ? "fd-current" : "fd-completed"]]) });
}

async function load() {
  ticket = await api(path);
  edited = false;
  document.getElementById("changed")?.remove();
  renderFacts();
  renderCase();
  renderWork();
  renderSla();
  await Promise.all([renderTimeline(), loadComments(path), loadAttachments(path), renderDiagram(),
                     renderAssignment(document.getElementById("ticket-assign"), ticket, path, who, give)]);
}

/** After a 409 or 412: when the ticket changed under us, show it as it is now and say who changed it. */
async function overtaken(error) {
  const before = ticket.etag;
  await load();
  if (ticket.etag === before) { // refused for its own reason (four eyes, say), not overtaken
    fail(error);
    return;
  }
  const now = ticket.status === "completed" ? `${ticket.completed_by || "someone"} completed it`
    : ticket.assignee && ticket.assignee !== who.name ? `${ticket.assignee} has claimed it`
    : `it is ${ticket.status} now`;
  fail(new ApiError(error.status, { title: "Someone else got there first",
                                    detail: `This ticket changed while you were on it: ${now}. The page shows it as it is now.` }));
}

/** Runs a command on the ticket: one request at a time, and a conflict explained in words. */
async function command(work) {
  await inFlight(main, () => guarded(async () => {
    try {
      await work();
    } catch (error) {
      if (error instanceof ApiError && (error.status === 409 || error.status === 412)) return overtaken(error);
      throw error;
    }
  }));
}

async function act(action) {
  await command(async () => {
    await api(`${path}/${action}`, { method: "POST", headers: { "If-Match": ticket.etag } });
    say(action === "claim" ? "You claimed this ticket." : "You gave this ticket back.");
    await load();
  });
}

/** Assign (or transfer) or delegate the ticket to `user`. */
async function give(action, user) {
  await command(async () => {
    await api(`${path}/${action}`, { method: "POST", json: { user }, headers: { "If-Match": ticket.etag } });
    say(action === "delegate" ? `You delegated this ticket to ${user}.` : `You gave this ticket to ${user}.`);
    await load();
  });
}

async function progress(action) {
  await command(async () => {
    await api(`${path}/progress`, { method: "POST", json: { action } });
    say(action === "resume" ? "Work resumed; the SLA clock runs again." : "Waiting for the customer; the SLA clock stops.");
    await load();
  });
}

function afterCompletion(result, verb) {
  const next = result.open_tickets || [];
  const status = document.getElementById("status");
  const links = next.flatMap((t, i) => [i ? ", " : "", el("a", { href: `${UI}tickets/${t.id}` }, t.name || t.element_id)]);
  clear(status, `${verb}. `, ...(next.length ? ["Next: ", ...links] : [`The instance is ${result.instance.status}.`]));
  status.focus(); // the result is read out and is where the keyboard goes on
  offerNextInInbox(status, new Set(next.map((t) => t.id)));
}

/** The agent's next piece of work after this one: their own claimed tickets first, then the open
 * ones they may take, in the inbox's order; nothing is said when there is none. */
async function offerNextInInbox(status, offered) {
  try {
    for (const filter of ["assignee=me&status=claimed", "status=open"]) {
      const page = await api(`/tickets?${filter}&limit=5`);
      const other = page.items.find((t) => t.id !== ticketId && !offered.has(t.id));
      if (other) {
        status.append(" Next in your inbox: ",
                      el("a", { id: "next-in-inbox", href: `${UI}tickets/${other.id}` }, other.name || other.element_id));
        return;
      }
    }
  } catch {
    // the completion stands; the offer of more work is a convenience
  }
}

async function submit(url, body, verb) {
  showFieldErrors(fields, null);
  await inFlight(main, async () => {
    try {
      const result = await api(url, { method: "POST", json: body, headers: { "If-Match": ticket.etag } });
      afterCompletion(result, verb);
      await load();
    } catch (error) {
      if (error instanceof ApiError && (error.status === 409 || error.status === 412)) {
        await guarded(() => overtaken(error));
        return;
      }
      if (error instanceof ApiError) showFieldErrors(fields, error.problem.errors);
      fail(error);
    }
  });
}

/** Live refresh: a cheap conditional read; a changed ticket is shown, unless the agent is typing. */
async function refresh() {
  if (!ticket || main.getAttribute("aria-busy")) return;
  let changed;
  try {
    changed = await api(path, { headers: { "If-None-Match": ticket.etag } });
  } catch {
    return; // a failed poll says nothing; the next one tries again
  }
  if (!changed || changed.etag === ticket.etag) return;
  if (!edited) {
    await guarded(load);
    say("This ticket was updated.");
    return;
  }
  if (document.getElementById("changed")) return;
  document.getElementById("work-buttons").before(el("p", { id: "changed", class: "alert", role: "alert" },
    `This ticket changed meanwhile (it is ${changed.status}${changed.assignee ? `, ${changed.assignee}` : ""}). `,
    el("button", { type: "button", class: "link", onclick: () => guarded(load) }, "Show it as it is now")));
}

async function decide(decision) {
  const text = comment.value.trim();
  if (decision !== "approve" && !text) {
    comment.setAttribute("aria-invalid", "true");
    comment.focus();
    fail(new ApiError(400, { title: "Say why in the comment", detail: "A rejection or a request for changes needs a comment." }));
    return;
  }
  comment.removeAttribute("aria-invalid");
  if (decision === "approve") await submit(`${path}/approve`, { comment: text || null }, "Approved");
  else await submit(`${path}/reject`, { comment: text, request_changes: decision === "request_changes" },
                    decision === "reject" ? "Rejected" : "Sent back for changes");
}

document.getElementById("ticket-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  if (ticket.approval_level) return;
  let data;
  try {
    data = readForm(fields, ticket.form_schema);
  } catch (error) {
    fail(new ApiError(400, { title: "A field holds invalid JSON", detail: error.message }));
    return;
  }
  await submit(`${path}/complete`, { data, comment: comment.value.trim() || null }, "Completed");
});

document.getElementById("ticket-form").addEventListener("input", () => { edited = true; });

guarded(async () => {
  who = await start();
  try {
    await load();
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return showNotFound("Ticket");
    throw error;
  }
  wireDiscussion(path, renderTimeline);
  every(15, refresh);
});
