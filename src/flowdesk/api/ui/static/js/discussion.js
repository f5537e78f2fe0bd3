// A ticket's comments (internal or public) and attachments (upload, download).
import { api } from "./api.js";
import { badge, clear, el, guarded, say, when } from "./page.js";

export async function loadComments(path) {
  const { items } = await api(`${path}/comments?limit=200`);
  clear(document.getElementById("comments"), items.length ? items.map((c) => el("li", { class: c.public ? "public" : "internal" },
    el("div", { class: "sub" }, `${c.author} · ${when(c.created_at)} `, badge(c.public ? "public" : "internal")),
    c.deleted ? el("em", {}, "deleted") : el("p", {}, c.body))) : el("li", { class: "empty" }, "No comments yet."));
}

function size(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

async function download(path, attachment) {
  // The key travels in a header, so the file comes through fetch and leaves as a local blob link.
  const { blob } = await api(`${path}/attachments/${attachment.id}`, { as: "blob" });
  const url = URL.createObjectURL(blob);
  const link = el("a", { href: url, download: attachment.filename });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

export async function loadAttachments(path) {
  const { items } = await api(`${path}/attachments?limit=200`);
  clear(document.getElementById("attachments"), items.length ? items.map((a) => el("li", {},
    el("button", { type: "button", class: "link", onclick: () => guarded(() => download(path, a)),
                   "aria-label": `Download ${a.filename}` }, a.filename),
    el("span", { class: "sub" }, ` ${size(a.size)} · ${a.content_type} · ${a.uploaded_by} · ${when(a.created_at)} `),
    badge(a.public ? "public" : "internal")))
    : el("li", { class: "empty" }, "No attachments."));
}

/** Hooks up the comment and upload forms of the page; `changed()` runs after each addition. */
export function wireDiscussion(path, changed) {
  const commentForm = document.getElementById("comment-form");
  commentForm.addEventListener("submit", (event) => {
    event.preventDefault();
    guarded(async () => {
      const body = document.getElementById("comment-body").value.trim();
      const isPublic = document.getElementById("comment-public").checked;
      await api(`${path}/comments`, { method: "POST", json: { body, public: isPublic } });
      commentForm.reset();
      say("Comment added.");
      await Promise.all([loadComments(path), changed()]);
    });
  });
  const uploadForm = document.getElementById("attachment-form");
  uploadForm.addEventListener("submit", (event) => {
    event.preventDefault();
    guarded(async () => {
      const file = document.getElementById("attachment-file").files[0];
      if (!file) return;
      const data = new FormData();
      data.append("file", file, file.name);
      data.append("public", document.getElementById("attachment-public")?.checked ? "true" : "false");
      await api(`${path}/attachments`, { method: "POST", body: data });
      uploadForm.reset();
      say(`${file.name} uploaded.`);
      await Promise.all([loadAttachments(path), changed()]);
    });
  });
}
