// A request type's start form; sending it opens the request and shows it.
import { api, ApiError } from "./api.js";
import { fail, guarded, UI } from "./page.js";
import { readForm, renderForm, showFieldErrors } from "./form.js";
import { startRequester } from "./requester.js";

const key = document.body.dataset.typeKey;
const form = document.getElementById("request-form");
const fields = document.getElementById("form-fields");
const button = document.getElementById("submit-request");
let kind = null;

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  if (!kind) return;
  button.disabled = true; // one request per click, however impatient
  try {
    const opened = await api("/requests", { method: "POST", json: { type: kind.key, data: readForm(fields, kind.form_schema || {}) },
                                            headers: { "Idempotency-Key": crypto.randomUUID() } });
    location.assign(`${UI}requests/${opened.id}`);
  } catch (error) {
    button.disabled = false;
    showFieldErrors(fields, error instanceof ApiError ? error.problem.errors : null);
    fail(error, { details: false });
  }
});

guarded(async () => {
  await startRequester();
  kind = await api(`/request-types/${encodeURIComponent(key)}`);
  document.getElementById("type-name").textContent = kind.name;
  document.getElementById("type-description").textContent = kind.description || "";
  document.title = `${kind.name} · flowdesk`;
  renderForm(fields, kind.form_schema || {}, {}, kind.form_fields);
});
