/* The overview tab: live shops by 시도, the mix of precisions, the histogram of accuracy_m, and the
 * shops to pin first (largest radius first), each opening the review map on itself.
 *
 * The charts are inline SVG drawn here (no chart library): sizes are SVG attributes and colours
 * come from admin.css, so nothing needs an inline style the page's policy would refuse. Labels
 * are set as text, never parsed: shop names come from uploaded files. */

import { api } from "./api.js";
import { $, element, report, row } from "./dom.js";

const SVG_NS = "http://www.w3.org/2000/svg";
const PAGE = 20;  // shops of the to-pin list a page (the API's default)
const CHART = { width: 420, label: 130, countRoom: 60, rowHeight: 22, barHeight: 14 };
const UNKNOWN_SIDO = "unknown";  // the API's bucket for shops whose 시도 cannot be told
const PRECISION_NAMES = {
  manual: "수동 지정", supplied: "명단 좌표", entrance: "건물 입구", building: "건물", parcel: "지번",
  place: "장소 검색", emd: "읍면동 대표점", sigungu: "시군구 대표점", sido: "시도 대표점",
};
const state = { offset: 0, ticket: 0, openShop: () => {} };

const number = (value) => Number(value).toLocaleString("ko-KR");

/** "80 m", "1.5 km": a radius as an admin reads it. */
function metres(value) {
  if (value === null || value === undefined) return "–";
  return value < 1000 ? `${number(Math.round(value))} m` : `${number(Math.round(value / 100) / 10)} km`;
}

function binLabel({ min_m: low, max_m: high }) {
  if (high === null) return `${metres(low)} 초과`;
  if (high <= 1000 && low < 1000) return high < 1000 ? `${number(low)}–${number(high)} m` : `${number(low)} m–1 km`;
  return `${number(low / 1000)}–${number(high / 1000)} km`;
}

/** What choosing a shop of the to-pin list does (main.js: the review tab, on that shop). */
export function whenShopOpened(handler) {
  state.openShop = handler;
}

/** The overview with the to-pin page at `offset` (the one shown last when not given). */
export async function loadOverview(offset = state.offset) {
  const ticket = ++state.ticket;  // a quick second click: only the last answer is drawn
  $("overview-message").textContent = "";
  try {
    const overview = await api(`overview?limit=${PAGE}&offset=${Math.max(0, offset)}`);
    if (ticket !== state.ticket) return;
    state.offset = overview.to_pin.offset;
    showSummary(overview);
    const over = overview.accuracy.approximate_over_m;
    $("approximate-over").textContent = metres(over);
    barChart($("chart-sido"), "시도별 가게 수", overview.by_sido.map((b) => ({
      key: b.sido, label: b.sido === UNKNOWN_SIDO ? "알 수 없음" : b.sido, count: b.count })));
    barChart($("chart-precision"), "위치 정밀도별 가게 수", overview.by_precision.map((b) => ({
      key: b.precision, label: PRECISION_NAMES[b.precision] || b.precision, count: b.count })));
    barChart($("chart-accuracy"), "위치 오차 반경별 가게 수", overview.accuracy.bins.map((b) => ({
      key: String(b.min_m), label: binLabel(b), count: b.count, approximate: b.min_m >= over })));
    showToPin(overview.to_pin);
  } catch (error) {
    report("overview-message", error);
  }
}

/** The next (+1) or previous (-1) page of the to-pin list. */
export function pageToPin(step) {
  loadOverview(state.offset + step * PAGE);
}

function showSummary(overview) {
  const { total, accuracy } = overview;
  const share = total ? ` (${Math.round((100 * accuracy.approximate) / total)}%)` : "";
  const facts = [
    ["운영 중인 가게", `${number(total)}곳`],
    ["데이터 버전", overview.dataset_version ?? "없음"],
    [`오차 반경 ${metres(accuracy.approximate_over_m)} 초과 (대략적 위치)`, `${number(accuracy.approximate)}곳${share}`],
    ["오차 반경 중앙값", metres(accuracy.median_m)],
    ["오차 반경 90 백분위", metres(accuracy.p90_m)],
  ];
  $("overview-summary").replaceChildren(...facts.flatMap(([name, value]) => [element("dt", name), element("dd", value)]));
}

function svg(tag, attributes, text) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  if (text !== undefined) node.textContent = String(text);
  return node;
}

/** A horizontal bar chart: one row per item (label, bar, count), the longest bar the largest count. */
function barChart(container, title, items) {
  const { width, label, countRoom, rowHeight, barHeight } = CHART;
  const height = Math.max(1, items.length) * rowHeight + 4;
  const chart = svg("svg", { viewBox: `0 0 ${width} ${height}`, class: "chart", role: "img", "aria-label": title });
  const largest = Math.max(1, ...items.map((item) => item.count));
  const room = width - label - countRoom;
  items.forEach((item, k) => {
    const top = k * rowHeight + 2;
    const middle = top + rowHeight / 2;
    const bar = svg("g", { class: item.approximate ? "bar approximate" : "bar", "data-key": item.key,
                           "data-count": item.count });
    bar.append(
      svg("title", {}, `${item.label}: ${number(item.count)}곳`),
      svg("text", { x: label - 6, y: middle, "text-anchor": "end", "dominant-baseline": "central" }, item.label),
      svg("rect", { x: label, y: middle - barHeight / 2, height: barHeight,
                    width: item.count ? Math.max(1, (room * item.count) / largest) : 0 }),
      svg("text", { x: label + (room * item.count) / largest + 4, y: middle, "dominant-baseline": "central",
                    class: "count" }, number(item.count)),
    );
    chart.appendChild(bar);
  });
  if (!items.length) chart.appendChild(svg("text", { x: 4, y: 14, class: "count" }, "운영 중인 가게가 없습니다"));
  container.replaceChildren(chart);
}

function showToPin(toPin) {
  $("to-pin-table").tBodies[0].replaceChildren(...toPin.items.map((store, k) => {
    const open = element("button", store.name, "link");
    open.type = "button";
    open.dataset.storeId = store.id;
    open.title = "검토 지도에서 열기";
    open.addEventListener("click", () => state.openShop(store));
    const radius = element("span", metres(store.accuracy_m));
    if (store.approximate) radius.append(" ", element("span", "대략", "badge approximate"));
    const tr = row([toPin.offset + k + 1, open, store.address || store.region || "",
                    PRECISION_NAMES[store.precision] || store.precision, radius]);
    tr.dataset.storeId = store.id;
    return tr;
  }));
  const last = toPin.offset + toPin.items.length;
  $("to-pin-range").textContent = toPin.items.length
    ? `${number(toPin.offset + 1)}–${number(last)} / ${number(toPin.count)}곳` : `${number(toPin.count)}곳`;
  $("to-pin-prev").disabled = toPin.offset === 0;
  $("to-pin-next").disabled = toPin.next === null;
}
