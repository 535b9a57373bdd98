// crvs console: the operators' dashboard. Vanilla JS, no dependency, nothing loaded from
// another origin. Every figure comes from the JSON API as is: each element that shows a number
// carries the exact value in its data-value attribute (the text is the same value rounded for
// reading). Element ids are listed in services/console/README.md.
//
// Words come from /i18n/vi.json (the default) or /i18n/en.json: static ones through the
// data-i18n* attributes of index.html, the rest through t(). Dates are shown as dd/mm/yyyy in
// Vietnam time (UTC+07:00), the exact value kept in a datetime attribute.
//
// Sign-in: GET /api/session says who is signed in (401: the sign-in form, or with client
// certificates a message); every POST but the sign-in itself carries the session's CSRF token.
"use strict";

const STATUS_EVERY_MS = 5000;
const SLOW_EVERY_MS = 30000;
const IDLE_CHECK_EVERY_MS = 15000;
const LANGUAGES = ["vi", "en"];
const LANGUAGE_KEY = "crvs.lang";
// The country grid: the indicators it shows per province and the one it ranks by, worst first.
const COUNTRY_COLUMNS = ["B1", "B2", "D1"];
const COUNTRY_RANK_BY = "B1";  // timely birth registration (within 60 days)
const UNKNOWN_PROVINCE = "??";
// Vietnam keeps UTC+07:00 all year (no daylight saving time), so a fixed offset is exact.
const VIETNAM_OFFSET_MS = 7 * 3600 * 1000;

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

// A true / false / null flag: data-value "true", "false" or "".
function flagValue(flag) { return flag === null || flag === undefined ? "" : String(flag); }

function message(id, text, ok) {
  const n = $(id);
  if (!n) return;
  n.textContent = text || "";
  n.className = "message" + (text ? (ok ? " ok" : " error") : "");
}

// ---- words --------------------------------------------------------------------------------

let lang = "vi";
let strings = {};

function hasText(key) { return Object.prototype.hasOwnProperty.call(strings, key); }

// The text of `key` in the page's language, {name} placeholders filled from `params`. A key
// without text shows as itself (a missing word is visible, not blank).
function t(key, params) {
  const text = hasText(key) ? strings[key] : key;
  if (!params) return text;
  return text.replace(/\{(\w+)\}/g, (whole, name) =>
    params[name] === undefined || params[name] === null ? whole : String(params[name]));
}

// The word for a value of the API (a record kind, a state, a role): `prefix + value` when the
// files have it, else the value itself (a new value still shows).
function word(prefix, value) {
  if (value === null || value === undefined || value === "") return "—";
  return hasText(prefix + value) ? strings[prefix + value] : String(value);
}

// ?lang=vi|en in the address, else the choice remembered in this browser, else Vietnamese.
function chooseLanguage() {
  const asked = new URLSearchParams(location.search).get("lang");
  if (LANGUAGES.includes(asked)) return asked;
  let remembered = null;
  try { remembered = localStorage.getItem(LANGUAGE_KEY); } catch (e) { /* storage disabled */ }
  return LANGUAGES.includes(remembered) ? remembered : "vi";
}

async function loadLanguage(which) {
  let loaded = {};
  try {
    const res = await fetch("/i18n/" + which + ".json", {headers: {"Accept": "application/json"}});
    if (res.ok) loaded = await res.json();
  } catch (e) {
    // The page still works: static words stay as index.html has them, t() shows keys.
  }
  strings = loaded && typeof loaded === "object" ? loaded : {};
  lang = which;
  document.documentElement.lang = which;
}

function applyStaticText() {
  const each = (attr, apply) => {
    for (const n of document.querySelectorAll("[" + attr + "]")) {
      const key = n.getAttribute(attr);
      if (hasText(key)) apply(n, strings[key]);
    }
  };
  each("data-i18n", (n, text) => { n.textContent = text; });
  each("data-i18n-title", (n, text) => { n.title = text; });
  each("data-i18n-aria-label", (n, text) => { n.setAttribute("aria-label", text); });
  each("data-i18n-placeholder", (n, text) => { n.placeholder = text; });
  $("lang-toggle").lang = lang === "vi" ? "en" : "vi";  // the button names the other language
  updateTitle();
}

async function toggleLanguage() {
  const next = lang === "vi" ? "en" : "vi";
  try { localStorage.setItem(LANGUAGE_KEY, next); } catch (e) { /* storage disabled */ }
  // ?lang= wins over the remembered choice: keep it in step so that a reload keeps the language.
  const url = new URL(location.href);
  if (url.searchParams.has("lang")) {
    url.searchParams.set("lang", next);
    history.replaceState(history.state, "", url);
  }
  await loadLanguage(next);
  applyStaticText();
  renderSession();
  renderLoginMessage();
  if (dashboardShown) {
    // What is on screen is drawn again in the new words; the lists are simply asked again.
    if (lastStatus) renderStatus(lastStatus);
    if (lastHistory) renderHistory(lastHistory);
    if (dlDetail) renderDeadLetter(dlDetail);
    renderProvinceFilter();
    refreshDeadLetters(false);
    refreshAlarms();
    refreshFeeds();
    refreshSlow();
  }
}

// ---- dates and durations ------------------------------------------------------------------

function pad2(n) { return String(n).padStart(2, "0"); }

// The wall clock in Vietnam of an RFC 3339 instant, as a Date read with its getUTC* methods.
function vietnamClock(iso) {
  const ms = Date.parse(iso);
  return isFinite(ms) ? new Date(ms + VIETNAM_OFFSET_MS) : null;
}

// "06/12/2026 14:05 (UTC+07:00)"; with `seconds`, "06/12/2026 14:05:09 (UTC+07:00)".
function formatDateTime(iso, seconds) {
  if (!iso) return "—";
  const d = vietnamClock(iso);
  if (!d) return String(iso);
  return pad2(d.getUTCDate()) + "/" + pad2(d.getUTCMonth() + 1) + "/" + d.getUTCFullYear() + " " +
         pad2(d.getUTCHours()) + ":" + pad2(d.getUTCMinutes()) + (seconds ? ":" + pad2(d.getUTCSeconds()) : "") +
         " (UTC+07:00)";
}

