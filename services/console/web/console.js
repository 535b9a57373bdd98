// crvs console: the operators' dashboard. Vanilla JS, no dependency, nothing loaded from
// another origin. Every figure comes from the JSON API as is: each element that shows a number
// carries the exact value in its data-value attribute (the text is the same value rounded for
// reading). Element ids are listed in services/console/README.md.
"use strict";

const STATUS_EVERY_MS = 5000;
const SLOW_EVERY_MS = 30000;

// ---- small helpers ------------------------------------------------------------------------

function $(id) { return document.getElementById(id); }

// el("td", {class: "num", id: "x"}, "text" | Node | [children])
function el(tag, attrs, children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "dataset") { for (const [dk, dv] of Object.entries(v)) node.dataset[dk] = dv; }
    else node.setAttribute(k, v === true ? "" : String(v));
  }
  append(node, children);
  return node;
}

function append(node, children) {
  if (children === null || children === undefined) return;
  if (Array.isArray(children)) { for (const c of children) append(node, c); return; }
  node.append(children instanceof Node ? children : document.createTextNode(String(children)));
}

function svgEl(tag, attrs) {
  const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, String(v));
  return node;
}

// Safe element id from a topic / connector name: anything outside [A-Za-z0-9_.-] becomes "_".
function idPart(s) { return String(s).replace(/[^A-Za-z0-9_.-]/g, "_"); }

function isNum(v) { return typeof v === "number" && isFinite(v); }

// Text of a number for reading; `digits` decimals, integers shown whole.
function fmt(v, digits) {
  if (!isNum(v)) return "—";
  if (digits === undefined) digits = Number.isInteger(v) ? 0 : 2;
  return v.toFixed(digits);
}

// Sets the element's text (rounded) and its exact value (data-value, "" when absent).
function setFigure(node, value, digits, scale) {
  if (!node) return;
  const shown = isNum(value) && scale ? value * scale : value;
  node.textContent = fmt(shown, digits);
  node.dataset.value = isNum(value) ? String(value) : "";
}

function setText(id, text) { const n = $(id); if (n) n.textContent = text === null || text === undefined ? "—" : String(text); }

function figureCell(id, value, digits, scale) {
  const td = el("td", {class: "num", id: id});
  setFigure(td, value, digits, scale);
  return td;
}

function ago(iso) {
  if (!iso) return "—";
  const s = (Date.now() - Date.parse(iso)) / 1000;
  return iso.replace("T", " ").replace(/\.\d+Z$/, "Z") + (isFinite(s) ? " (" + duration(s) + " ago)" : "");
}

function duration(seconds) {
  if (!isNum(seconds)) return "—";
  if (seconds < 120) return Math.round(seconds) + " s";
  if (seconds < 7200) return Math.round(seconds / 60) + " min";
  if (seconds < 172800) return (seconds / 3600).toFixed(1) + " h";
  return (seconds / 86400).toFixed(1) + " d";
}

function message(id, text, ok) {
  const n = $(id);
  if (!n) return;
  n.textContent = text || "";
  n.className = "message" + (text ? (ok ? " ok" : " error") : "");
}

// fetch JSON; errors become Error objects carrying the API's {error, code, fields}.
async function api(path, options) {
  let res;
  try {
    res = await fetch(path, Object.assign({headers: {"Accept": "application/json"}}, options || {}));
  } catch (e) {
    throw new Error("console unreachable: " + e.message);
  }
  let body = null;
  try { body = await res.json(); } catch (e) { body = null; }
  if (!res.ok) {
    const err = new Error(body && body.error ? body.error : "HTTP " + res.status);
    err.status = res.status;
    err.code = body && body.code;
    err.fields = body && body.fields || [];
    throw err;
  }
  return body;
}

function post(path, body) {
  return api(path, {method: "POST", headers: {"Content-Type": "application/json", "Accept": "application/json"},
                    body: JSON.stringify(body || {})});
}

function errorText(e) {
  const fields = (e.fields || []).map(f => f.field + ": " + f.description).join("; ");
  return (e.code ? e.code + ": " : "") + (fields || e.message);
}

// ---- charts -------------------------------------------------------------------------------

