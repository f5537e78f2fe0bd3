// The bpmn-js viewer (static/vendor, built from ui/ with npm) with flowdesk's markers on top.
import { api } from "./api.js";

/** Fetches the XML of `key` version `version`. */
export function definitionXml(key, version) {
  return api(`/definitions/${encodeURIComponent(key)}/versions/${version}/xml`, { as: "text" });
}

/**
 * Renders `xml` into `container` and returns the viewer.
 * `marks`: `{elementId: ["fd-completed", ...]}`; `badges`: `{elementId: "text"}` shown beside the element.
 * Sequence flows between two completed elements are marked completed too, so the path shows.
 */
export async function showDiagram(container, xml, { marks = {}, badges = {} } = {}) {
  container.replaceChildren();
  const viewer = new window.BpmnJS({ container });
  const { warnings } = await viewer.importXML(xml);
  const canvas = viewer.get("canvas");
  const registry = viewer.get("elementRegistry");
  const overlays = viewer.get("overlays");
  const completed = new Set(Object.entries(marks).filter(([, m]) => m.includes("fd-completed")).map(([id]) => id));
  for (const [id, classes] of Object.entries(marks)) {
    if (!registry.get(id)) continue;
    for (const name of classes) canvas.addMarker(id, name);
  }
  for (const element of registry.filter((e) => e.type === "bpmn:SequenceFlow")) {
    const flow = element.businessObject;
    if (completed.has(flow.sourceRef?.id) && completed.has(flow.targetRef?.id)) canvas.addMarker(element.id, "fd-completed");
  }
  for (const [id, text] of Object.entries(badges)) {
    if (!registry.get(id)) continue;
    const note = document.createElement("span");
    note.className = "fd-badge";
    note.textContent = text;
    overlays.add(id, { position: { top: -12, right: 12 }, html: note });
  }
  canvas.zoom("fit-viewport", "auto");
  container.dataset.rendered = "true";
  container.dataset.warnings = String(warnings.length);
  return viewer;
}

/** `[["a", "fd-current"], ["b", "fd-completed"]]` -> marks for showDiagram. */
export function marksOf(pairs) {
  const marks = {};
  for (const [id, name] of pairs) {
    if (!id) continue;
    (marks[id] ||= []).includes(name) || marks[id].push(name);
  }
  return marks;
}
