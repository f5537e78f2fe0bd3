// Definitions: deploy by drag and drop (errors shown against file and element), versions, diagram.
import { api, ApiError, everyItem } from "./api.js";
import { definitionXml, marksOf, showDiagram } from "./diagram.js";
import { readForm, renderForm, showFieldErrors } from "./form.js";
import { clear, clearAlert, el, fail, guarded, say, start, UI, when } from "./page.js";

const dropzone = document.getElementById("dropzone");
const input = document.getElementById("upload-files");
const chosen = document.getElementById("upload-chosen");
const result = document.getElementById("upload-result");
const list = document.getElementById("definitions-list");
const versionSelect = document.getElementById("version-select");
const diagram = document.getElementById("diagram");
const startForm = document.getElementById("start-form");
const startProcess = document.getElementById("start-process");
const startVariables = document.getElementById("start-variables");
const startVariablesError = document.getElementById("start-variables-error");
// Starting is what the API lets admins and external systems do (POST /processes/{key}/instances).
const STARTERS = ["admin", "system"];
let files = [];
let current = null;

function choose(fileList) {
  files = [...fileList];
  chosen.textContent = files.length ? `Ready: ${files.map((f) => f.name).join(", ")}` : "";
}

input.addEventListener("change", () => choose(input.files));
for (const name of ["dragenter", "dragover"]) {
  dropzone.addEventListener(name, (event) => { event.preventDefault(); dropzone.classList.add("over"); });
}
dropzone.addEventListener("dragleave", () => dropzone.classList.remove("over"));
dropzone.addEventListener("drop", (event) => {
  event.preventDefault();
  dropzone.classList.remove("over");
  choose(event.dataTransfer.files);
  deploy();
});

/** A refused file is drawn with its faulty elements marked, when it is BPMN we can read. */
async function showRefused(errors) {
  const byFile = new Map();
  for (const e of errors) byFile.set(e.file, [...(byFile.get(e.file) || []), e]);
  const items = [];
  for (const [name, fileErrors] of byFile) {
    items.push(el("li", {}, el("strong", {}, name || "upload"),
      el("ul", {}, fileErrors.map((e) => el("li", { class: "error-item" },
        e.element_id ? el("code", {}, e.element_id) : null, e.line ? ` line ${e.line}` : "", e.element_id || e.line ? ": " : "",
        e.message)))));
  }
  clear(result, el("h3", {}, "Not deployed"), el("ul", { class: "errors" }, items));
  const file = files.find((f) => byFile.has(f.name) && /\.(bpmn|xml)$/i.test(f.name));
  if (!file) return;
  const marks = marksOf(byFile.get(file.name).map((e) => [e.element_id, "fd-incident"]));
  versionSelect.replaceChildren();
  versionSelect.disabled = true;
  document.getElementById("definition-heading").textContent = `Diagram: ${file.name}`;
  try {
    await showDiagram(diagram, await file.text(), { marks });
    document.getElementById("version-facts").textContent = `${file.name} (not deployed): elements with errors are marked red.`;
  } catch { /* not a drawable diagram: the list above says why */ }
}

async function deploy() {
  if (!files.length) {
    fail(new ApiError(400, { title: "Choose or drop files first" }));
    return;
  }
  const body = new FormData();
  for (const file of files) body.append("file", file, file.name);
  clearAlert();
  try {
    const deployed = await api("/definitions", { method: "POST", body });
    clear(result, el("h3", {}, "Deployed"), el("ul", {}, deployed.map((d) => el("li", {},
      `${d.kind === "form" ? "form" : "process"} ${d.key} version ${d.version}${d.created ? "" : " (unchanged)"}`))));
    say(`Deployed ${deployed.map((d) => d.key).join(", ")}.`);
    await loadList();
    const process = deployed.find((d) => d.kind !== "form");
    if (process) await select(process.key, process.version);
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return; // on the way to the login page
    const refused = error instanceof ApiError && Array.isArray(error.problem.errors);
    if (refused) await showRefused(error.problem.errors);
    else clear(result);
    fail(error, { details: !refused });
  }
}

document.getElementById("upload-form").addEventListener("submit", (event) => {
  event.preventDefault();
  deploy();
});

/** The variables box as an object, or null after saying what is wrong with it beside the box. */
function variablesOf() {
  const text = startVariables.value.trim();
  let value;
  try {
    value = text ? JSON.parse(text) : {};
  } catch (error) {
    return invalidVariables(`Not valid JSON: ${error.message}`);
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    return invalidVariables("Variables must be a JSON object, like {\"amount\": 120}.");
  }
  startVariables.removeAttribute("aria-invalid");
  startVariablesError.textContent = "";
  return value;
}

function invalidVariables(message) {
  startVariables.setAttribute("aria-invalid", "true");
  startVariablesError.textContent = message;
  startVariables.focus();
  fail(new ApiError(400, { title: "The variables are not a JSON object", detail: message }));
  return null;
}