// "06/12/2026" of a calendar date ("2026-12-06", already Vietnam's) or of an instant.
function formatDate(text) {
  if (!text) return "—";
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (m) return m[3] + "/" + m[2] + "/" + m[1];
  const d = vietnamClock(text);
  return d ? pad2(d.getUTCDate()) + "/" + pad2(d.getUTCMonth() + 1) + "/" + d.getUTCFullYear() : String(text);
}

// A reporting period as the API spells it (2026, 2026-Q1, 2026-05) in words.
function formatPeriod(p) {
  if (!p) return "—";
  let m;
  if ((m = /^(\d{4})$/.exec(p))) return t("period.year", {year: m[1]});
  if ((m = /^(\d{4})-Q([1-4])$/.exec(p))) return t("period.quarter", {year: m[1], quarter: m[2]});
  if ((m = /^(\d{4})-(\d{2})$/.exec(p))) return t("period.month", {year: m[1], month: m[2]});
  return String(p);
}

// Server messages spell instants in RFC 3339 UTC ("locked until 2026-12-06T13:05:00Z"): shown
// in Vietnam time like every other date of the page.
function localizeTimes(text) {
  return String(text).replace(/\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?Z\b/g, iso => formatDateTime(iso));
}

// <time datetime="exact RFC 3339">dd/mm/yyyy hh:mm (UTC+07:00)[, n min ago]</time>
function timeEl(iso, options) {
  const opts = options || {};
  if (!iso) return "—";
  let text = formatDateTime(iso, opts.seconds);
  if (opts.ago) {
    const s = (Date.now() - Date.parse(iso)) / 1000;
    if (isFinite(s)) text += ", " + t("time.ago", {duration: duration(s)});
  }
  return el("time", {datetime: iso, dataset: {value: iso}}, text);
}

function duration(seconds) {
  if (!isNum(seconds)) return "—";
  if (seconds < 120) return t("duration.seconds", {n: Math.round(seconds)});
  if (seconds < 7200) return t("duration.minutes", {n: Math.round(seconds / 60)});
  if (seconds < 172800) return t("duration.hours", {n: (seconds / 3600).toFixed(1)});
  return t("duration.days", {n: (seconds / 86400).toFixed(1)});
}

// ---- the API ------------------------------------------------------------------------------

// fetch JSON; errors become Error objects carrying the API's {error, code, fields} and the
// HTTP status (0: the console did not answer). A 401 means the session ended: the page goes
// back to sign-in, unless `noExpiry` (the session calls themselves).
async function api(path, options) {
  const opts = Object.assign({headers: {"Accept": "application/json"}, credentials: "same-origin"}, options || {});
  const noExpiry = opts.noExpiry === true;
  delete opts.noExpiry;
  let res;
  try {
    res = await fetch(path, opts);
  } catch (e) {
    const err = new Error(t("error.unreachable", {detail: e.message}));
    err.status = 0;
    err.fields = [];
    throw err;
  }
  let body = null;
  try { body = await res.json(); } catch (e) { body = null; }
  if (!res.ok) {
    const err = new Error(body && body.error ? body.error : "HTTP " + res.status);
    err.status = res.status;
    err.code = body && body.code;
    err.fields = body && body.fields || [];
    err.auth = body && body.auth;
    err.retryAfter = res.headers.get("Retry-After");
    if (res.status === 401 && !noExpiry) sessionExpired(body);
    throw err;
  }
  return body;
}

// A state-changing request: JSON, with the session's CSRF token (the server refuses a POST
// without it, so a page of another origin cannot act with the operator's cookie).
function post(path, body, options) {
  const headers = {"Content-Type": "application/json", "Accept": "application/json"};
  if (session && session.csrf_token) headers["X-CSRF-Token"] = session.csrf_token;
  return api(path, Object.assign({method: "POST", headers: headers, body: JSON.stringify(body || {})}, options || {}));
}

const STATUS_WORDS = {
  400: "error.400", 401: "error.401", 403: "error.403", 404: "error.404", 409: "error.409",
  412: "error.409", 429: "error.429", 500: "error.500", 501: "error.501", 503: "error.503",
};

// The server's words for an error: "<message> (field: why; …) [CODE]".
function errorDetail(messageText, fields, code) {
  const list = (fields || []).map(f => f.field + ": " + f.description).join("; ");
  let text = localizeTimes(messageText || "");
  if (list) text += (text ? " " : "") + "(" + list + ")";
  if (code) text += (text ? " " : "") + "[" + code + "]";
  return text;
}

// "Không có quyền: <the server's message> (field: why; …) [CODE]": what the status means,
// then what the server said.
function errorText(e) {
  if (!e.status) return e.message;  // the console did not answer: already in words
  const prefix = STATUS_WORDS[e.status] ? t(STATUS_WORDS[e.status]) : t("error.http", {status: e.status});
  return prefix + ": " + errorDetail(e.message, e.fields, e.code);
}

// ---- session ------------------------------------------------------------------------------

let session = null;          // GET /api/session's answer while signed in
let authMode = "password";   // "password", "certificate", or "none" (a console without sign-in)
let dashboardShown = false;
let loginMessage = null;     // {key, params, detail, ok}: kept to be shown again in another language
let lastActivity = Date.now();
let timers = [];
const provinceNames = {};    // code → name, from the session and the country grid

async function checkSession() {
  try {
    signedIn(await api("/api/session", {noExpiry: true}));
  } catch (e) {
    if (e.status === 401) {
      showLogin(e.auth, null);
    } else if (e.status === 404) {
      // A console from before sign-in (no /api/session): nothing to sign in to.
      authMode = "none";
      signedIn(null);
    } else if (e.status === 403) {
      // Only client-certificate sign-in answers GET /api/session with 403 (a certificate naming
      // no account, or a disabled one); a password form would not help.
      showLogin("certificate", {key: "login.refused", detail: errorText(e)});
    } else {
      showLogin(e.auth, {key: "login.unavailable", detail: errorText(e), retry: true});
    }
  }
}

function signedIn(s) {
  session = s;
  if (s && s.auth) authMode = s.auth;
  if (s && s.province_code && s.province_name) provinceNames[s.province_code] = s.province_name;
  lastActivity = Date.now();
  loginMessage = null;
  dashboardShown = true;
  $("starting").hidden = true;
  $("login").hidden = true;
  $("dashboard").hidden = false;
  $("header-figures").hidden = false;
  // A provincial operator sees their province only; a national one may choose (#province-NN).
  provinceFilter = s && s.province_code ? s.province_code : provinceFromHash();
  renderSession();
  applyRole();
  renderProvinceFilter();
  if (!lastStatus) $("health").textContent = t("health.loading");
  refreshAll();
  startTimers();
}

