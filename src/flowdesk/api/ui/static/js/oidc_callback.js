// The provider sent the browser back: check `state`, exchange the code, keep the token like a pasted key.
import { api, ApiError, session } from "./api.js";
import { takePending } from "./oidc.js";
import { fail, safeNext } from "./page.js";

const progress = document.getElementById("oidc-progress");

function stop(error) {
  progress.textContent = "You are not signed in.";
  document.getElementById("oidc-retry").hidden = false;
  fail(error);
}

async function finish() {
  const answer = new URLSearchParams(location.search);
  // The code is single-use and useless without the verifier; still, keep it out of the history.
  history.replaceState(null, "", location.pathname);
  const pending = takePending();
  if (answer.get("error")) {
    throw new ApiError(401, { title: "The identity provider did not sign you in",
                              detail: answer.get("error_description") || answer.get("error") });
  }
  if (!pending || !answer.get("state") || answer.get("state") !== pending.state) {
    // Not the answer to a sign-in this tab started: maybe forged, maybe replayed. Keep nothing.
    throw new ApiError(400, { title: "This sign-in was not started here",
                              detail: "The answer's state does not match the sign-in this tab started; start again." });
  }
  const { token } = await api("/oidc/token", { method: "POST", anonymous: true,
                                               json: { code: answer.get("code") || "", code_verifier: pending.verifier } });
  let who;
  try {
    who = await api("/me", { key: token });
  } catch (error) {
    if (error.status === 401) {
      throw new ApiError(401, { title: "flowdesk does not accept the identity provider's token",
                                detail: error.problem.detail });
    }
    throw error;
  }
  session.save(token);
  sessionStorage.setItem("flowdesk.me", JSON.stringify(who));
  location.replace(safeNext(pending.next));
}

finish().catch(stop);
