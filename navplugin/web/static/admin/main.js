/* The admin page's entry: sign in with a token, sign out, tabs, and wiring each form to its module.
 *
 * Loaded as a module (deferred), so the page is parsed and Leaflet's classic script has run
 * before this does. Everything shown comes from the /admin/v1 API with the token kept in this
 * tab's sessionStorage (gone when the tab closes). */

import { api, session, whenUnauthorized } from "./api.js";
import { $ } from "./dom.js";
import { upload } from "./upload.js";
import { loadOverview, pageToPin, whenShopOpened } from "./overview.js";
import { cancelMove, focusShop, loadReview, resetSelection, revokeShop, saveMove } from "./review.js";
import { jumpToDistrict } from "./map.js";
import { loadVersions, showDiff } from "./versions.js";
import { loadAudit } from "./audit.js";
import { createClient, loadClients } from "./clients.js";

const TOKEN_KEY = "navplugin.adminToken";
const TAB_LOADERS = { overview: () => loadOverview(), review: loadReview, versions: loadVersions, clients: loadClients,
                      audit: () => loadAudit(true) };

async function signIn(token) {
  session.token = token;
  try {
    const me = await api("whoami");
    sessionStorage.setItem(TOKEN_KEY, token);
    session.role = me.role;
    $("who-name").textContent = me.name;
    $("who-role").textContent = me.role === "read" ? "읽기 전용" : "관리자";
    for (const node of document.querySelectorAll(".needs-write button, .needs-write input, .needs-write select")) {
      node.disabled = me.role === "read";
    }
    $("sign-in").hidden = true;
    $("app").hidden = false;
    $("who").hidden = false;
    showTab("overview");
  } catch (error) {
    if (error.status !== 401) $("sign-in-message").textContent = `로그인할 수 없습니다: ${error.message}`;
  }
}

function signOut(message) {
  sessionStorage.removeItem(TOKEN_KEY);
  session.token = null;
  resetSelection();  // pins were made draggable or not for this admin's role
  $("app").hidden = true;
  $("who").hidden = true;
  $("sign-in").hidden = false;
  $("token").value = "";
  $("sign-in-message").textContent = message || "";
}

function showTab(name) {
  for (const button of document.querySelectorAll("[data-tab]")) {
    button.setAttribute("aria-selected", String(button.dataset.tab === name));
  }
  for (const panel of document.querySelectorAll(".tab")) panel.hidden = panel.id !== `tab-${name}`;
  if (TAB_LOADERS[name]) TAB_LOADERS[name]();
}

whenUnauthorized(signOut);
$("sign-in-form").addEventListener("submit", (event) => {
  event.preventDefault();
  $("sign-in-message").textContent = "";
  signIn($("token").value.trim());
});
$("sign-out").addEventListener("click", () => signOut("로그아웃했습니다"));
for (const button of document.querySelectorAll("[data-tab]")) {
  button.addEventListener("click", () => showTab(button.dataset.tab));
}
$("to-pin-prev").addEventListener("click", () => pageToPin(-1));
$("to-pin-next").addEventListener("click", () => pageToPin(1));
whenShopOpened((store) => {
  showTab("review");  // the map must be shown before it is measured and moved
  focusShop(store);
});
$("upload-form").addEventListener("submit", upload);
$("pin-edit").addEventListener("submit", saveMove);
$("shop-actions").addEventListener("submit", revokeShop);
$("pin-cancel").addEventListener("click", cancelMove);
$("district-form").addEventListener("submit", jumpToDistrict);
$("diff-form").addEventListener("submit", showDiff);
$("audit-more").addEventListener("click", () => loadAudit(false));
$("client-form").addEventListener("submit", createClient);
const saved = sessionStorage.getItem(TOKEN_KEY);
if (saved) signIn(saved);