// Back to sign-in: stops the refresh loop and takes personal data off the screen (and the
// lists of the previous scope, which the next operator may not be entitled to).
function showLogin(auth, msg) {
  stopTimers();
  if (auth) authMode = auth;
  session = null;
  dashboardShown = false;
  clearDeadLetterDetail();
  for (const id of ["dl-list", "country-rows", "country-total", "coverage-rows", "indicators", "feed-rows"]) $(id).replaceChildren();
  $("starting").hidden = true;
  $("dashboard").hidden = true;
  $("header-figures").hidden = true;
  $("login").hidden = false;
  renderSession();
  const certificate = authMode === "certificate";
  $("login-form").hidden = certificate;
  $("login-password").value = "";
  loginMessage = msg;
  renderLoginMessage();
  if (!certificate) $("login-name").focus();
}

function sessionExpired(body) {
  if (!dashboardShown) return;  // several answers may say so at once
  showLogin(body && body.auth, {key: "login.expired"});
}

function setLoginMessage(msg) {
  loginMessage = msg;
  renderLoginMessage();
}

function renderLoginMessage() {
  const msg = loginMessage;
  const certificate = authMode === "certificate";
  const parts = [];
  if (msg) parts.push(t(msg.key, msg.params) + (msg.detail ? " — " + msg.detail : ""));
  // With client certificates there is no form: say what opens the door.
  if (certificate) parts.push(t("login.certificate"));
  const n = $("login-message");
  n.textContent = parts.join(" ");
  n.className = "message" + (msg ? (msg.ok ? " ok" : " error") : "");
  $("login-retry").hidden = !(certificate || (msg && msg.retry));
}

async function signIn(event) {
  event.preventDefault();
  const name = $("login-name").value.trim();
  const password = $("login-password").value;
  if (!name || !password) {
    setLoginMessage({key: "login.missing"});
    (name ? $("login-password") : $("login-name")).focus();
    return;
  }
  $("login-submit").disabled = true;
  setLoginMessage({key: "login.signing_in", ok: true});
  try {
    // The sign-in has no session yet, so no CSRF token; the server sets the (HttpOnly) cookie.
    const s = await api("/api/session", {
      method: "POST", noExpiry: true,
      headers: {"Content-Type": "application/json", "Accept": "application/json"},
      body: JSON.stringify({name: name, password: password}),
    });
    $("login-password").value = "";
    signedIn(s);
  } catch (e) {
    $("login-password").value = "";
    setLoginMessage(signInFailure(e));
    $("login-password").focus();
  } finally {
    $("login-submit").disabled = false;
  }
}

function signInFailure(e) {
  const detail = e.status ? localizeTimes(e.message) : e.message;
  switch (e.status) {
    case 401: return {key: "login.error.wrong", detail: detail};
    case 403: return {key: "login.error.locked", detail: detail};
    case 429: return {key: "login.error.throttled", detail: detail +
                      (e.retryAfter ? " " + t("login.retry_after", {seconds: e.retryAfter}) : "")};
    default: return {key: "login.error.other", detail: errorText(e), retry: e.status === 0 || e.status >= 500};
  }
}

async function logout() {
  try {
    await post("/api/session/logout", {}, {noExpiry: true});
  } catch (e) {
    if (e.status !== 401) {  // 401: already over, which is what was asked
      showProblems("session", [t("session.logout_failed") + ": " + errorText(e)]);
      return;
    }
  }
  showProblems("session", []);
  showLogin(authMode, {key: "login.signed_out", ok: true});
}

// The refresh loop calls the API every few seconds, which keeps the server's session alive
// however long nobody is at the screen: the idle time is therefore measured here, from what
// the person does, and the page signs out after the session's idle_seconds.
function noteActivity() { lastActivity = Date.now(); }

function checkIdle() {
  if (!session || !isNum(session.idle_seconds) || session.idle_seconds <= 0) return;
  if (Date.now() - lastActivity < session.idle_seconds * 1000) return;
  post("/api/session/logout", {}, {noExpiry: true}).catch(() => { /* ends at its idle time anyway */ });
  showLogin(authMode, {key: "login.expired_idle"});
}

function renderSession() {
  const who = $("session-operator");
  $("session-box").hidden = !session;
  if (!session) {
    who.textContent = "—";
    who.dataset.role = "";
    who.dataset.province = "";
    who.removeAttribute("title");
    updateTitle();
    return;
  }
  who.dataset.role = session.role || "";
  who.dataset.province = session.province_code || "";
  who.textContent = t("session.who", {name: session.name, role: word("role.", session.role),
                                      scope: scopeName(session.province_code)});
  who.title = t("session.details", {operator: session.operator, auth: word("auth.", session.auth),
                                    expires: formatDateTime(session.expires_at)});
  updateTitle();
}

function provinceName(code) {
  if (code === UNKNOWN_PROVINCE) return t("province.unknown");
  return provinceNames[code] || t("province.code", {code: code});
}

function scopeName(code) { return code ? provinceName(code) : t("scope.national"); }

// The page's title says the province a provincial operator works on.
function updateTitle() {
  const code = session && session.province_code;
  document.title = t("page.title") + (code ? " — " + provinceName(code) : "");
}

function canOperate() {
  if (authMode === "none") return true;  // no sign-in: the server decides alone
  return session !== null && (session.role === "operator" || session.role === "admin");
}

// Pausing a connector or acknowledging an offset alarm affects every province: national
// operators only (the Admin service refuses a provincial one).
function canOperateNationally() {
  return canOperate() && (authMode === "none" || !session.province_code);
}

// A viewer sees no replay / discard / reveal / pause / resume / acknowledge: the elements of
// class needs-operator are hidden (the server refuses them with 403 anyway).
function applyRole() {
  const allowed = canOperate();
  for (const n of document.querySelectorAll(".needs-operator")) n.hidden = !allowed;
  const national = canOperateNationally();
  for (const n of document.querySelectorAll(".needs-national-operator")) n.hidden = !national;
  for (const n of document.querySelectorAll(".viewer-note")) n.hidden = allowed;
  for (const n of document.querySelectorAll(".national-only-note")) n.hidden = national;
}

