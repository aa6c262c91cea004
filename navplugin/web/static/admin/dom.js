/* Small DOM helpers every tab uses: lookups, elements, table rows, and a panel's message line.
 *
 * Text from the server is only ever set with textContent, never parsed as HTML:
 * shop names come from uploaded files. */

import { ApiError } from "./api.js";

export const $ = (id) => document.getElementById(id);

export const when = (iso) => (iso ? new Date(iso).toLocaleString("ko-KR") : "");

export const fixed = (value) => Number(value).toFixed(5);

/** A value as a table cell shows it: objects as JSON, nothing as empty. */
export const format = (value) => (value !== null && typeof value === "object" ? JSON.stringify(value) : value ?? "");

export function element(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  if (className) node.className = className;
  return node;
}

/** A table row: each cell is text, or a node (a button) put in a cell of its own. */
export function row(cells) {
  const tr = document.createElement("tr");
  for (const cell of cells) tr.appendChild(cell instanceof Node ? wrap(cell) : element("td", cell ?? ""));
  return tr;
}

function wrap(node) {
  const td = document.createElement("td");
  td.appendChild(node);
  return td;
}

// What each kind of problem means, in Korean; the server's detail (in English) follows it.
const PROBLEM_KIND = {
  400: "입력값 오류", 403: "권한 없음", 404: "찾을 수 없음", 409: "현재 상태와 맞지 않음",
  413: "너무 큼", 415: "지원하지 않는 파일", 422: "업로드 거부", 503: "서비스 준비 중",
};

/** Shows a failed call in a panel's message line; a 401 has already gone back to sign-in. */
export function report(target, error) {
  if (error instanceof ApiError && error.status === 401) return;
  const kind = (error instanceof ApiError && PROBLEM_KIND[error.status]) || "오류";
  $(target).textContent = `${kind}: ${error.message}`;
  $(target).classList.remove("ok");
}

/** Shows what an action achieved in a panel's message line (in the success colour). */
export function notice(target, text) {
  $(target).textContent = text;
  $(target).classList.add("ok");
}