// Draws series (arrays of {t, v}, v null = gap) over the last `spanSeconds` ending `now`.
function drawChart(svg, seriesList, spanSeconds, now, unit) {
  const W = 600, H = 170, L = 56, R = 8, T = 8, B = 22;
  while (svg.firstChild) svg.removeChild(svg.firstChild);
  let max = 0;
  for (const s of seriesList) for (const p of s.points) if (isNum(p.v) && p.v > max) max = p.v;
  if (max <= 0) max = 1;
  const x = t => L + (W - L - R) * (1 - (now - t) / spanSeconds);
  const y = v => T + (H - T - B) * (1 - v / max);
  svg.append(svgEl("line", {class: "axis", x1: L, y1: H - B, x2: W - R, y2: H - B}));
  svg.append(svgEl("line", {class: "axis", x1: L, y1: T, x2: L, y2: H - B}));
  for (const frac of [0, 0.5, 1]) {
    const v = max * frac;
    const label = svgEl("text", {class: "tick", x: L - 4, y: y(v) + 4, "text-anchor": "end"});
    label.textContent = (v >= 100 ? Math.round(v) : v.toPrecision(3).replace(/\.?0+$/, "")) + (frac === 1 ? " " + unit : "");
    svg.append(label);
    if (frac > 0) svg.append(svgEl("line", {class: "axis", x1: L, y1: y(v), x2: W - R, y2: y(v), "stroke-dasharray": "2 4"}));
  }
  const minutes = Math.round(spanSeconds / 60);
  for (const [t, text, anchor] of [[now - spanSeconds, "-" + minutes + " min", "start"], [now - spanSeconds / 2, "-" + Math.round(minutes / 2) + " min", "middle"], [now, "now", "end"]]) {
    const label = svgEl("text", {class: "tick", x: x(t), y: H - 6, "text-anchor": anchor});
    label.textContent = text;
    svg.append(label);
  }
  seriesList.forEach((s, i) => {
    let d = "";
    let pen = false;
    for (const p of s.points) {
      if (!isNum(p.v) || p.t < now - spanSeconds) { pen = false; continue; }
      d += (pen ? "L" : "M") + x(p.t).toFixed(1) + " " + y(p.v).toFixed(1) + " ";
      pen = true;
    }
    if (d) svg.append(svgEl("path", {class: "line" + (i > 0 ? " second" : ""), d: d.trim()}));
  });
}

// ---- pipeline status ----------------------------------------------------------------------

let lastStatus = null;