function startTimers() {
  stopTimers();
  timers = [
    setInterval(refreshStatus, STATUS_EVERY_MS),
    setInterval(refreshAlarms, STATUS_EVERY_MS * 2),
    setInterval(refreshFeeds, STATUS_EVERY_MS * 2),
    setInterval(() => { if (!dlNextToken) refreshDeadLetters(false); }, STATUS_EVERY_MS * 2),
    setInterval(refreshSlow, SLOW_EVERY_MS),
    setInterval(checkIdle, IDLE_CHECK_EVERY_MS),
  ];
}

function stopTimers() {
  for (const id of timers) clearInterval(id);
  timers = [];
}

// ---- charts -------------------------------------------------------------------------------

// Draws series (arrays of {t, v}, v null = gap) over the last `spanSeconds` ending `now`.
function drawChart(svg, seriesList, spanSeconds, now, unit) {
  const W = 600, H = 170, L = 56, R = 8, T = 8, B = 22;
  while (svg.firstChild) svg.removeChild(svg.firstChild);
  let max = 0;
  for (const s of seriesList) for (const p of s.points) if (isNum(p.v) && p.v > max) max = p.v;
  if (max <= 0) max = 1;
  const x = time => L + (W - L - R) * (1 - (now - time) / spanSeconds);
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
  for (const [at, text, anchor] of [[now - spanSeconds, t("chart.minutes_ago", {n: minutes}), "start"],
                                    [now - spanSeconds / 2, t("chart.minutes_ago", {n: Math.round(minutes / 2)}), "middle"],
                                    [now, t("chart.now"), "end"]]) {
    const label = svgEl("text", {class: "tick", x: x(at), y: H - 6, "text-anchor": anchor});
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
let lastHistory = null;

function connectorBadge(state) {
  return state === "running" ? "ok" : state === "failed" ? "bad" : "warn";
}

function renderStatus(s) {
  lastStatus = s;
  // #sampled-at: the API's value with a space for the "T" (the browser test reads it);
  // #sampled-at-local: the same instant for people.
  const sampled = $("sampled-at");
  sampled.textContent = s.sampled_at ? s.sampled_at.replace("T", " ") : "—";
  sampled.setAttribute("datetime", s.sampled_at || "");
  sampled.dataset.value = s.sampled_at || "";
  const local = $("sampled-at-local");
  local.textContent = formatDateTime(s.sampled_at, true);
  local.setAttribute("datetime", s.sampled_at || "");
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
    el("td", {dataset: {value: k.kind}}, word("kind.", k.kind)),
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
      el("td", {}, p.kind ? word("kind.", p.kind) : ""),
      figureCell("lag-messages-" + id, p.lag_messages, 0),
      figureCell("lag-seconds-" + id, p.lag_seconds, 3),
      figureCell("lag-messages-admin-" + id, p.admin_lag_messages, 0),
      figureCell("committed-offset-" + id, p.committed_offset, 0),
      figureCell("high-watermark-" + id, p.high_watermark, 0),
      figureCell("log-start-" + id, p.log_start_offset, 0),
      el("td", {id: "paused-" + id, dataset: {value: flagValue(p.paused)}},
         p.paused === null ? "—" : (p.paused ? t("partitions.is_paused") : t("common.no"))),
      el("td", {id: "behind-log-start-" + id, dataset: {value: flagValue(p.behind_log_start)}},
         p.behind_log_start === null ? "—" : (behind ? t("partitions.is_behind") : t("common.no"))),
    ]);
  }));

  setText("partitions-idle-count", idle);
  if (!showAll && idle === s.partitions.length) {
    parts.append(el("tr", {}, el("td", {colspan: 11, class: "meta"},
      s.partitions.length ? t("partitions.none_lagging") : t("partitions.none_reported"))));
  }

  const conns = $("connectors");
  const allowed = canOperateNationally();
  conns.replaceChildren(...s.connectors.map(c => {
    const id = idPart(c.name);
    const pause = el("button", {type: "button", id: "connector-" + id + "-pause", class: "needs-national-operator",
                                hidden: !allowed, disabled: c.state === "paused"}, t("connectors.pause"));
    const resume = el("button", {type: "button", id: "connector-" + id + "-resume", class: "needs-national-operator",
                                 hidden: !allowed, disabled: c.state !== "paused"}, t("connectors.resume"));
    pause.addEventListener("click", () => connectorAction(c.name, "pause"));
    resume.addEventListener("click", () => connectorAction(c.name, "resume"));
    return el("tr", {}, [
      el("td", {}, c.name),
      el("td", {id: "connector-" + id + "-state", dataset: {value: c.state}},
         el("span", {class: "badge " + connectorBadge(c.state)}, word("connector.state.", c.state))),
      el("td", {}, timeEl(c.since, {ago: true})),
      el("td", {}, c.last_error || ""),
      el("td", {}, [pause, " ", resume]),
    ]);
  }));

  const problems = [];
  for (const sc of s.scrapes) if (!sc.ok) problems.push(t("problem.scrape", {url: sc.url, error: sc.error}));
  if (!s.admin.ok) {
    const err = s.admin.error || {};
    problems.push(t("problem.admin", {error: errorDetail(err.error, err.fields, err.code)}));
  }
  for (const b of s.behind_log_start) {
    problems.push(t("problem.behind_log_start", {topic: b.topic, partition: b.partition, group: b.consumer_group,
                                                 committed: b.committed_offset, log_start: b.log_start_offset}));
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
  health.textContent = all.length === 0 ? t("health.ok") : t("health.problems", {n: all.length});
  health.className = "badge " + (all.length === 0 ? "ok" : "bad");
}

async function connectorAction(name, action) {
  try {
    const c = await post("/api/connectors/" + encodeURIComponent(name) + "/" + action);
    message("connector-message", t("connectors.now", {name: name, state: word("connector.state.", c.state)}), true);
  } catch (e) {
    message("connector-message", t("connectors.failed", {action: t("connectors." + action), name: name}) + ": " + errorText(e), false);
  }
  refreshStatus();
}

function renderHistory(h) {
  lastHistory = h;
  const now = Date.now() / 1000;
  const pts = h.points;
  const span = h.history_seconds;
  drawChart($("chart-lag-messages"), [{points: pts.map(p => ({t: p.t, v: p.lag_messages_total}))}], span, now, t("unit.messages"));
  drawChart($("chart-lag-seconds"), [{points: pts.map(p => ({t: p.t, v: p.lag_seconds_max}))}], span, now, t("unit.s"));
  drawChart($("chart-throughput"), [
    {points: pts.map(p => ({t: p.t, v: p.committed_per_second}))},
    {points: pts.map(p => ({t: p.t, v: p.accepted_per_second}))},
  ], span, now, t("unit.per_second"));
}

