// api.js: same-origin calls to the kamatama HTTP API (docs/api.md). All paths are relative.

export class ApiError extends Error {
  constructor(status, body, message) {
    super(message);
    this.status = status;
    this.body = body || {};
  }
}

// Listeners for a 401: the app shows the login form.
const unauthorizedListeners = [];
export function onUnauthorized(fn) { unauthorizedListeners.push(fn); }

// The session's CSRF token (from /api/v1/login or /api/v1/me), sent as X-CSRF-Token on every
// state-changing request. It lives only in memory; the session cookie itself is HttpOnly.
let csrfToken = '';

async function sendJson(method, path, body) {
  return sendBody(method, path, body === undefined ? undefined : JSON.stringify(body), 'application/json');
}

// A state-changing request with a body as is (a file: a threat-intelligence list), of `type`.
export async function sendBody(method, path, body, type) {
  let res;
  try {
    res = await fetch(path, {
      method, credentials: 'same-origin', cache: 'no-store',
      headers: { 'Content-Type': type, Accept: 'application/json', 'X-CSRF-Token': csrfToken },
      body,
    });
  } catch (e) {
    throw new ApiError(0, {}, 'cannot reach the server: ' + e.message);
  }
  const text = await res.text();
  let parsed = null;
  try { parsed = text ? JSON.parse(text) : null; } catch { parsed = null; }
  if (!res.ok) {
    const msg = parsed && typeof parsed.error === 'string' ? parsed.error : `HTTP ${res.status}`;
    throw new ApiError(res.status, parsed, msg);
  }
  return parsed || {};
}

// Who is logged in ({user, role, permissions, csrf}), or null when nobody is (401).
export async function whoAmI() {
  const res = await fetch('/api/v1/me', { credentials: 'same-origin', cache: 'no-store', headers: { Accept: 'application/json' } });
  if (res.status === 401) return null;
  if (!res.ok) throw new ApiError(res.status, {}, `HTTP ${res.status}`);
  const me = await res.json();
  csrfToken = typeof me.csrf === 'string' ? me.csrf : '';
  return me;
}

export async function login(user, password) {
  const me = await sendJson('POST', '/api/v1/login', { user, password });
  csrfToken = typeof me.csrf === 'string' ? me.csrf : '';
  return me;
}

// Changes the signed-in user's own password; the answer is the new session's {user, ..., csrf}.
export async function changePassword(current, next) {
  const me = await sendJson('POST', '/api/v1/password', { current, new: next });
  if (typeof me.csrf === 'string') csrfToken = me.csrf;
  return me;
}

export async function logout() {
  try { await sendJson('POST', '/api/v1/logout'); } finally { csrfToken = ''; }
}

// POST /api/v1/hunt (issue 20): calls onLine with each object of the NDJSON stream as it
// arrives. Aborting `signal` closes the connection, which stops the hunt on the server.
export async function hunt(body, signal, onLine) {
  let res;
  try {
    res = await fetch('/api/v1/hunt', {
      method: 'POST', signal, credentials: 'same-origin', cache: 'no-store',
      headers: { 'Content-Type': 'application/json', Accept: 'application/x-ndjson', 'X-CSRF-Token': csrfToken },
      body: JSON.stringify(body),
    });
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError(0, {}, 'cannot reach the server: ' + e.message);
  }
  if (res.status === 401) {
    for (const fn of unauthorizedListeners) fn();
    throw new ApiError(401, {}, 'not logged in');
  }
  if (!res.ok) {
    let parsed = null;
    try { parsed = JSON.parse(await res.text()); } catch { parsed = null; }
    throw new ApiError(res.status, parsed, parsed && typeof parsed.error === 'string' ? parsed.error : `HTTP ${res.status}`);
  }
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let buf = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buf += decoder.decode(value, { stream: true });
    let nl;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (!line) continue;
      let obj = null;
      try { obj = JSON.parse(line); } catch { obj = null; }
      if (obj && typeof obj === 'object') onLine(obj);
    }
  }
}

