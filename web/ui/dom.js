// dom.js: the only way the UI builds DOM. Log data is attacker-controlled, so text always goes
// through textContent (never innerHTML & co.), attributes are set one by one from a fixed list
// of safe names, and URLs (href/src) are never taken from log data.

const SVG_NS = 'http://www.w3.org/2000/svg';

// Attributes el() accepts. No href/src/srcdoc/formaction/on* and no style: anything that could
// turn data into code or a request.
const SAFE_ATTRS = new Set([
  'class', 'id', 'title', 'type', 'value', 'placeholder', 'name', 'role', 'tabindex', 'for',
  'disabled', 'checked', 'selected', 'readonly', 'hidden', 'colspan', 'rowspan', 'min', 'max', 'step',
  'autocomplete', 'spellcheck', 'autocapitalize', 'download', 'datetime', 'scope', 'lang', 'dir',
  // svg geometry
  'viewBox', 'x', 'y', 'x1', 'x2', 'y1', 'y2', 'width', 'height', 'rx', 'ry', 'cx', 'cy', 'r', 'd',
  'points', 'transform', 'text-anchor', 'dominant-baseline', 'preserveAspectRatio', 'fill', 'stroke',
  'stroke-width', 'opacity', 'xmlns',
]);

function setAttrs(node, attrs) {
  if (!attrs) return;
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'text') { node.textContent = String(v); continue; }
    if (k === 'on') { for (const [ev, fn] of Object.entries(v)) node.addEventListener(ev, fn); continue; }
    if (k === 'dataset') { for (const [dk, dv] of Object.entries(v)) node.dataset[dk] = String(dv); continue; }
    if (k === 'aria') { for (const [ak, av] of Object.entries(v)) node.setAttribute('aria-' + ak, String(av)); continue; }
    if (k === 'href') {
      // Only same-origin API/UI links built by the UI itself.
      const s = String(v);
      if (!(s.startsWith('/api/') || s.startsWith('/?') || s === '/' || s.startsWith('#'))) throw new Error('refusing href ' + s);
      node.setAttribute('href', s);
      continue;
    }
    if (!SAFE_ATTRS.has(k) && !k.startsWith('data-') && !k.startsWith('aria-')) throw new Error('attribute not allowed: ' + k);
    node.setAttribute(k, v === true ? '' : String(v));
  }
}

function append(node, children) {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    if (Array.isArray(c)) append(node, c);
    else if (c instanceof Node) node.appendChild(c);
    else node.appendChild(document.createTextNode(String(c)));
  }
}

// el('div', {class: 'x', on: {click: fn}}, 'text', child...): strings become text nodes.
export function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  setAttrs(node, attrs);
  append(node, children);
  return node;
}

export function svg(tag, attrs, ...children) {
  const node = document.createElementNS(SVG_NS, tag);
  setAttrs(node, attrs);
  append(node, children);
  return node;
}

export function clear(node) {
  while (node.firstChild) node.removeChild(node.firstChild);
  return node;
}

export function replace(node, ...children) {
  clear(node);
  append(node, children);
  return node;
}

// Characters that are invisible or reorder text: C0/C1 controls, DEL, bidi embeddings,
// overrides and isolates, bidi marks, zero-width characters and the BOM.
const INVISIBLE = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]/g;
const NAMED = { '\n': '\\n', '\r': '\\r', '\t': '\\t', '\u001b': '\\x1b' };

export function escapeChar(ch) {
  if (NAMED[ch]) return NAMED[ch];
  const c = ch.charCodeAt(0);
  return c < 0x100 ? '\\x' + c.toString(16).padStart(2, '0') : '\\u' + c.toString(16).padStart(4, '0');
}

// Plain text with every invisible character written as a visible escape (for titles, inputs).
export function visibleText(s) {
  return String(s).replace(INVISIBLE, escapeChar);
}

export function hasInvisible(s) {
  INVISIBLE.lastIndex = 0;
  const r = INVISIBLE.test(s);
  INVISIBLE.lastIndex = 0;
  return r;
}

