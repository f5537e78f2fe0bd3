// The catalogue: the request types I may open.
import { api } from "./api.js";
import { clear, el, guarded, UI } from "./page.js";
import { startRequester } from "./requester.js";

guarded(async () => {
  await startRequester();
  const { items } = await api("/request-types");
  clear(document.getElementById("request-types"), items.length ? items.map((kind) => el("li", { class: "request-item" },
    el("a", { href: `${UI}requests/new/${encodeURIComponent(kind.key)}`, class: "request-subject" }, kind.name),
    kind.description ? el("p", { class: "sub" }, kind.description) : null))
    : el("li", { class: "empty" }, "There is nothing you can request here yet."));
});
