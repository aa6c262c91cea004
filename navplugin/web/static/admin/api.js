/* The admin API: who is signed in (token and role), the one place the token is sent, and problem+json errors.
 *
 * The token is only ever attached here, and only to this page's own origin:
 * every URL is checked by sameOriginPath() before a request is made. */

export const API_ROOT = document.body.dataset.apiRoot;  // "/admin/v1"

/** Who is signed in: the token kept in this tab's sessionStorage, and the role the server gave it. */
export const session = { token: null, role: null };

export class ApiError extends Error {
  constructor(status, problem) {
    super((problem && (problem.detail || problem.title)) || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

let onUnauthorized = () => {};

/** What to do when the server no longer takes the token (revoked, or the server restarted with new tokens). */
export function whenUnauthorized(handler) {
  onUnauthorized = handler;
}

const SCHEME = /^[a-z][a-z0-9+.-]*:/i;

/**
 * The path (and query) to call for `target`, or an Error: the token must never leave this origin.
 *
 * Accepted: a name under the API root ("versions/3/activate"), a path beginning with a single
 * "/", or an absolute URL on this page's origin (the audit log's `next` link), which becomes
 * its path and query. A protocol-relative "//host", a "/\host" (browsers read "\" as "/"),
 * and any other origin are refused before anything is fetched.
 */
export function sameOriginPath(target) {
  const text = String(target);
  const here = window.location.origin;
  let url;
  if (text.startsWith("/")) {
    if (text.startsWith("//") || text.startsWith("/\\")) throw refused(text);
    url = new URL(text, here);
  } else if (SCHEME.test(text)) {
    url = new URL(text);  // throws on a malformed URL
  } else {
    url = new URL(`${API_ROOT}/${text}`, here);
  }
  // the parser drops tabs and newlines, and can turn "/a/..//b" into "//b": check what it made of it
  const path = url.pathname + url.search;
  if (url.origin !== here || !path.startsWith("/") || path.startsWith("//")) throw refused(text);
  return path;
}

function refused(target) {
  return new Error(`다른 출처로는 토큰을 보내지 않습니다: ${target}`);
}

function signedOutBy(status, data) {
  const error = new ApiError(status, data);
  if (status === 401) onUnauthorized(error.message);
  return error;
}

/** Calls the API with the token; a 401 signs out. */
export async function api(target, { method = "GET", json } = {}) {
  const path = sameOriginPath(target);
  const headers = { Authorization: `Bearer ${session.token}`, Accept: "application/json" };
  let body;
  if (json !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(json);
  }
  const response = await fetch(path, { method, headers, body, cache: "no-store" });
  const data = await response.json().catch(() => null);
  if (!response.ok) throw signedOutBy(response.status, data);
  return data;
}

/**
 * POSTs a form with the token through XHR, not fetch: only XHR reports how many bytes have gone up.
 * Resolves to { status, data } whatever the status, so the caller can show a refusal's report;
 * a 401 has signed out already.
 */
export function sendForm(target, formData, onProgress) {
  const path = sameOriginPath(target);
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", path);
    xhr.setRequestHeader("Authorization", `Bearer ${session.token}`);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.onprogress = (event) => {
      if (event.lengthComputable) onProgress((100 * event.loaded) / event.total);
    };
    xhr.onload = () => {
      let data = null;
      try { data = JSON.parse(xhr.responseText); } catch (ignored) { /* not JSON: status says enough */ }
      if (xhr.status === 401) signedOutBy(xhr.status, data);
      resolve({ status: xhr.status, data });
    };
    xhr.onerror = () => reject(new Error("서버에 연결할 수 없습니다"));
    xhr.send(formData);
  });
}