async function refreshStatus() {
  try {
    const [status, history] = await Promise.all([api("/api/status"), api("/api/history")]);
    if (!dashboardShown) return;
    renderStatus(status);
    renderHistory(history);
    document.body.dataset.statusLoaded = "true";
  } catch (e) {
    showProblems("status", [errorText(e)]);
  }
}

// ---- dead letters -------------------------------------------------------------------------

let dlNextToken = "";
let dlSelected = null;
let dlDetail = null;  // the detail on screen (masked, or revealed), drawn again on a language switch

async function refreshDeadLetters(appendPage) {
  const state = $("dl-state").value;
  let path = "/api/dead-letters?state=" + encodeURIComponent(state) + "&page_size=50";
  if (appendPage && dlNextToken) path += "&page_token=" + encodeURIComponent(dlNextToken);
  try {
    const page = await api(path);
    if (!dashboardShown) return;
    const rows = page.dead_letters.map(d => {
      const tr = el("tr", {class: "clickable" + (d.id === dlSelected ? " selected" : ""), id: "dl-row-" + d.id}, [
        el("td", {class: "num"}, d.id),
        el("td", {}, timeEl(d.failed_at)),
        el("td", {}, d.original_topic + " / " + d.partition + " / " + d.offset),
        el("td", {}, d.error_class),
        el("td", {}, d.business_key),
        el("td", {}, d.error_message),
        el("td", {id: "dl-row-" + d.id + "-state", dataset: {value: d.state}}, word("dl.state.", d.state)),
      ]);
      tr.addEventListener("click", () => openDeadLetter(d.id));
      return tr;
    });
    if (appendPage) $("dl-list").append(...rows); else $("dl-list").replaceChildren(...rows);
    dlNextToken = page.next_page_token;
    $("dl-more").hidden = !dlNextToken;
    showProblems("dead-letters", []);
  } catch (e) {
    showProblems("dead-letters", [t("dl.list_failed") + ": " + errorText(e)]);
  }
}

async function openDeadLetter(id) {
  dlSelected = id;
  for (const tr of document.querySelectorAll("#dl-list tr")) tr.classList.toggle("selected", tr.id === "dl-row-" + id);
  message("dl-message", "");
  try {
    const d = await api("/api/dead-letters/" + id);
    if (dashboardShown && dlSelected === d.id) renderDeadLetter(d);
  } catch (e) {
    message("dl-message", errorText(e), false);
  }
}

function renderDeadLetter(d) {
  dlDetail = d;
  $("dl-detail").hidden = false;
  setText("dl-detail-id", "#" + d.id);
  const state = $("dl-detail-state");
  state.textContent = word("dl.state.", d.state);
  state.dataset.value = d.state;
  state.className = "badge " + (d.state === "open" ? "warn" : "ok");
  const masked = d.masked !== false;
  const maskBadge = $("dl-detail-masked");
  maskBadge.textContent = masked ? t("dl.masked") : t("dl.unmasked");
  maskBadge.dataset.value = String(masked);
  maskBadge.className = "badge " + (masked ? "" : "bad");
  const present = v => v !== null && v !== undefined;
  const fields = [
    ["dl.field.topic", d.original_topic], ["dl.field.partition", d.partition], ["dl.field.offset", d.offset],
    ["dl.field.business_key", d.business_key], ["dl.field.error_class", d.error_class], ["dl.field.error", d.error_message],
    ["dl.field.attempts", d.attempts], ["dl.field.failed_at", timeEl(d.failed_at, {seconds: true})],
    ["dl.field.key", present(d.key) ? d.key : "base64:" + d.key_base64],
    ["dl.field.resolved_at", timeEl(d.resolved_at, {seconds: true})], ["dl.field.resolved_by", d.resolved_by],
    ["dl.field.note", d.resolution_note],
  ];
  if (d.sealed_key_id) fields.push(["dl.field.sealed_key", d.sealed_key_id]);
  $("dl-detail-fields").replaceChildren(...fields.flatMap(([k, v]) => [
    el("dt", {}, t(k)), el("dd", {}, v === null || v === undefined || v === "" ? "—" : v)]));
  $("dl-detail-headers").replaceChildren(...d.headers.map(h => el("tr", {}, [
    el("td", {}, h.key), el("td", {}, present(h.value) ? h.value : "base64:" + h.value_base64)])));
  if (d.envelope) {
    setText("dl-detail-payload-note", t(masked ? "dl.payload_masked" : "dl.payload_unmasked", {bytes: d.payload_size}));
    $("dl-detail-payload").textContent = JSON.stringify(d.envelope, null, 2);
  } else {
    setText("dl-detail-payload-note", t("dl.payload_unreadable", {bytes: d.payload_size, why: d.envelope_error || "—"}));
    $("dl-detail-payload").textContent = t("dl.payload_not_shown");
  }
  const open = d.state === "open";
  $("dl-replay").disabled = !open;
  $("dl-discard").disabled = !open;
  // Revealing is for a masked view of a readable envelope; once shown in full, nothing to add.
  $("dead-letter-reveal").disabled = !masked || !d.envelope;
}

// Personal data leaves the screen when the session ends.
function clearDeadLetterDetail() {
  dlDetail = null;
  dlSelected = null;
  $("dl-detail").hidden = true;
  $("dl-detail-fields").replaceChildren();
  $("dl-detail-headers").replaceChildren();
  $("dl-detail-payload").textContent = "";
  $("dead-letter-reveal-reason").value = "";
  message("dl-message", "");
}

async function replaySelected() {
  if (dlSelected === null) return;
  try {
    const d = await post("/api/dead-letters/" + dlSelected + "/replay", {note: $("dl-note").value});
    $("dl-note").value = "";
    await openDeadLetter(d.id);
    message("dl-message", t("dl.replayed", {id: d.id}), true);
  } catch (e) {
    message("dl-message", t("dl.replay_failed") + ": " + errorText(e), false);
  }
  refreshDeadLetters(false);
  refreshStatus();
}

