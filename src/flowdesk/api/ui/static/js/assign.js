// Assign and delegate on the ticket page, for whoever the API lets do it: admins, leads of one of
// the ticket's groups and its holder. The picker lists whom the server would accept.
import { api } from "./api.js";
import { clear, el } from "./page.js";

/** May `who` assign or delegate `ticket`? The API's own rule, so the page offers nothing it refuses. */
export function mayAssign(ticket, who) {
  if (!["open", "claimed"].includes(ticket.status)) return false; // a waiting ticket resumes first
  if (who.role === "admin") return true;
  const leads = new Set(who.lead_of || []);
  return (ticket.candidate_groups || []).some((group) => leads.has(group)) || ticket.assignee === who.name;
}

/**
 * Fills `box` with a user picker, Assign and (for a held ticket) Delegate; hides it from anyone
 * else. `run(action, user)` sends the command and shows the ticket as it is afterwards.
 */
export async function renderAssignment(box, ticket, path, who, run) {
  if (!mayAssign(ticket, who)) {
    box.hidden = true;
    clear(box);
    return;
  }
  const { users } = await api(`${path}/assignees`);
  const picker = el("select", { id: "assign-user", name: "user", required: true },
    el("option", { value: "" }, "choose a person"),
    users.filter((name) => name !== ticket.assignee).map((name) => el("option", { value: name }, name)));
  const chosen = (action) => () => {
    if (!picker.value) {
      picker.setAttribute("aria-invalid", "true");
      picker.focus();
      return;
    }
    picker.removeAttribute("aria-invalid");
    run(action, picker.value);
  };
  clear(box,
    el("label", { for: "assign-user" }, ticket.assignee ? "Give it to" : "Assign to"),
    el("div", { class: "actions" }, picker,
      el("button", { type: "button", class: "secondary", "data-action": "assign", onclick: chosen("assign") },
         ticket.assignee ? "Transfer" : "Assign"),
      ticket.assignee
        ? el("button", { type: "button", class: "secondary", "data-action": "delegate", onclick: chosen("delegate") },
             "Delegate")
        : null));
  box.hidden = false;
}
