/* The review tab: mismatched and failed shops, pins dragged to correct a position, 지정 취소 and 복원.
 *
 * The map itself (outlines, live shops) is map.js's; this module owns what is chosen on it:
 * the pins, the selected shop, and a move waiting for its reason. */

import { api, session } from "./api.js";
import { $, element, fixed, notice, report, row } from "./dom.js";
import { ensureMap, loadLiveShops } from "./map.js";

const { L } = window;
const state = { map: null, pins: [], selectedPin: null, selectedStore: null, pendingMove: null };
const SHOP_ZOOM = 16;  // a shop opened from another tab: its street, close enough to drag its pin

export async function loadReview() {
  state.map = ensureMap(selectShop);
  $("review-message").textContent = "";
  try {
    const review = await api("review");
    $("mismatch-count").textContent = review.mismatches.count;
    $("failed-count").textContent = review.failed.count;
    for (const pin of state.pins) pin.remove();
    state.pins = review.mismatches.items.map((store) => pinFor(store, "pin-mismatch"));
    $("mismatch-list").replaceChildren(...review.mismatches.items.map((store) => {
      const item = element("li");
      const button = element("button", `${store.name} · ${store.address || ""}`, "link");
      button.type = "button";
      button.addEventListener("click", () => state.map.setView([store.lat, store.lon], 15));
      item.appendChild(button);
      return item;
    }));
    $("failed-table").tBodies[0].replaceChildren(
      ...review.failed.items.map((f) => row([f.line, f.name, f.address, f.reason])));
    await loadRevoked();
  } catch (error) {
    report("review-message", error);
  }
  loadLiveShops();
}

/** Revoked shops (지정 취소), each with a button that brings it back. */
async function loadRevoked() {
  const revoked = (await api("overrides")).items.filter((o) => o.revoked);
  $("revoked-count").textContent = revoked.length;
  $("revoked-list").replaceChildren(...revoked.map((o) => {
    const item = element("li", `${o.name || o.store_id} · ${o.reason} (${o.updated_by}) `);
    item.dataset.storeId = o.store_id;
    const restore = element("button", "복원", "link");
    restore.type = "button";
    restore.disabled = session.role === "read";
    restore.addEventListener("click", () => restoreShop(o));
    item.appendChild(restore);
    return item;
  }));
}

async function restoreShop(override) {
  const reason = window.prompt(`${override.name || override.store_id}: 복원 사유`, "");
  if (!reason || !reason.trim()) return;
  try {
    const answer = await api(`stores/${encodeURIComponent(override.store_id)}/restore`,
                             { method: "POST", json: { reason: reason.trim() } });
    await loadReview();
    notice("review-message", `복원했습니다: ${override.name || override.store_id} · 버전 ${answer.version}`);
  } catch (error) {
    report("review-message", error);
  }
}

/** 지정 취소 of the chosen shop: it leaves every navigation answer and stays out of later lists. */
export async function revokeShop(event) {
  event.preventDefault();
  const store = state.selectedStore;
  if (!store) return;
  try {
    const answer = await api(`stores/${encodeURIComponent(store.id)}/revoke`,
                             { method: "POST", json: { reason: $("revoke-reason").value.trim() } });
    $("shop-actions").hidden = true;
    $("revoke-reason").value = "";
    if (state.selectedPin) state.selectedPin.remove();
    state.selectedPin = null;
    state.selectedStore = null;
    await loadReview();
    notice("review-message", `지정 취소했습니다: ${store.name} · 버전 ${answer.version}`);
  } catch (error) {
    report("review-message", error);
  }
}

/** A draggable pin for a shop; dropping it asks for a reason before anything is saved. */
function pinFor(store, className) {
  const marker = L.marker([store.lat, store.lon], {
    draggable: session.role !== "read", title: store.name, alt: store.name,
    icon: new L.Icon.Default({ className }), zIndexOffset: 1000,
  }).addTo(state.map);
  marker.bindTooltip(element("span", `${store.name} (${store.id})`));  // a string would be parsed as HTML
  marker.on("dragstart", () => cancelMove());
  marker.on("dragend", () => askReason(store, marker));
  return marker;
}

function askReason(store, marker) {
  const to = marker.getLatLng();
  state.pendingMove = { store, marker, to };
  const form = $("pin-edit");
  form.dataset.storeId = store.id;
  form.dataset.lat = fixed(to.lat);
  form.dataset.lon = fixed(to.lng);
  $("pin-edit-text").textContent = `${store.name}: (${fixed(store.lat)}, ${fixed(store.lon)}) → ` +
    `(${fixed(to.lat)}, ${fixed(to.lng)})`;
  form.hidden = false;
  $("pin-reason").focus();
}

export function cancelMove() {
  const move = state.pendingMove;
  if (move) move.marker.setLatLng([move.store.lat, move.store.lon]);
  state.pendingMove = null;
  $("pin-edit").hidden = true;
}

export async function saveMove(event) {
  event.preventDefault();
  const move = state.pendingMove;
  if (!move) return;
  const lat = Number(fixed(move.to.lat));
  const lon = Number(fixed(move.to.lng));
  try {
    const answer = await api(`stores/${encodeURIComponent(move.store.id)}`,
                             { method: "PATCH", json: { lat, lon, reason: $("pin-reason").value.trim() } });
    Object.assign(move.store, { lat, lon });
    state.pendingMove = null;
    $("pin-edit").hidden = true;
    $("pin-reason").value = "";
    await loadReview();  // the lists change with the new version; it clears the message line
    notice("review-message", `저장했습니다: ${move.store.name} (${fixed(lat)}, ${fixed(lon)}) · 버전 ${answer.version}`);
  } catch (error) {
    report("review-message", error);
  }
}

/** A live shop chosen on the map or in the list: it gets a pin of its own and the 지정 취소 form. */
function selectShop(store) {
  cancelMove();
  if (state.selectedPin) state.selectedPin.remove();
  state.selectedPin = pinFor({ ...store }, "pin-selected");
  state.selectedStore = store;
  $("shop-actions-text").textContent = `선택한 가게: ${store.name} (${store.id})`;
  $("revoke-submit").disabled = session.role === "read";
  $("shop-actions").hidden = false;
  // a shop chosen from the list is already in view: panning would only move the pin under the mouse
  if (!state.map.getBounds().contains([store.lat, store.lon])) state.map.panTo([store.lat, store.lon]);
}

/** Opens the map on a shop chosen in another tab (the overview's to-pin list), chosen as from the map. */
export function focusShop(store) {
  state.map = ensureMap(selectShop);
  state.map.setView([store.lat, store.lon], SHOP_ZOOM);
  selectShop(store);
}

/** Forgets the chosen shop and any move waiting for a reason (on sign-out: pins were made for that role). */
export function resetSelection() {
  cancelMove();
  if (state.selectedPin) state.selectedPin.remove();
  state.selectedPin = null;
  state.selectedStore = null;
  $("shop-actions").hidden = true;
}