export function apiUrl(path, params) {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params || {})) {
    if (v !== undefined && v !== null && v !== '') u.set(k, String(v));
  }
  const qs = u.toString();
  return qs ? `${path}?${qs}` : path;
}

// GET a JSON endpoint; throws ApiError with the parsed error body ({error, position, expected}).
export async function getJson(path, params, signal) {
  let res;
  try {
    res = await fetch(apiUrl(path, params), {
      signal, credentials: 'same-origin', headers: { Accept: 'application/json' }, cache: 'no-store',
    });
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError(0, {}, 'cannot reach the server: ' + e.message);
  }
  let body = null;
  const text = await res.text();
  try { body = text ? JSON.parse(text) : null; } catch { body = null; }
  if (res.status === 401) {
    for (const fn of unauthorizedListeners) fn();
    throw new ApiError(401, body, 'not logged in');
  }
  if (!res.ok) {
    const msg = body && typeof body.error === 'string' ? body.error : `HTTP ${res.status}`;
    throw new ApiError(res.status, body, msg);
  }
  if (body === null || typeof body !== 'object') throw new ApiError(res.status, {}, 'the server did not answer JSON');
  return body;
}

export const api = {
  search: (p, signal) => getJson('/api/v1/search', p, signal),
  histogram: (p, signal) => getJson('/api/v1/histogram', p, signal),
  fields: (p, signal) => getJson('/api/v1/fields', p, signal),
  fieldnames: (signal) => getJson('/api/v1/fieldnames', {}, signal),
  // The server caches the summary for a while; `refresh` asks for a fresh one.
  sources: (signal, refresh = false) => getJson('/api/v1/sources', refresh ? { refresh: 1 } : {}, signal),
  exportUrl: (p) => apiUrl('/api/v1/export', p),
  // Threat intelligence (docs/intel.md).
  lists: (signal) => getJson('/api/v1/lists', {}, signal),
  listHits: (name, signal) => getJson(`/api/v1/lists/${encodeURIComponent(name)}/hits`, {}, signal),
  putList: (name, body, type) => sendBody('PUT', `/api/v1/lists/${encodeURIComponent(name)}`, body, type),
  huntList: (name) => sendBody('POST', `/api/v1/lists/${encodeURIComponent(name)}/hunt`, undefined, 'application/json'),
  deleteList: (name) => sendBody('DELETE', `/api/v1/lists/${encodeURIComponent(name)}`, undefined, 'application/json'),
  // Alerts and rules (issue 21).
  alerts: (p, signal) => getJson('/api/v1/alerts', p, signal),
  alert: (id, signal) => getJson(`/api/v1/alerts/${encodeURIComponent(id)}`, {}, signal),
  patchAlert: (id, body) => sendJson('PATCH', `/api/v1/alerts/${encodeURIComponent(id)}`, body),
  rules: (signal) => getJson('/api/v1/rules', {}, signal),
  rule: (id, signal) => getJson(`/api/v1/rules/${encodeURIComponent(id)}`, {}, signal),
  patchRule: (id, body) => sendJson('PATCH', `/api/v1/rules/${encodeURIComponent(id)}`, body),
  coverage: (days, signal) => getJson('/api/v1/rules/coverage', { days }, signal),
  // Cases (issue 22, docs/cases.md).
  cases: (p, signal) => getJson('/api/v1/cases', p, signal),
  caseGet: (id, signal) => getJson(`/api/v1/cases/${encodeURIComponent(id)}`, {}, signal),
  createCase: (body) => sendJson('POST', '/api/v1/cases', body),
  patchCase: (id, body) => sendJson('PATCH', `/api/v1/cases/${encodeURIComponent(id)}`, body),
  // kind: events, entities, alerts or notes.
  addToCase: (id, kind, body) => sendJson('POST', `/api/v1/cases/${encodeURIComponent(id)}/${kind}`, body),
  caseExportUrl: (id, format) => apiUrl(`/api/v1/cases/${encodeURIComponent(id)}/export`, { format }),
  // Saved searches and dashboards (issue 25, docs/dashboards.md).
  savedSearches: (signal) => getJson('/api/v1/saved-searches', {}, signal),
  savedSearch: (id, signal) => getJson(`/api/v1/saved-searches/${encodeURIComponent(id)}`, {}, signal),
  createSavedSearch: (body) => sendJson('POST', '/api/v1/saved-searches', body),
  patchSavedSearch: (id, body) => sendJson('PATCH', `/api/v1/saved-searches/${encodeURIComponent(id)}`, body),
  deleteSavedSearch: (id) => sendJson('DELETE', `/api/v1/saved-searches/${encodeURIComponent(id)}`),
  // Scheduled searches and reports (issue 25, docs/dashboards.md#scheduled-searches-and-reports).
  schedules: (signal) => getJson('/api/v1/schedules', {}, signal),
  createSchedule: (body) => sendJson('POST', '/api/v1/schedules', body),
  patchSchedule: (id, body) => sendJson('PATCH', `/api/v1/schedules/${encodeURIComponent(id)}`, body),
  deleteSchedule: (id) => sendJson('DELETE', `/api/v1/schedules/${encodeURIComponent(id)}`),
  scheduleRuns: (id, signal) => getJson(`/api/v1/schedules/${encodeURIComponent(id)}/runs`, {}, signal),
  runSchedule: (id) => sendJson('POST', `/api/v1/schedules/${encodeURIComponent(id)}/run`),
  dashboards: (signal) => getJson('/api/v1/dashboards', {}, signal),
  dashboard: (id, signal) => getJson(`/api/v1/dashboards/${encodeURIComponent(id)}`, {}, signal),
  createDashboard: (body) => sendJson('POST', '/api/v1/dashboards', body),
  putDashboard: (id, body) => sendJson('PUT', `/api/v1/dashboards/${encodeURIComponent(id)}`, body),
  deleteDashboard: (id) => sendJson('DELETE', `/api/v1/dashboards/${encodeURIComponent(id)}`),
  importDashboard: (text) => sendBody('POST', '/api/v1/dashboards/import', text, 'application/json'),
  // Unparsed lines and the parser builder (issue 23).
  unparsed: (p, signal) => getJson('/api/v1/unparsed', p, signal),
  proposeParser: (line) => sendJson('POST', '/api/v1/unparsed/propose', { line }),
  tryParser: (definition, lines) => sendJson('POST', '/api/v1/unparsed/test', { definition, lines }),
  saveParser: (definition) => sendJson('POST', '/api/v1/unparsed/save', { definition }),
  tailUrl: (q) => {
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    return `${proto}//${location.host}${apiUrl('/api/v1/tail', { q })}`;
  },
};

// UTF-8 byte offset (as the server reports error positions) -> index in the JS string.
export function byteToIndex(s, byte) {
  let b = 0;
  let i = 0;
  while (i < s.length && b < byte) {
    const cp = s.codePointAt(i);
    b += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    i += cp > 0xffff ? 2 : 1;
  }
  return i;
}

// --- Timestamps with nanosecond precision, as BigInt nanoseconds since the epoch. ---------

export function tsToNs(ts) {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?Z$/.exec(ts || '');
  if (!m) {
    const t = Date.parse(ts);
    return isNaN(t) ? null : BigInt(t) * 1000000n;
  }
  const sec = Date.parse(m[1] + 'Z');
  if (isNaN(sec)) return null;
  return BigInt(sec) * 1000000n + BigInt((m[2] || '').padEnd(9, '0') || '0');
}

export function nsToTs(ns) {
  const ms = ns / 1000000n;
  const frac = ns - (ms / 1000n) * 1000000000n;
  const d = new Date(Number((ms / 1000n) * 1000n));
  return d.toISOString().slice(0, 19) + '.' + frac.toString().padStart(9, '0') + 'Z';
}
