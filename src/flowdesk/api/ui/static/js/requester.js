// What the requester pages share: the start guard, a request's status and promise, its timeline.
import { badge, duration, el, start, when } from "./page.js";

/** The page start for requester pages (the desk's pages send requesters here instead). */
export function startRequester() {
  return start({ requesterPage: true });
}

export function stateBadge(request) {
  if (request.state !== "open") return badge(request.state, request.state === "closed" ? "completed" : "cancelled");
  return request.waiting_on_you ? badge("waiting on you", "waiting") : badge("open");
}

/** The SLA promised, in words: pending until the desk accepts, then the due date (paused while waiting on you). */
export function promise(sla) {
  if (!sla) return null;
  if (!sla.started) return `Answer within ${duration(sla.allowed_seconds).replace(" left", "")} of acceptance`;
  const due = `Due ${when(sla.due_at)}`;
  return sla.paused ? `${due} (on hold while the desk waits on you)` : `${due} · ${duration(sla.remaining_seconds)}`;
}

const WORDS = {
  submitted: () => "You sent the request",
  stage: (e) => `Now: ${e.stage}`,
  accepted: (e) => `${e.by || "The desk"} accepted it; due ${when(e.due_at)}`,
  waiting_on_you: () => "The desk is waiting for your answer",
  resumed: () => "Work resumed",
  task_completed: (e) => `You completed “${e.task}”`,
  closed: (e) => (e.stage && e.stage.toLowerCase() !== "closed" ? `Closed (${e.stage})` : "Closed"),
};

export function timelineItem(entry, downloadFile) {
  const at = el("div", { class: "sub" }, when(entry.at));
  if (entry.kind === "comment") {
    return el("li", { class: "public", "data-kind": entry.kind }, el("div", { class: "sub" }, `${entry.by} · ${when(entry.at)}`),
              el("p", {}, entry.body));
  }
  if (entry.kind === "attachment") {
    return el("li", { "data-kind": entry.kind }, el("div", { class: "sub" }, `${entry.by} · ${when(entry.at)}`),
              el("button", { type: "button", class: "link", onclick: () => downloadFile(entry),
                             "aria-label": `Download ${entry.filename}` }, entry.filename));
  }
  const words = WORDS[entry.kind] ? WORDS[entry.kind](entry) : entry.kind;
  return el("li", { "data-kind": entry.kind }, at, el("p", {}, words));
}