function renderStatus(s) {
  lastStatus = s;
  setText("sampled-at", s.sampled_at ? s.sampled_at.replace("T", " ") : "—");
  setFigure($("window-seconds"), s.window_seconds, 1);
  setText("operator", s.operator);
  setFigure($("lag-messages-total"), s.lag.messages_total, 0);
  setFigure($("lag-seconds-max"), s.lag.seconds_max, 3);
  setFigure($("lag-messages-admin-total"), s.lag.admin_messages_total, 0);
  setFigure($("lag-seconds-admin-max"), s.lag.admin_seconds_max, 3);
  setFigure($("throughput-committed"), s.throughput.committed_per_second, 2);
  setFigure($("throughput-accepted"), s.throughput.accepted_per_second, 2);
  const g = s.latency.gateway_submit_to_receipt, c = s.latency.event_to_commit;
  setFigure($("latency-gateway-p50"), g.p50_seconds, 1, 1000);
  setFigure($("latency-gateway-p99"), g.p99_seconds, 1, 1000);
  setFigure($("latency-commit-p50"), c.p50_seconds, 3);
  setFigure($("latency-commit-p99"), c.p99_seconds, 3);
  setFigure($("open-dead-letters"), s.open_dead_letters, 0);
  const alarm = $("alarm-behind-log-start");
  setFigure(alarm, s.behind_log_start.length, 0);
  alarm.classList.toggle("alarm", s.behind_log_start.length > 0 || s.behind_log_start_events > 0);

  const kinds = $("kinds");
  kinds.replaceChildren(...s.kinds.map(k => el("tr", {}, [
    el("td", {}, k.kind),
    figureCell("kind-" + idPart(k.kind) + "-lag-messages", k.lag_messages, 0),
    figureCell("kind-" + idPart(k.kind) + "-lag-seconds", k.lag_seconds_max, 3),
    figureCell("kind-" + idPart(k.kind) + "-lag-messages-admin", k.admin_lag_messages, 0),
    figureCell("kind-" + idPart(k.kind) + "-committed", k.committed_per_second, 2),
    figureCell("kind-" + idPart(k.kind) + "-accepted", k.accepted_per_second, 2),
  ])));

  // Idle partitions (no lag, not paused, no alarm) stay in the page, hidden unless asked for.
  const showAll = $("partitions-show-all").checked;
  let idle = 0;
  const parts = $("partitions");
  parts.replaceChildren(...s.partitions.map(p => {
    const id = idPart(p.topic) + "-" + p.partition;
    const behind = p.behind_log_start === true;
    const quiet = !(p.lag_messages > 0) && !(p.admin_lag_messages > 0) && !behind && p.paused !== true;
    if (quiet) idle++;
    return el("tr", {class: behind ? "alarm" : null, hidden: quiet && !showAll}, [
      el("td", {}, p.topic),
      el("td", {class: "num"}, p.partition),
      el("td", {}, p.kind || ""),
      figureCell("lag-messages-" + id, p.lag_messages, 0),
      figureCell("lag-seconds-" + id, p.lag_seconds, 3),
      figureCell("lag-messages-admin-" + id, p.admin_lag_messages, 0),
      figureCell("committed-offset-" + id, p.committed_offset, 0),
      figureCell("high-watermark-" + id, p.high_watermark, 0),
      figureCell("log-start-" + id, p.log_start_offset, 0),
      el("td", {id: "paused-" + id}, p.paused === null ? "—" : (p.paused ? "paused" : "no")),
      el("td", {id: "behind-log-start-" + id}, p.behind_log_start === null ? "—" : (behind ? "ALARM" : "no")),
    ]);
  }));

  setText("partitions-idle-count", idle);
  if (!showAll && idle === s.partitions.length) {
    parts.append(el("tr", {}, el("td", {colspan: 11, class: "meta"},
      s.partitions.length ? "no partition has lag" : "no partition reported yet")));
  }

  const conns = $("connectors");
  conns.replaceChildren(...s.connectors.map(c => {
    const id = idPart(c.name);
    const pause = el("button", {type: "button", id: "connector-" + id + "-pause", disabled: c.state === "paused"}, "Pause");
    const resume = el("button", {type: "button", id: "connector-" + id + "-resume", disabled: c.state !== "paused"}, "Resume");
    pause.addEventListener("click", () => connectorAction(c.name, "pause"));
    resume.addEventListener("click", () => connectorAction(c.name, "resume"));
    return el("tr", {}, [
      el("td", {}, c.name),
      el("td", {id: "connector-" + id + "-state"}, el("span", {class: "badge " + (c.state === "running" ? "ok" : c.state === "failed" ? "bad" : "warn")}, c.state)),
      el("td", {}, ago(c.since)),
      el("td", {}, c.last_error || ""),
      el("td", {}, [pause, " ", resume]),
    ]);
  }));

  const problems = [];
  for (const sc of s.scrapes) if (!sc.ok) problems.push("metrics " + sc.url + ": " + sc.error);
  if (!s.admin.ok) problems.push("Admin service: " + errorText(s.admin.error));
  for (const b of s.behind_log_start) {
    problems.push("ALARM: " + b.topic + "/" + b.partition + " (" + b.consumer_group + ") committed offset " +
                  b.committed_offset + " is below the log start " + b.log_start_offset + ": messages expired unread; reconcile and request re-sends");
  }
  showProblems("status", problems);
}

const problemSets = {};
function showProblems(key, list) {
  problemSets[key] = list;
  const all = Object.values(problemSets).flat();
  const box = $("problems");
  box.textContent = all.join("\n");
  box.hidden = all.length === 0;
  const health = $("health");
  health.textContent = all.length === 0 ? "all sources answering" : all.length + " problem" + (all.length > 1 ? "s" : "");
  health.className = "badge " + (all.length === 0 ? "ok" : "bad");
}

async function connectorAction(name, action) {
  try {
    const c = await post("/api/connectors/" + encodeURIComponent(name) + "/" + action);
    message("connector-message", name + " is now " + c.state, true);
  } catch (e) {
    message("connector-message", action + " " + name + ": " + errorText(e), false);
  }
  refreshStatus();
}