async function discardSelected() {
  if (dlSelected === null) return;
  const reason = $("dl-reason").value.trim();
  if (!reason) {
    // The API refuses it too (400 on "reason"); say so before asking.
    message("dl-message", t("dl.discard_reason_required"), false);
    $("dl-reason").focus();
    return;
  }
  try {
    const d = await post("/api/dead-letters/" + dlSelected + "/discard", {reason: reason});
    $("dl-reason").value = "";
    await openDeadLetter(d.id);
    message("dl-message", t("dl.discarded", {id: d.id}), true);
  } catch (e) {
    message("dl-message", t("dl.discard_failed") + ": " + errorText(e), false);
  }
  refreshDeadLetters(false);
  refreshStatus();
}

// The full view: the server writes who saw which record and why into the audit trail before
// answering, so a reason is required (here and by the API).
async function revealSelected() {
  if (dlSelected === null) return;
  const reason = $("dead-letter-reveal-reason").value.trim();
  if (!reason) {
    message("dl-message", t("dl.reveal.reason_required"), false);
    $("dead-letter-reveal-reason").focus();
    return;
  }
  const id = dlSelected;
  try {
    const d = await post("/api/dead-letters/" + id + "/reveal", {reason: reason});
    $("dead-letter-reveal-reason").value = "";
    if (!dashboardShown || dlSelected !== id) return;
    renderDeadLetter(d);
    message("dl-message", t("dl.reveal.done"), true);
  } catch (e) {
    message("dl-message", t("dl.reveal.failed") + ": " + errorText(e), false);
  }
}

// ---- provinces ----------------------------------------------------------------------------

let provinceFilter = "";  // "" the caller's whole scope, else a province code

function provinceFromHash() {
  const m = /^#province-([0-9]{2})$/.exec(location.hash);
  return m ? m[1] : "";
}

function withProvince(path) {
  if (!provinceFilter) return path;
  return path + (path.includes("?") ? "&" : "?") + "province=" + encodeURIComponent(provinceFilter);
}

// #province-NN (a link of the country grid, or the address): coverage and indicators of that
// province. A provincial operator's scope is fixed.
function onHashChange() {
  if (!dashboardShown || (session && session.province_code)) return;
  const code = provinceFromHash();
  if (code === provinceFilter) return;
  setProvinceFilter(code);
  if (code) $("reconciliation").scrollIntoView({block: "start"});
}

function setProvinceFilter(code) {
  provinceFilter = code;
  renderProvinceFilter();
  refreshCoverage();
  refreshIndicators();
}

function clearProvinceFilter() {
  history.pushState(null, "", location.pathname + location.search);
  setProvinceFilter("");
}

function renderProvinceFilter() {
  const n = $("province-filter");
  n.textContent = scopeName(provinceFilter);
  n.dataset.province = provinceFilter;
  $("province-filter-clear").hidden = !provinceFilter || Boolean(session && session.province_code);
  for (const tr of document.querySelectorAll("#country-rows tr")) {
    tr.classList.toggle("selected", tr.dataset.province === provinceFilter);
  }
}

// A cell of the country grid: the percentage, coloured by the 2028 target.
function countryCell(id, v) {
  const met = v ? v.met_2028 : null;
  const td = el("td", {
    id: id,
    class: "num " + (met === true ? "target-met" : met === false ? "target-not-met" : "target-none"),
    "data-met-2028": flagValue(met),
  });
  setFigure(td, v ? v.percent : null, 1);
  if (v) {
    td.title = t("country.cell_title", {numerator: v.numerator, denominator: v.denominator,
                                        target: v.target_2028 === null ? "—" : v.target_2028,
                                        state: met === null ? "—" : t(met ? "indicator.met" : "indicator.not_met")});
  }
  return td;
}

// Worst first by COUNTRY_RANK_BY; provinces without that figure (nothing mature yet) after
// them, the unknown province ("??") last; ties by code.
function rankKey(p) {
  const v = p.values[COUNTRY_RANK_BY];
  const percent = v && isNum(v.percent) ? v.percent : null;
  return [p.code === UNKNOWN_PROVINCE ? 2 : percent === null ? 1 : 0, percent === null ? 0 : percent, p.code];
}

function byRank(a, b) {
  const ka = rankKey(a), kb = rankKey(b);
  for (let i = 0; i < ka.length; i++) {
    if (ka[i] < kb[i]) return -1;
    if (ka[i] > kb[i]) return 1;
  }
  return 0;
}

function renderCountry(report) {
  const own = session && session.province_code;
  const provinces = new Map();
  const total = {};
  for (const v of report.values) {
    if (!v.breakdown_key) { total[v.id] = v; continue; }
    // The server answers a provincial operator with their province only; hold to it here too.
    if (own && v.breakdown_key !== own) continue;
    let p = provinces.get(v.breakdown_key);
    if (!p) provinces.set(v.breakdown_key, p = {code: v.breakdown_key, values: {}});
    if (v.province_name) provinceNames[v.breakdown_key] = v.province_name;
    p.values[v.id] = v;
  }
  const ranked = [...provinces.values()].sort(byRank);
  $("country-rows").replaceChildren(...ranked.map((p, i) => {
    const known = p.code !== UNKNOWN_PROVINCE;
    return el("tr", {id: "country-province-" + idPart(p.code), dataset: {province: p.code},
                     class: p.code === provinceFilter ? "selected" : null}, [
      el("td", {class: "num"}, i + 1),
      el("td", {}, known ? el("a", {href: "#province-" + p.code}, provinceName(p.code)) : provinceName(p.code)),
      ...COUNTRY_COLUMNS.map(id => countryCell("country-" + idPart(p.code) + "-" + id, p.values[id])),
    ]);
  }));
  if (!ranked.length) {
    $("country-rows").append(el("tr", {}, el("td", {colspan: 2 + COUNTRY_COLUMNS.length, class: "meta"}, t("country.empty"))));
  }
  // The whole country under the ranking, for a national operator.
  const hasTotal = !own && COUNTRY_COLUMNS.some(id => total[id]);
  $("country-total").replaceChildren(...(hasTotal ? [el("tr", {}, [
    el("td", {}),
    el("td", {}, t("scope.national")),
    ...COUNTRY_COLUMNS.map(id => countryCell("country-total-" + id, total[id])),
  ])] : []));
  setText("country-title", own ? t("country.title_province", {province: provinceName(own)}) : t("country.title"));
  setText("country-period", t("indicators.period", {period: formatPeriod(report.period), as_of: formatDate(report.as_of)}));
  // Names arrived: the header and the filter can say them.
  renderSession();
  renderProvinceFilter();
}

