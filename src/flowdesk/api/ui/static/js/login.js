import { api, ApiError, session } from "./api.js";
import { fail, param, UI } from "./page.js";

const form = document.getElementById("login-form");
const input = document.getElementById("api-key");
input.focus();

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const key = input.value.trim();
  if (!key) {
    input.setAttribute("aria-invalid", "true");
    fail(new ApiError(400, { title: "Enter your API key" }));
    return;
  }
  try {
    const who = await api("/me", { key });
    session.save(key);
    sessionStorage.setItem("flowdesk.me", JSON.stringify(who));
    const next = param("next");
    // Only paths of this UI: never send the user to another site after logging in.
    location.assign(next && next.startsWith(UI) && !next.startsWith("//") ? next : `${UI}inbox`);
  } catch (error) {
    input.setAttribute("aria-invalid", "true");
    fail(error.status === 401 ? new ApiError(401, { title: "That key is not valid" }) : error);
  }
});