function renderHistory(h) {
  const now = Date.now() / 1000;
  const pts = h.points;
  const span = h.history_seconds;
  drawChart($("chart-lag-messages"), [{points: pts.map(p => ({t: p.t, v: p.lag_messages_total}))}], span, now, "msg");
  drawChart($("chart-lag-seconds"), [{points: pts.map(p => ({t: p.t, v: p.lag_seconds_max}))}], span, now, "s");
  drawChart($("chart-throughput"), [
    {points: pts.map(p => ({t: p.t, v: p.committed_per_second}))},
    {points: pts.map(p => ({t: p.t, v: p.accepted_per_second}))},
  ], span, now, "/s");
}

async function refreshStatus() {
  try {
    const [status, history] = await Promise.all([api("/api/status"), api("/api/history")]);
    renderStatus(status);
    renderHistory(history);
    document.body.dataset.statusLoaded = "true";
  } catch (e) {
    showProblems("status", [e.message]);
  }
}

// ---- dead letters -------------------------------------------------------------------------

let dlNextToken = "";
let dlSelected = null;

async function refreshDeadLetters(append) {
  const state = $("dl-state").value;
  let path = "/api/dead-letters?state=" + encodeURIComponent(state) + "&page_size=50";
  if (append && dlNextToken) path += "&page_token=" + encodeURIComponent(dlNextToken);
  try {
    const page = await api(path);
    const rows = page.dead_letters.map(d => {
      const tr = el("tr", {class: "clickable" + (d.id === dlSelected ? " selected" : ""), id: "dl-row-" + d.id}, [
        el("td", {class: "num"}, d.id),
        el("td", {}, d.failed_at || "—"),
        el("td", {}, d.original_topic + " / " + d.partition + " / " + d.offset),
        el("td", {}, d.error_class),
        el("td", {}, d.business_key),
        el("td", {}, d.error_message),
        el("td", {id: "dl-row-" + d.id + "-state"}, d.state),
      ]);
      tr.addEventListener("click", () => openDeadLetter(d.id));
      return tr;
    });
    if (append) $("dl-list").append(...rows); else $("dl-list").replaceChildren(...rows);
    dlNextToken = page.next_page_token;
    $("dl-more").hidden = !dlNextToken;
    showProblems("dead-letters", []);
  } catch (e) {
    showProblems("dead-letters", ["dead letters: " + errorText(e)]);
  }
}

async function openDeadLetter(id) {
  dlSelected = id;
  for (const tr of document.querySelectorAll("#dl-list tr")) tr.classList.toggle("selected", tr.id === "dl-row-" + id);
  message("dl-message", "");
  try {
    renderDeadLetter(await api("/api/dead-letters/" + id));
  } catch (e) {
    message("dl-message", errorText(e), false);
  }
}

function renderDeadLetter(d) {
  $("dl-detail").hidden = false;
  setText("dl-detail-id", d.id);
  const state = $("dl-detail-state");
  state.textContent = d.state;
  state.className = "badge " + (d.state === "open" ? "warn" : "ok");
  const fields = [
    ["original topic", d.original_topic], ["partition", d.partition], ["offset", d.offset],
    ["business key", d.business_key], ["error class", d.error_class], ["error", d.error_message],
    ["attempts", d.attempts], ["failed at", d.failed_at], ["key", d.key !== null ? d.key : "base64:" + d.key_base64],
    ["resolved at", d.resolved_at], ["resolved by", d.resolved_by], ["note / reason", d.resolution_note],
  ];
  $("dl-detail-fields").replaceChildren(...fields.flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v === null || v === "" ? "—" : v)]));
  $("dl-detail-headers").replaceChildren(...d.headers.map(h => el("tr", {}, [
    el("td", {}, h.key), el("td", {}, h.value !== null ? h.value : "base64:" + h.value_base64)])));
  if (d.envelope) {
    setText("dl-detail-payload-note", "(" + d.payload_size + " bytes, decoded as a RecordEnvelope; personal IDs and names masked)");
    $("dl-detail-payload").textContent = JSON.stringify(d.envelope, null, 2);
  } else {
    setText("dl-detail-payload-note", "(" + d.payload_size + " bytes; " + d.envelope_error + ")");
    $("dl-detail-payload").textContent = "(not shown: raw bytes may hold personal data, which the console masks)";
  }
  const open = d.state === "open";
  $("dl-replay").disabled = !open;
  $("dl-discard").disabled = !open;
}