async function refreshCountry() {
  try {
    const report = await api("/api/indicators?breakdown=province");
    if (!dashboardShown) return;
    renderCountry(report);
    message("country-message", "");
  } catch (e) {
    message("country-message", t("country.failed") + ": " + errorText(e), false);
  }
}

// ---- coverage, indicators, silent sources --------------------------------------------------

// Answers that come back after the province filter changed are dropped: each refresh takes a
// ticket, and only the latest one draws.
let coverageTicket = 0;
let indicatorsTicket = 0;

function renderCoverageCard(prefix, report) {
  // The period as the API spells it (2026-11): the browser test reads it as such.
  setText(prefix + "period", report.period);
  $(prefix + "period").dataset.value = report.period;
  setFigure($(prefix + "total-percent"), report.total.coverage_percent, 1);
  setFigure($(prefix + "on-time-percent"), report.total.on_time_percent, 1);
  setFigure($(prefix + "declared"), report.total.declared, 0);
  setFigure($(prefix + "missing"), report.total.missing, 0);
}

async function refreshCoverage() {
  const ticket = ++coverageTicket;
  try {
    // The server picks this month and this year in Vietnam's calendar when no period is given.
    const month = await api(withProvince("/api/coverage"));
    const year = await api(withProvince("/api/coverage?period=" + month.period.slice(0, 4)));
    if (ticket !== coverageTicket || !dashboardShown) return;
    renderCoverageCard("coverage-", month);
    renderCoverageCard("coverage-year-", year);
    $("coverage-rows").replaceChildren(...month.rows.map(r => el("tr", {}, [
      el("td", {}, r.source || "—"), el("td", {dataset: {value: r.kind || ""}}, r.kind ? word("kind.", r.kind) : t("kind.all")),
      figureCell(null, r.declared, 0), figureCell(null, r.present, 0), figureCell(null, r.missing, 0),
      figureCell(null, r.content_mismatch, 0), figureCell(null, r.extra, 0),
      figureCell(null, r.coverage_percent, 1), figureCell(null, r.on_time_percent, 1),
    ])));
    message("coverage-message", "");
  } catch (e) {
    if (ticket === coverageTicket) message("coverage-message", t("coverage.failed") + ": " + errorText(e), false);
  }
}

function targetText(flag, target, year) {
  if (target === null || target === undefined) return "";
  return t("indicator.target", {year: year, target: target,
                                state: flag === null ? "—" : t(flag ? "indicator.met" : "indicator.not_met")});
}

async function refreshIndicators() {
  const ticket = ++indicatorsTicket;
  try {
    const report = await api(withProvince("/api/indicators"));
    if (ticket !== indicatorsTicket || !dashboardShown) return;
    setText("indicators-period", t("indicators.period", {period: formatPeriod(report.period),
                                                         as_of: report.as_of ? formatDate(report.as_of) : t("indicators.today")}));
    const cards = report.values.filter(v => !v.breakdown_key).map(v => {
      const met = v.met_2030 !== null ? v.met_2030 : v.met_2028;
      const value = el("span", {id: "indicator-" + idPart(v.id) + "-percent"});
      setFigure(value, v.percent, 1);
      return el("div", {class: "card" + (met === true ? " met" : met === false ? " not-met" : ""), id: "indicator-" + idPart(v.id), title: v.definition}, [
        el("div", {class: "label"}, v.id + " · " + word("indicator.", v.id)),
        el("div", {class: "value"}, [value, " %"]),
        el("div", {class: "sub"}, v.numerator + " / " + v.denominator +
                                  (v.open_not_mature ? " · " + t("indicator.not_mature", {n: v.open_not_mature}) : "")),
        el("div", {class: "sub", id: "indicator-" + idPart(v.id) + "-met-2028", dataset: {value: flagValue(v.met_2028)}}, targetText(v.met_2028, v.target_2028, 2028)),
        el("div", {class: "sub", id: "indicator-" + idPart(v.id) + "-met-2030", dataset: {value: flagValue(v.met_2030)}}, targetText(v.met_2030, v.target_2030, 2030)),
      ]);
    });
    $("indicators").replaceChildren(...cards);
    message("indicators-message", "");
  } catch (e) {
    if (ticket === indicatorsTicket) message("indicators-message", t("indicators.failed") + ": " + errorText(e), false);
  }
}

async function refreshSilentSources() {
  try {
    const page = await api("/api/silent-sources");
    if (!dashboardShown) return;
    setFigure($("silent-sources-count"), page.silent_sources.length, 0);
    $("silent-sources").replaceChildren(...page.silent_sources.map(s => el("tr", {}, [
      el("td", {}, s.source || "—"), el("td", {}, timeEl(s.last_seen, {ago: true})),
      el("td", {class: "num"}, duration(s.usual_cadence_seconds)), el("td", {class: "num"}, duration(s.quiet_for_seconds)),
    ])));
    message("silent-message", "");
  } catch (e) {
    message("silent-message", t("silent.failed") + ": " + errorText(e), false);
  }
}

// ---- offset alarms ------------------------------------------------------------------------

function alarmProblem(a) {
  const params = {topic: a.topic, partition: a.partition, group: a.consumer_group, reason: a.reason,
                  from: a.from_offset, to: a.to_offset};
  return a.kind === "log_reset" ? t("problem.log_reset", params) : t("problem.records_lost", params);
}

async function refreshAlarms() {
  try {
    const page = await api("/api/alarms?include_acknowledged=true");
    if (!dashboardShown) return;
    const open = page.alarms.filter(a => !a.acknowledged_at);
    const allowed = canOperateNationally();
    $("alarm-rows").replaceChildren(...page.alarms.map(a => {
      const ack = a.acknowledged_at ? null
        : el("button", {type: "button", class: "needs-national-operator", hidden: !allowed}, t("alarms.acknowledge"));
      if (ack) ack.addEventListener("click", () => acknowledgeAlarm(a.alarm_id));
      return el("tr", {id: "alarm-" + idPart(a.alarm_id)}, [
        el("td", {dataset: {value: a.kind}}, word("alarm.kind.", a.kind)), el("td", {}, a.topic),
        el("td", {class: "num"}, String(a.partition)), el("td", {}, a.consumer_group),
        el("td", {class: "num"}, String(a.from_offset)), el("td", {class: "num"}, String(a.to_offset)),
        el("td", {}, a.reason), el("td", {}, timeEl(a.detected_at, {ago: true})),
        el("td", {}, a.acknowledged_at ? [a.acknowledged_by, ", ", timeEl(a.acknowledged_at, {ago: true})] : "—"),
        el("td", {}, ack),
      ]);
    }));
    showProblems("alarms", open.map(alarmProblem));
  } catch (e) {
    showProblems("alarms", [t("alarms.failed") + ": " + errorText(e)]);
  }
}

