// One of my tasks (confirm a fix, approve a quote, add information), completed with its form.
import { api, ApiError } from "./api.js";
import { fail, guarded, UI } from "./page.js";
import { readForm, renderForm, showFieldErrors } from "./form.js";
import { startRequester } from "./requester.js";

const id = document.body.dataset.taskId;
const form = document.getElementById("task-form");
const fields = document.getElementById("form-fields");
const button = document.getElementById("submit-task");
let task = null;

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  if (!task) return;
  button.disabled = true;
  try {
    const request = await api(`/requester-tasks/${encodeURIComponent(id)}/complete`, {
      method: "POST", json: { data: readForm(fields, task.form_schema || {}) } });
    location.assign(`${UI}requests/${request.id}`);
  } catch (error) {
    button.disabled = false;
    showFieldErrors(fields, error instanceof ApiError ? error.problem.errors : null);
    fail(error, { details: false });
  }
});

guarded(async () => {
  await startRequester();
  task = await api(`/requester-tasks/${encodeURIComponent(id)}`);
  document.getElementById("task-name").textContent = task.name;
  document.getElementById("task-request").textContent = task.request_subject ? `For: ${task.request_subject}` : "";
  document.getElementById("task-doc").textContent = task.documentation || "";
  document.getElementById("back-to-request").href = `${UI}requests/${task.request_id}`;
  renderForm(fields, task.form_schema || {}, {}, task.form_fields);
});