async function replaySelected() {
  if (dlSelected === null) return;
  try {
    const d = await post("/api/dead-letters/" + dlSelected + "/replay", {note: $("dl-note").value});
    $("dl-note").value = "";
    await openDeadLetter(d.id);
    message("dl-message", "dead letter " + d.id + " replayed", true);
  } catch (e) {
    message("dl-message", "replay: " + errorText(e), false);
  }
  refreshDeadLetters(false);
  refreshStatus();
}

async function discardSelected() {
  if (dlSelected === null) return;
  const reason = $("dl-reason").value.trim();
  if (!reason) {
    // The API refuses it too (400 on "reason"); say so before asking.
    message("dl-message", "discard: a reason is required: say why this record will never be applied", false);
    $("dl-reason").focus();
    return;
  }
  try {
    const d = await post("/api/dead-letters/" + dlSelected + "/discard", {reason: reason});
    $("dl-reason").value = "";
    await openDeadLetter(d.id);
    message("dl-message", "dead letter " + d.id + " discarded", true);
  } catch (e) {
    message("dl-message", "discard: " + errorText(e), false);
  }
  refreshDeadLetters(false);
  refreshStatus();
}

// ---- coverage, indicators, silent sources --------------------------------------------------

function renderCoverageCard(prefix, report) {
  setText(prefix + "period", report.period);
  setFigure($(prefix + "total-percent"), report.total.coverage_percent, 1);
  setFigure($(prefix + "on-time-percent"), report.total.on_time_percent, 1);
  setFigure($(prefix + "declared"), report.total.declared, 0);
  setFigure($(prefix + "missing"), report.total.missing, 0);
}

async function refreshCoverage() {
  try {
    // The server picks this month and this year in Vietnam's calendar when no period is given.
    const month = await api("/api/coverage");
    renderCoverageCard("coverage-", month);
    const year = await api("/api/coverage?period=" + month.period.slice(0, 4));
    renderCoverageCard("coverage-year-", year);
    $("coverage-rows").replaceChildren(...month.rows.map(r => el("tr", {}, [
      el("td", {}, r.source || "—"), el("td", {}, r.kind || "all"),
      figureCell(null, r.declared, 0), figureCell(null, r.present, 0), figureCell(null, r.missing, 0),
      figureCell(null, r.content_mismatch, 0), figureCell(null, r.extra, 0),
      figureCell(null, r.coverage_percent, 1), figureCell(null, r.on_time_percent, 1),
    ])));
    message("coverage-message", "");
  } catch (e) {
    message("coverage-message", "coverage: " + errorText(e), false);
  }
}

async function refreshIndicators() {
  try {
    const report = await api("/api/indicators");
    setText("indicators-period", report.period + ", as of " + (report.as_of || "today"));
    const cards = report.values.filter(v => !v.breakdown_key).map(v => {
      const met = v.met_2030 !== null ? v.met_2030 : v.met_2028;
      const metText = (flag, target, year) => target === null ? "" : year + " target " + target + " %: " + (flag === null ? "—" : flag ? "met" : "not met");
      const value = el("span", {id: "indicator-" + idPart(v.id) + "-percent"});
      setFigure(value, v.percent, 1);
      return el("div", {class: "card" + (met === true ? " met" : met === false ? " not-met" : ""), id: "indicator-" + idPart(v.id), title: v.definition}, [
        el("div", {class: "label"}, v.id + " · " + v.definition),
        el("div", {class: "value"}, [value, " %"]),
        el("div", {class: "sub"}, v.numerator + " / " + v.denominator + (v.open_not_mature ? " · " + v.open_not_mature + " not yet mature" : "")),
        el("div", {class: "sub", id: "indicator-" + idPart(v.id) + "-met-2028", dataset: {value: v.met_2028 === null ? "" : String(v.met_2028)}}, metText(v.met_2028, v.target_2028, 2028)),
        el("div", {class: "sub", id: "indicator-" + idPart(v.id) + "-met-2030", dataset: {value: v.met_2030 === null ? "" : String(v.met_2030)}}, metText(v.met_2030, v.target_2030, 2030)),
      ]);
    });
    $("indicators").replaceChildren(...cards);
    message("indicators-message", "");
  } catch (e) {
    message("indicators-message", "indicators: " + errorText(e), false);
  }
}

