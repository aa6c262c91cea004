/* The audit tab: the log, newest first, a page at a time ("더 보기" follows the API's `next` link). */

import { api } from "./api.js";
import { $, format, report, row, when } from "./dom.js";

const AUDIT_PAGE = 50;
let auditNext = null;

/** The first page (fromStart), or the next one appended below what is shown. */
export async function loadAudit(fromStart) {
  $("audit-message").textContent = "";
  // `next` is the next page's absolute URL on this origin (api() refuses any other); a bare cursor is taken as `before`
  const next = String(auditNext);
  const path = fromStart ? `audit?limit=${AUDIT_PAGE}`
    : next.includes("/") ? next : `audit?limit=${AUDIT_PAGE}&before=${encodeURIComponent(next)}`;
  try {
    const page = await api(path);
    const rows = page.items.map((e) => row([when(e.at), e.actor, e.action, e.target, format(e.details)]));
    if (fromStart) $("audit-table").tBodies[0].replaceChildren(...rows);
    else $("audit-table").tBodies[0].append(...rows);
    auditNext = page.next;
    $("audit-more").hidden = page.next == null;
  } catch (error) {
    report("audit-message", error);
  }
}