const startFields = document.getElementById("start-form-fields");
let startSchema = null; // the chosen process's start form, when its start event declares one

/** Draws the start form the chosen process's latest version declares (camunda:formData). */
async function showStartForm() {
  startSchema = null;
  clear(startFields);
  document.querySelector('label[for="start-variables"]').textContent = "Variables (a JSON object)";
  if (!startProcess.value) return;
  const { versions } = await api(`/definitions/${encodeURIComponent(startProcess.value)}`);
  const latest = versions[0];
  if (!latest?.start_form_schema) return;
  startSchema = latest.start_form_schema;
  renderForm(startFields, startSchema, {}, latest.start_form_fields);
  document.querySelector('label[for="start-variables"]').textContent = "More variables (a JSON object, optional)";
}

/** The start form's values, or null after marking the required fields left empty. */
function startFormValues() {
  if (!startSchema) return {};
  const values = readForm(startFields, startSchema);
  const missing = Object.fromEntries((startSchema.required || []).filter((name) => !(name in values))
    .map((name) => [name, ["required: fill it in"]]));
  showFieldErrors(startFields, missing);
  if (Object.keys(missing).length) {
    fail(new ApiError(400, { title: "Fill in the required fields", detail: `Missing: ${Object.keys(missing).map(
      (name) => startSchema.properties[name]?.title || name).join(", ")}.` }));
    startFields.querySelector("[aria-invalid]")?.focus();
    return null;
  }
  return values;
}

startProcess.addEventListener("change", () => guarded(showStartForm));

startForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  clearAlert();
  const extra = variablesOf();
  if (!extra) return;
  let fromForm;
  try {
    fromForm = startFormValues();
  } catch (error) {
    fail(new ApiError(400, { title: "A field holds invalid JSON", detail: error.message }));
    return;
  }
  if (!fromForm) return;
  const variables = { ...extra, ...fromForm };
  const key = startProcess.value;
  if (!key) {
    fail(new ApiError(400, { title: "Choose a process to start" }));
    startProcess.focus();
    return;
  }
  const button = document.getElementById("start-submit");
  button.disabled = true; // one click, one instance
  try {
    const businessKey = document.getElementById("start-business-key").value.trim();
    const instance = await api(`/processes/${encodeURIComponent(key)}/instances`, { method: "POST",
      json: { variables, business_key: businessKey || null } });
    say(`Started ${key}.`);
    location.assign(`${UI}instances/${encodeURIComponent(instance.id)}`);
  } catch (error) {
    button.disabled = false;
    if (!(error instanceof ApiError && error.status === 401)) fail(error);
  }
});

function fillStartChoices(definitions) {
  const chosen = startProcess.value || current;
  clear(startProcess, definitions.map((d) => el("option", { value: d.key, selected: d.key === chosen },
    `${d.name || d.key} (${d.key}, v${d.latest_version})`)));
}

async function loadList() {
  const definitions = await everyItem("/definitions");
  fillStartChoices(definitions);
  clear(list, definitions.length ? definitions.map((d) => el("li", {},
    el("button", { type: "button", class: "link", "data-key": d.key, "aria-current": d.key === current ? "true" : null,
                   onclick: () => guarded(() => select(d.key)) },
       d.name || d.key), el("span", { class: "sub" }, ` ${d.key} · v${d.latest_version} · ${d.versions} version${d.versions === 1 ? "" : "s"}`)))
    : el("li", { class: "empty" }, "Nothing deployed yet."));
}

async function showVersion(definition, version) {
  const row = definition.versions.find((v) => v.version === version) || definition.versions[0];
  document.getElementById("version-facts").textContent =
    `${row.filename} · deployed by ${row.deployed_by || "—"} on ${when(row.created_at)}`;
  await showDiagram(diagram, await definitionXml(definition.key, row.version));
}

async function select(key, version) {
  current = key;
  if ([...startProcess.options].some((o) => o.value === key) && startProcess.value !== key) {
    startProcess.value = key;
    guarded(showStartForm);
  }
  const definition = await api(`/definitions/${encodeURIComponent(key)}`);
  document.getElementById("definition-heading").textContent = `Diagram: ${definition.name || key}`;
  clear(versionSelect, definition.versions.map((v) => el("option", { value: String(v.version), selected: v.version === version },
    `version ${v.version}`)));
  versionSelect.disabled = false;
  versionSelect.onchange = () => guarded(() => showVersion(definition, Number(versionSelect.value)));
  for (const button of list.querySelectorAll("button")) {
    if (button.dataset.key === key) button.setAttribute("aria-current", "true");
    else button.removeAttribute("aria-current");
  }
  await showVersion(definition, version ?? definition.versions[0].version);
}

guarded(async () => {
  const who = await start();
  document.getElementById("start-section").hidden = !STARTERS.includes(who.role);
  await loadList();
  if (STARTERS.includes(who.role)) await showStartForm();
});