async function refreshSilentSources() {
  try {
    const page = await api("/api/silent-sources");
    setFigure($("silent-sources-count"), page.silent_sources.length, 0);
    $("silent-sources").replaceChildren(...page.silent_sources.map(s => el("tr", {}, [
      el("td", {}, s.source || "—"), el("td", {}, ago(s.last_seen)),
      el("td", {class: "num"}, duration(s.usual_cadence_seconds)), el("td", {class: "num"}, duration(s.quiet_for_seconds)),
    ])));
    message("silent-message", "");
  } catch (e) {
    message("silent-message", "silent sources: " + errorText(e), false);
  }
}

// ---- offset alarms ------------------------------------------------------------------------

async function refreshAlarms() {
  try {
    const page = await api("/api/alarms?include_acknowledged=true");
    const open = page.alarms.filter(a => !a.acknowledged_at);
    $("alarm-rows").replaceChildren(...page.alarms.map(a => {
      const ack = a.acknowledged_at ? null : el("button", {type: "button"}, "Acknowledge");
      if (ack) ack.addEventListener("click", () => acknowledgeAlarm(a.alarm_id));
      return el("tr", {id: "alarm-" + idPart(a.alarm_id)}, [
        el("td", {}, a.kind === "log_reset" ? "log reset" : "records lost"), el("td", {}, a.topic),
        el("td", {class: "num"}, String(a.partition)), el("td", {}, a.consumer_group),
        el("td", {class: "num"}, String(a.from_offset)), el("td", {class: "num"}, String(a.to_offset)),
        el("td", {}, a.reason), el("td", {}, ago(a.detected_at)),
        el("td", {}, a.acknowledged_at ? a.acknowledged_by + ", " + ago(a.acknowledged_at) : "—"),
        el("td", {}, ack),
      ]);
    }));
    showProblems("alarms", open.map(a => a.kind === "log_reset"
      ? "ALARM: " + a.topic + "/" + a.partition + " (" + a.consumer_group + ") log reset (" + a.reason + "): position " + a.from_offset + " moved to " + a.to_offset + " and the log re-read; acknowledge once checked"
      : "ALARM: " + a.topic + "/" + a.partition + " (" + a.consumer_group + ") offsets " + a.from_offset + "–" + a.to_offset + " expired unread; request re-sends, then acknowledge"));
  } catch (e) {
    showProblems("alarms", ["offset alarms: " + errorText(e)]);
  }
}

async function acknowledgeAlarm(id) {
  try {
    await post("/api/alarms/acknowledge", {alarm_id: id, note: $("alarm-note").value});
    message("alarm-message", id + " acknowledged", true);
  } catch (e) {
    message("alarm-message", "acknowledge " + id + ": " + errorText(e), false);
  }
  refreshAlarms();
}

function refreshSlow() {
  refreshCoverage();
  refreshIndicators();
  refreshSilentSources();
}

// ---- start --------------------------------------------------------------------------------

document.addEventListener("DOMContentLoaded", () => {
  $("dl-state").addEventListener("change", () => refreshDeadLetters(false));
  $("partitions-show-all").addEventListener("change", () => { if (lastStatus) renderStatus(lastStatus); });
  $("dl-refresh").addEventListener("click", () => refreshDeadLetters(false));
  $("dl-more").addEventListener("click", () => refreshDeadLetters(true));
  $("dl-replay").addEventListener("click", replaySelected);
  $("dl-discard").addEventListener("click", discardSelected);
  refreshStatus();
  refreshDeadLetters(false);
  refreshAlarms();
  refreshSlow();
  setInterval(refreshAlarms, STATUS_EVERY_MS * 2);
  setInterval(refreshStatus, STATUS_EVERY_MS);
  setInterval(() => { if (!dlNextToken) refreshDeadLetters(false); }, STATUS_EVERY_MS * 2);
  setInterval(refreshSlow, SLOW_EVERY_MS);
});
