// A ticket's form, rendered from the JSON schema its completion data must fit (`form_schema`).
import { clear, el } from "./page.js";

function fieldId(name) {
  return `field-${name.replace(/[^a-zA-Z0-9_-]/g, "_")}`;
}

function control(name, prop, value, required) {
  const id = fieldId(name);
  const common = { id, name, required, "aria-required": required ? "true" : null, "aria-describedby": `${id}-error` };
  if (Array.isArray(prop.enum)) {
    // A required choice starts unchosen: preselecting the first option would let an agent complete
    // without choosing.
    const chosen = prop.enum.includes(value);
    return el("select", common,
      required ? el("option", { value: "", disabled: true, selected: !chosen }, "Choose…") : el("option", { value: "" }, "—"),
      prop.enum.map((option) => el("option", { value: JSON.stringify(option), selected: option === value },
                                   String(option))));
  }
  switch (prop.type) {
    case "boolean":
      return el("input", { ...common, type: "checkbox", checked: value === true, required: false });
    case "integer":
    case "number":
      return el("input", { ...common, type: "number", step: prop.type === "integer" ? "1" : "any",
                           min: prop.minimum, max: prop.maximum, value: value ?? "" });
    case "object":
    case "array":
      return el("textarea", { ...common, rows: "4", "data-json": "true" },
                value === undefined ? "" : JSON.stringify(value, null, 2));
    default:
      if (prop.format === "date") return el("input", { ...common, type: "date", value: value ?? "" });
      if (prop.format === "date-time") return el("input", { ...common, type: "datetime-local", value: value ?? "" });
      if ((prop.maxLength ?? 0) > 200) return el("textarea", { ...common, rows: "4" }, value ?? "");
      return el("input", { ...common, type: "text", maxlength: prop.maxLength, value: value ?? "" });
  }
}

/** The schema's fields as [name, property] in `order` (the API's `form_fields`), any others after. */
export function orderedFields(schema, order = []) {
  const properties = schema?.properties || {};
  const names = [...order.filter((name) => name in properties),
                 ...Object.keys(properties).filter((name) => !order.includes(name))];
  return names.map((name) => [name, properties[name]]);
}

/** Fills `container` with one labelled field per schema property in `order`, prefilled from `data`. */
export function renderForm(container, schema, data, order = []) {
  const required = new Set(schema?.required || []);
  const fields = orderedFields(schema, order).map(([name, prop]) => {
    const id = fieldId(name);
    const input = control(name, prop, data?.[name], required.has(name));
    const label = el("label", { for: id }, prop.title || name, required.has(name) ? el("span", { class: "req" }, " *") : null);
    const help = prop.description ? el("p", { class: "help" }, prop.description) : null;
    const error = el("p", { id: `${id}-error`, class: "field-error" });
    return el("div", { class: prop.type === "boolean" ? "field inline" : "field" },
      ...(prop.type === "boolean" ? [input, label] : [label, input]), help, error);
  });
  clear(container, fields.length ? fields : el("p", { class: "help" }, "This task has no form fields."));
}

/** The form's values as completion data, typed as the schema says; empty fields are left out. */
export function readForm(container, schema) {
  const data = {};
  for (const [name, prop] of orderedFields(schema)) {
    const input = container.querySelector(`#${fieldId(name)}`);
    if (!input) continue;
    if (prop.type === "boolean" && !Array.isArray(prop.enum)) {
      data[name] = input.checked;
      continue;
    }
    const raw = input.value;
    if (raw === "") continue;
    if (Array.isArray(prop.enum)) data[name] = JSON.parse(raw);
    else if (prop.type === "integer" || prop.type === "number") data[name] = Number(raw);
    else if (input.dataset.json) data[name] = JSON.parse(raw);
    else data[name] = raw;
  }
  return data;
}

/** Puts the server's per-field messages (422 `errors`) beside their fields. */
export function showFieldErrors(container, errors) {
  for (const node of container.querySelectorAll(".field-error")) node.textContent = "";
  for (const node of container.querySelectorAll("[aria-invalid]")) node.removeAttribute("aria-invalid");
  if (!errors || Array.isArray(errors)) return;
  for (const [name, messages] of Object.entries(errors)) {
    const input = container.querySelector(`#${fieldId(name.split(".")[0])}`);
    if (!input) continue;
    input.setAttribute("aria-invalid", "true");
    container.querySelector(`#${fieldId(name.split(".")[0])}-error`).textContent = [].concat(messages).join("; ");
  }
}
