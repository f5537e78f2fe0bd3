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
  controls(container, canvas);
  return viewer;
}

const STEP = 1.25;
const PAN = 60; // pixels an arrow key moves the diagram

/** Zoom, fit and enlarge buttons above the diagram, and the same from the keyboard on it:
 * + and - zoom, 0 fits, the arrow keys pan. Made once per container; they drive its latest viewer. */
function controls(container, canvas) {
  container.fdCanvas = canvas;
  if (container.fdControls) return;
  const zoomBy = (factor) => {
    const current = container.fdCanvas.zoom();
    container.fdCanvas.zoom(Math.min(4, Math.max(0.2, current * factor)));
  };
  const fit = () => container.fdCanvas.zoom("fit-viewport", "auto");
  const button = (label, text, onclick) => {
    const node = document.createElement("button");
    Object.assign(node, { type: "button", className: "small secondary", textContent: text, onclick });
    node.setAttribute("aria-label", label);
    return node;
  };
  const enlarge = button("Enlarge the diagram", "Enlarge", () => {
    const enlarged = container.classList.toggle("enlarged");
    container.parentElement.classList.toggle("diagram-enlarged", enlarged); // its card fills the window
    enlarge.textContent = enlarged ? "Shrink" : "Enlarge";
    enlarge.setAttribute("aria-label", enlarged ? "Shrink the diagram" : "Enlarge the diagram");
    enlarge.setAttribute("aria-pressed", String(enlarged));
    container.fdCanvas.resized();
    fit();
  });
  enlarge.setAttribute("aria-pressed", "false");
  const bar = document.createElement("div");
  bar.className = "diagram-tools";
  bar.append(button("Zoom in", "+", () => zoomBy(STEP)), button("Zoom out", "−", () => zoomBy(1 / STEP)),
             button("Fit the diagram", "Fit", fit), enlarge);
  container.before(bar);
  container.tabIndex = 0;
  container.addEventListener("keydown", (event) => {
    const pans = { ArrowLeft: [PAN, 0], ArrowRight: [-PAN, 0], ArrowUp: [0, PAN], ArrowDown: [0, -PAN] };
    if (event.key === "+" || event.key === "=") zoomBy(STEP);
    else if (event.key === "-") zoomBy(1 / STEP);
    else if (event.key === "0") fit();
    else if (pans[event.key]) container.fdCanvas.scroll({ dx: pans[event.key][0], dy: pans[event.key][1] });
    else return;
    event.preventDefault();
  });
  container.fdControls = bar;
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
