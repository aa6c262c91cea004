/* The upload tab: the form, the progress bar (bytes sent, then rows geocoded), and the row report. */

import { ApiError, sendForm, session, api } from "./api.js";
import { $, element, row, report } from "./dom.js";

const POLL_MS = 500;
const SEVERITY = { error: "오류", warning: "경고" };
const JOB_STATUS = { queued: "대기 중", running: "진행 중", done: "완료", failed: "실패" };
const MODE = { replace: "교체", merge: "병합" };
const DISTRICT_CHECK = { verified: "주소와 일치", mismatch: "주소와 불일치", unchecked: "검사 안 함" };
const SUMMARY_FIELDS = [["total_rows", "전체 행"], ["valid_rows", "정상 행"], ["invalid_rows", "오류 행"],
  ["errors", "오류"], ["warnings", "경고"], ["rows_to_geocode", "주소 변환 대상"], ["mode", "모드"],
  ["encoding", "인코딩"]];

const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function setProgress(percent, text, phase) {
  const bar = $("upload-progress");
  const clamped = Math.max(0, Math.min(100, Number(percent) || 0));
  bar.setAttribute("aria-valuenow", String(Math.round(clamped)));
  bar.dataset.phase = phase;
  bar.firstElementChild.style.width = `${clamped}%`;
  $("upload-status").textContent = text;
}

export async function upload(event) {
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
    const { status, data } = await sendForm("uploads", formData, (percent) => {
      setProgress(percent, `파일 전송 중 ${Math.round(percent)}%`, "upload");
    });
    if (status === 401) return;  // signed out already
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
    $("upload-submit").disabled = session.role === "read";
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
