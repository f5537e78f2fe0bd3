import { api, ApiError, session } from "./api.js";
import { beginSignIn } from "./oidc.js";
import { fail, param, safeNext, UI } from "./page.js";

const form = document.getElementById("login-form");
const input = document.getElementById("api-key");
const oidcButton = document.getElementById("oidc-login");
(oidcButton || input).focus();

oidcButton?.addEventListener("click", async () => {
  oidcButton.disabled = true;
  try {
    await beginSignIn(param("next"));
  } catch (error) {
    oidcButton.disabled = false;
    fail(error);
  }
});

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
    location.assign(who.role === "requester" && !param("next") ? `${UI}requests` : safeNext(param("next")));
  } catch (error) {
    input.setAttribute("aria-invalid", "true");
    fail(error.status === 401 ? new ApiError(401, { title: "That key is not valid" }) : error);
  }
});
