// The bpmn-js viewer (static/vendor, built from ui/ with npm) with flowdesk's markers on top.
import { api } from "./api.js";

/** Fetches the XML of `key` version `version`. */
export function definitionXml(key, version) {
  return api(`/definitions/${encodeURIComponent(key)}/versions/${version}/xml`, { as: "text" });
}

/**
 * Renders `xml` into `container` and returns the viewer (null, with a note, when it has no diagram).
 * `marks`: `{elementId: ["fd-completed", ...]}`; `badges`: `{elementId: "text"}` shown beside the element
 * (or `{text, title}`: the title is its tooltip, e.g. when a timer is due);
 * `path`: the element ids completed, in order, whose sequence flows are marked as taken.
 */
export async function showDiagram(container, xml, { marks = {}, badges = {}, path = [] } = {}) {
  container.replaceChildren();
  const viewer = new window.BpmnJS({ container });
  let warnings;
  try {
    ({ warnings } = await viewer.importXML(xml));
  } catch (error) {
    // Models written without an editor often carry no diagram interchange (BPMN DI) to draw.
    viewer.destroy();
    const note = document.createElement("p");
    note.className = "help diagram-missing";
    note.textContent = `No diagram to show: ${error.message}`;
    container.replaceChildren(note);
    container.dataset.rendered = "false";
    return null;
  }
  const canvas = viewer.get("canvas");
  const registry = viewer.get("elementRegistry");
  const overlays = viewer.get("overlays");
  for (const [id, classes] of Object.entries(marks)) {
    if (!registry.get(id)) continue;
    for (const name of classes) canvas.addMarker(id, name);
  }
  for (const id of takenFlows(registry, path)) canvas.addMarker(id, "fd-completed");
  for (const [id, badge] of Object.entries(badges)) {
    if (!registry.get(id)) continue;
    const { text, title } = typeof badge === "string" ? { text: badge } : badge;
    const note = document.createElement("span");
    note.className = `fd-badge${/\bincident\b/.test(text) ? " fd-badge-incident" : ""}`;
    note.textContent = text;
    if (title) note.title = title;
    overlays.add(id, { position: { top: -12, right: 12 }, html: note });
  }
  canvas.zoom("fit-viewport", "auto");
  container.dataset.rendered = "true";
  container.dataset.warnings = String(warnings.length);
  return viewer;
}

/**
 * The sequence flows a run took, from the order elements completed in: each time an element
 * completed, the flow came from the incoming source that completed last before it (from every
 * such source for parallel and inclusive joins). Elements waiting now count as reached last.
 */
function takenFlows(registry, path) {
  const taken = new Set();
  const lastDone = new Map(); // element id -> position in path of its latest completion
  path.forEach((id, position) => {
    const element = registry.get(id);
    const incoming = (element?.incoming || []).filter((c) => c.type === "bpmn:SequenceFlow" && lastDone.has(c.source.id));
    if (incoming.length) {
      const join = ["bpmn:ParallelGateway", "bpmn:InclusiveGateway"].includes(element.type);
      const latest = Math.max(...incoming.map((c) => lastDone.get(c.source.id)));
      for (const c of incoming) if (join || lastDone.get(c.source.id) === latest) taken.add(c.id);
    }
    lastDone.set(id, position);
  });
  return taken;
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