// Appends `s` to `parent` as text nodes, with each invisible character shown as a highlighted
// escape span. Text only: nothing in `s` can become markup.
export function appendVisible(parent, s) {
  s = String(s);
  let last = 0;
  INVISIBLE.lastIndex = 0;
  let m;
  while ((m = INVISIBLE.exec(s)) !== null) {
    if (m.index > last) parent.appendChild(document.createTextNode(s.slice(last, m.index)));
    parent.appendChild(el('span', { class: 'esc', title: 'invisible or control character U+' + m[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0') }, escapeChar(m[0])));
    last = m.index + m[0].length;
  }
  if (last < s.length) parent.appendChild(document.createTextNode(s.slice(last)));
  return parent;
}

// Multi-line text (a rule's YAML, an event as indented JSON) into `parent`: its line breaks kept,
// every other invisible character shown as an escape.
export function appendLines(parent, s) {
  String(s).split('\n').forEach((line, i) => {
    if (i) parent.appendChild(document.createTextNode('\n'));
    appendVisible(parent, line);
  });
  return parent;
}

// A span showing a value: escapes made visible, cut at `max` characters with a "show all" button.
export function valueView(value, max = 2000, cls = 'val') {
  const s = value === null || value === undefined ? '' : String(value);
  const span = el('span', { class: cls });
  if (s.length <= max) return appendVisible(span, s);
  const body = el('span');
  appendVisible(body, s.slice(0, max));
  const more = el('button', { type: 'button', class: 'link show-all', title: 'show the whole value' },
    `… show all (${fmtInt(s.length)} characters)`);
  more.addEventListener('click', (e) => {
    e.stopPropagation();
    clear(body);
    appendVisible(body, s);
    more.remove();
  });
  span.append(body, ' ', more);
  return span;
}

export function fmtInt(n) {
  if (typeof n !== 'number' || !isFinite(n)) return String(n ?? '');
  return n.toLocaleString('en-US');
}

export function fmtBytes(n) {
  if (typeof n !== 'number' || !isFinite(n)) return '–';
  const u = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let i = 0;
  while (Math.abs(n) >= 1024 && i < u.length - 1) { n /= 1024; i++; }
  return (i === 0 ? n.toFixed(0) : n.toFixed(n < 10 ? 2 : n < 100 ? 1 : 0)) + ' ' + u[i];
}

// "2026-11-20 10:00:00.123" (UTC) from an RFC 3339 string, keeping sub-ms digits if present.
export function fmtUtc(ts) {
  if (typeof ts !== 'string') return '';
  const m = /^(\d{4}-\d\d-\d\d)T(\d\d:\d\d:\d\d)(\.\d+)?Z$/.exec(ts);
  if (m) return `${m[1]} ${m[2]}${(m[3] || '.000').slice(0, 4)}`;
  const d = new Date(ts);
  if (isNaN(d)) return ts;
  return d.toISOString().replace('T', ' ').replace('Z', '');
}

// The local offset, "UTC+02:00".
export function localOffsetLabel(date = new Date()) {
  const off = -date.getTimezoneOffset();
  const sign = off >= 0 ? '+' : '-';
  const a = Math.abs(off);
  return `UTC${sign}${String(Math.floor(a / 60)).padStart(2, '0')}:${String(a % 60).padStart(2, '0')}`;
}

export function fmtLocal(ts) {
  const d = ts instanceof Date ? ts : new Date(ts);
  if (isNaN(d)) return '';
  const p = (n, w = 2) => String(n).padStart(w, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)} (${localOffsetLabel(d)})`;
}

// "3 min ago", "2 h ago", "5 d ago".
export function fmtAgo(ms) {
  if (typeof ms !== 'number' || !isFinite(ms)) return '–';
  const neg = ms < 0;
  ms = Math.abs(ms);
  const s = ms / 1000;
  let t;
  if (s < 60) t = `${Math.round(s)} s`;
  else if (s < 3600) t = `${Math.round(s / 60)} min`;
  else if (s < 86400 * 2) t = `${(s / 3600).toFixed(s < 36000 ? 1 : 0)} h`;
  else t = `${(s / 86400).toFixed(s < 864000 ? 1 : 0)} d`;
  return neg ? `in ${t}` : `${t} ago`;
}

export function fmtDuration(s) {
  if (typeof s !== 'number' || !isFinite(s)) return '–';
  if (s < 60) return `${Math.round(s)} s`;
  if (s < 3600) return `${Math.round(s / 60)} min`;
  if (s < 86400 * 2) return `${(s / 3600).toFixed(1)} h`;
  return `${(s / 86400).toFixed(1)} d`;
}

// A link out of the UI (a rule's reference, issue 21): only an http(s) URL becomes a link, opened
// in a new tab with no access to this page (rel=noopener noreferrer); anything else (javascript:,
// data:, a relative path) is shown as text. The href is the URL as the browser parsed it.
export function externalLink(url, label) {
  const s = url === null || url === undefined ? '' : String(url);
  let u = null;
  try { u = new URL(s); } catch { u = null; }
  if (!u || (u.protocol !== 'http:' && u.protocol !== 'https:')) return valueView(s, 300, 'val not-a-link');
  const a = document.createElement('a');
  a.setAttribute('href', u.href);
  a.setAttribute('rel', 'noopener noreferrer');
  a.setAttribute('target', '_blank');
  a.className = 'external';
  a.appendChild(valueView(label ?? s, 300));
  return a;
}
