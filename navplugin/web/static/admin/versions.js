/* The versions tab: the list of dataset versions, the diff between two, and switching the live one (rollback). */

import { api, session } from "./api.js";
import { $, element, format, notice, report, row, when } from "./dom.js";

export async function loadVersions() {
  $("versions-message").textContent = "";
  try {
    const { items } = await api("versions");
    $("versions-table").tBodies[0].replaceChildren(...items.map((v) => {
      const activate = element("button", "이 버전으로 전환", "activate");
      activate.type = "button";
      activate.disabled = v.live || session.role === "read";
      activate.addEventListener("click", () => activateVersion(v.version));
      const tr = row([v.version, v.live ? "운영 중" : "", when(v.created_at), v.file_name || v.source, v.uploaded_by,
                      v.counts ? v.counts.stores : "", v.note, activate]);
      tr.dataset.version = v.version;
      tr.classList.toggle("live", Boolean(v.live));
      return tr;
    }));
    for (const [select, pick] of [["diff-from", 1], ["diff-to", 0]]) {
      const current = $(select).value;
      $(select).replaceChildren(...items.map((v) => element("option", `버전 ${v.version}`)));
      items.forEach((v, k) => { $(select).options[k].value = v.version; });
      $(select).value = current || (items[Math.min(pick, items.length - 1)] || {}).version || "";
    }
  } catch (error) {
    report("versions-message", error);
  }
}

async function activateVersion(version) {
  if (!window.confirm(`버전 ${version}으로 전환할까요? 내비게이션 앱이 바로 이 버전을 받게 됩니다.`)) return;
  try {
    const answer = await api(`versions/${version}/activate`, { method: "POST" });
    await loadVersions();  // it clears the message line
    const kept = answer.version === answer.requested ? ""
      : ` — 버전 ${answer.requested}에 현재 수정 사항(지정 취소 ${answer.revoked_kept_out.length}곳, ` +
        `수정 ${answer.corrections_reapplied.length}곳)을 반영`;
    notice("versions-message", `버전 ${answer.version} 운영 중 (이전: ${answer.previous ?? "없음"})${kept}`);
  } catch (error) {
    report("versions-message", error);
  }
}

export async function showDiff(event) {
  event.preventDefault();
  const from = $("diff-from").value;
  const to = $("diff-to").value;
  try {
    const diff = await api(`versions/${from}/diff/${to}`);
    const c = diff.counts;
    $("diff-counts").textContent = `버전 ${diff.from_version} → ${diff.to_version}: 추가 ${c.added}, 삭제 ${c.removed}, 변경 ${c.changed}`;
    const describe = (store) => element("li", `${store.name} · ${store.address || ""} (${store.id})`);
    $("diff-added").replaceChildren(...diff.added.map(describe));
    $("diff-removed").replaceChildren(...diff.removed.map(describe));
    const rows = [];
    for (const change of diff.changed) {
      for (const [field, values] of Object.entries(change.fields)) {
        rows.push(row([`${change.name} (${change.id})${change.override ? " · 수정됨" : ""}`, field,
                       format(values.from), format(values.to)]));
      }
    }
    $("diff-changed").tBodies[0].replaceChildren(...rows);
    $("diff-result").hidden = false;
  } catch (error) {
    report("versions-message", error);
  }
}
