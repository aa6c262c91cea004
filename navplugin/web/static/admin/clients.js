/* The client keys tab: partner apps' keys, their quotas and usage; issue, rotate, change the quota, revoke.
 *
 * A key is shown once, right after it is issued or rotated; the API never gives it again. */

import { api, session } from "./api.js";
import { $, element, notice, report, row } from "./dom.js";

function button(text, onClick, className) {
  const node = element("button", text, className);
  node.type = "button";
  node.disabled = session.role === "read";
  node.addEventListener("click", onClick);
  return node;
}

function showKey(client) {
  $("client-key-name").textContent = `${client.name}, ID ${client.id}`;
  $("client-key").textContent = client.key;
  $("client-key-box").hidden = false;
}

export async function loadClients() {
  $("clients-message").textContent = "";
  try {
    const { items } = await api("clients");
    $("clients-table").tBodies[0].replaceChildren(...items.map((c) => {
      const month = c.usage.days.reduce((sum, day) => sum + day.requests, 0);
      const live = !c.revoked;
      const tr = row([c.id, c.name, c.key_prefix, c.rate, c.usage.today.requests, c.usage.today.limited, month,
                      live ? "사용 중" : "폐기됨",
                      live ? button("한도 변경", () => changeRate(c)) : "",
                      live ? button("키 재발급", () => rotate(c)) : "",
                      live ? button("폐기", () => revoke(c), "danger") : ""]);
      tr.dataset.client = c.id;
      tr.classList.toggle("revoked", !live);
      return tr;
    }));
  } catch (error) {
    report("clients-message", error);
  }
}

export async function createClient(event) {
  event.preventDefault();
  $("clients-message").textContent = "";
  try {
    const client = await api("clients", { method: "POST",
                                          json: { name: $("client-name").value.trim(), rate: $("client-rate").value.trim() } });
    showKey(client);
    $("client-name").value = "";
    await loadClients();
    notice("clients-message", `${client.name}의 키를 발급했습니다`);
  } catch (error) {
    report("clients-message", error);
  }
}

async function changeRate(client) {
  const rate = window.prompt(`${client.name}의 새 한도 (예: 600/minute)`, client.rate);
  if (!rate) return;
  try {
    await api(`clients/${client.id}`, { method: "PATCH", json: { rate: rate.trim() } });
    await loadClients();
    notice("clients-message", `${client.name}의 한도를 ${rate.trim()}(으)로 바꿨습니다`);
  } catch (error) {
    report("clients-message", error);
  }
}

async function rotate(client) {
  if (!window.confirm(`${client.name}의 키를 재발급할까요? 지금 키는 바로 쓸 수 없게 됩니다.`)) return;
  try {
    showKey(await api(`clients/${client.id}/rotate`, { method: "POST" }));
    await loadClients();
    notice("clients-message", `${client.name}의 키를 재발급했습니다`);
  } catch (error) {
    report("clients-message", error);
  }
}

async function revoke(client) {
  if (!window.confirm(`${client.name}의 키를 폐기할까요? 이 앱의 요청은 바로 거부됩니다.`)) return;
  try {
    await api(`clients/${client.id}/revoke`, { method: "POST" });
    $("client-key-box").hidden = true;
    await loadClients();
    notice("clients-message", `${client.name}의 키를 폐기했습니다`);
  } catch (error) {
    report("clients-message", error);
  }
}
