// Sign-in with an OpenID Connect provider: authorization code flow with PKCE (RFC 7636).
// The verifier and `state` stay in this tab's session storage until the provider sends the
// browser back; the server only forwards the code and verifier to the provider's token endpoint
// (see engine/oidc.py for why the exchange is not done from here).
import { api } from "./api.js";

const PENDING = "flowdesk.oidc";

function randomText(bytes) {
  const data = crypto.getRandomValues(new Uint8Array(bytes));
  return base64url(data);
}

function base64url(bytes) {
  let text = "";
  for (const byte of bytes) text += String.fromCharCode(byte);
  return btoa(text).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

async function challengeOf(verifier) {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
  return base64url(new Uint8Array(digest));
}

/** Sends the browser to the provider; `next` is where to go after signing in. */
export async function beginSignIn(next) {
  const options = await api("/oidc", { anonymous: true });
  const verifier = randomText(48); // 64 characters
  const state = randomText(24);
  sessionStorage.setItem(PENDING, JSON.stringify({ state, verifier, next }));
  const url = new URL(options.authorization_endpoint);
  const params = {
    response_type: "code", client_id: options.client_id, redirect_uri: options.redirect_uri,
    scope: options.scope, state, code_challenge: await challengeOf(verifier), code_challenge_method: "S256",
  };
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
  location.assign(url.toString());
}

/** The pending sign-in of this tab (taken: it is good for one answer only), or null. */
export function takePending() {
  const raw = sessionStorage.getItem(PENDING);
  sessionStorage.removeItem(PENDING);
  try {
    return raw ? JSON.parse(raw) : null;
  } catch {
    return null;
  }
}