async function acknowledgeAlarm(id) {
  try {
    await post("/api/alarms/acknowledge", {alarm_id: id, note: $("alarm-note").value});
    message("alarm-message", t("alarms.acknowledged_ok", {id: id}), true);
  } catch (e) {
    message("alarm-message", t("alarms.acknowledge_failed", {id: id}) + ": " + errorText(e), false);
  }
  refreshAlarms();
}

// ---- data feeds ---------------------------------------------------------------------------

// Paused by someone, revoked, or active: {value (data-value), text, badge}.
function feedState(f) {
  if (f.paused) return {value: "paused", text: t("feeds.state.paused", {by: f.paused_by || "—"}), badge: "warn"};
  if (f.revoked) return {value: "revoked", text: t("feeds.state.revoked"), badge: "bad"};
  return {value: "active", text: t("feeds.state.active"), badge: "ok"};
}

function renderFeeds(list) {
  // Pausing a feed affects every province: national operators only (the API refuses others).
  const allowed = canOperateNationally();
  const rows = list.map(f => {
    const id = "feed-" + idPart(f.name);
    const state = feedState(f);
    const pause = el("button", {type: "button", id: id + "-pause", class: "needs-national-operator",
                                hidden: !allowed, disabled: f.paused}, t("feeds.pause"));
    const resume = el("button", {type: "button", id: id + "-resume", class: "needs-national-operator",
                                 hidden: !allowed, disabled: !f.paused}, t("feeds.resume"));
    pause.addEventListener("click", () => feedAction(f.name, "pause"));
    resume.addEventListener("click", () => feedAction(f.name, "resume"));
    return el("tr", {id: id}, [
      el("td", {}, f.name),
      el("td", {}, f.description || "—"),
      el("td", {dataset: {value: f.events.join(" ")}, title: f.events.join(", ")},
         f.events.map(e => word("feeds.event.", e)).join(", ")),
      el("td", {dataset: {value: f.delivery.join(" ")}}, f.delivery.map(d => word("feeds.delivery.", d)).join(", ")),
      figureCell(id + "-lag", f.lag_transactions, 0),
      el("td", {id: id + "-acknowledged", dataset: {value: f.acknowledged}},
         [f.acknowledged_at ? timeEl(f.acknowledged_at, {ago: true}) : t("feeds.never"),
          el("div", {class: "meta"}, t("feeds.position", {position: f.acknowledged}))]),
      el("td", {id: id + "-delivered", dataset: {value: String(f.delivered_seq)}},
         [f.delivered_at ? timeEl(f.delivered_at, {ago: true}) : t("feeds.never"),
          el("div", {class: "meta"}, t("feeds.transaction", {seq: f.delivered_seq}))]),
      el("td", {id: id + "-state", dataset: {value: state.value}}, el("span", {class: "badge " + state.badge}, state.text)),
      el("td", {}, f.last_error || ""),
      el("td", {}, [pause, " ", resume]),
    ]);
  });
  if (!rows.length) rows.push(el("tr", {}, el("td", {colspan: 10, class: "meta"}, t("feeds.empty"))));
  $("feed-rows").replaceChildren(...rows);
}

// A failure to load is cleared by the next success; an action's outcome stays until the next.
let feedLoadFailed = false;

async function refreshFeeds() {
  try {
    const page = await api("/api/feeds");
    if (!dashboardShown) return;
    $("feeds").hidden = false;
    renderFeeds(page.feeds);
    if (feedLoadFailed) message("feed-message", "");
    feedLoadFailed = false;
  } catch (e) {
    // 404: this console has no data feeds configured; the section stays out of the way.
    if (e.status === 404) { $("feeds").hidden = true; return; }
    feedLoadFailed = true;
    message("feed-message", t("feeds.failed") + ": " + errorText(e), false);
  }
}

async function feedAction(name, action) {
  try {
    await post("/api/feeds/" + encodeURIComponent(name) + "/" + action);
    message("feed-message", t(action === "pause" ? "feeds.paused_ok" : "feeds.resumed_ok", {name: name}), true);
  } catch (e) {
    message("feed-message", t(action === "pause" ? "feeds.pause_failed" : "feeds.resume_failed", {name: name}) + ": " + errorText(e), false);
  }
  refreshFeeds();
}

function refreshSlow() {
  refreshCountry();
  refreshCoverage();
  refreshIndicators();
  refreshSilentSources();
}

function refreshAll() {
  refreshStatus();
  refreshDeadLetters(false);
  refreshAlarms();
  refreshFeeds();
  refreshSlow();
}

// ---- start --------------------------------------------------------------------------------

document.addEventListener("DOMContentLoaded", async () => {
  $("lang-toggle").addEventListener("click", toggleLanguage);
  $("login-form").addEventListener("submit", signIn);
  $("login-retry").addEventListener("click", checkSession);
  $("logout").addEventListener("click", logout);
  $("dl-state").addEventListener("change", () => refreshDeadLetters(false));
  $("partitions-show-all").addEventListener("change", () => { if (lastStatus) renderStatus(lastStatus); });
  $("dl-refresh").addEventListener("click", () => refreshDeadLetters(false));
  $("dl-more").addEventListener("click", () => refreshDeadLetters(true));
  $("dl-replay").addEventListener("click", replaySelected);
  $("dl-discard").addEventListener("click", discardSelected);
  $("dead-letter-reveal").addEventListener("click", revealSelected);
  $("province-filter-clear").addEventListener("click", clearProvinceFilter);
  window.addEventListener("hashchange", onHashChange);
  for (const type of ["pointerdown", "pointermove", "keydown", "wheel", "touchstart"]) {
    document.addEventListener(type, noteActivity, {passive: true});
  }
  // Words first, so that nothing is drawn in the wrong language.
  await loadLanguage(chooseLanguage());
  applyStaticText();
  await checkSession();
});
