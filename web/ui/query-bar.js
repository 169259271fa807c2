// query-bar.js: the query input with field-name completion and a syntax-error marker at the
// position the server reports ({error, position, expected}, position in UTF-8 bytes).
import { el, clear, visibleText } from './dom.js';
import { byteToIndex } from './api.js';

const MAX_SUGGESTIONS = 12;

// True when the caret position is after a '|' (in the pipes), ignoring quoted text.
function inPipes(text, upTo) {
  let q = false;
  for (let i = 0; i < upTo; i++) {
    const c = text[i];
    if (q) { if (c === '\\') i++; else if (c === '"') q = false; continue; }
    if (c === '"') q = true;
    else if (c === '|') {
      if (text[i + 1] === '|') { i++; continue; }
      return true;
    }
  }
  return false;
}

export class QueryBar {
  constructor({ onRun, fieldNames, savedSearches, onSaved }) {
    this.onRun = onRun;
    this.fieldNames = fieldNames; // () => string[]
    // Issue 25: a query that starts with '$' lists the saved searches whose name holds the rest;
    // choosing one calls onSaved(it) instead of editing the text.
    this.savedSearches = savedSearches; // () => [{id, name, query, ...}]
    this.onSaved = onSaved;
    this.savedMode = false;
    this.input = el('input', {
      type: 'text', id: 'q', class: 'query-input', placeholder: 'Search: "Failed password" host.name:bastion -user.name:root | stats count() by source.ip',
      autocomplete: 'off', spellcheck: 'false', autocapitalize: 'off', 'aria-label': 'query',
      'aria-autocomplete': 'list', 'aria-controls': 'q-suggest',
    });
    this.list = el('ul', { id: 'q-suggest', class: 'suggest', role: 'listbox', hidden: true });
    this.marker = el('div', { class: 'query-error', hidden: true, role: 'alert' });
    this.root = el('div', { class: 'query-bar' }, this.input, this.list, this.marker);
    this.items = [];
    this.active = -1;
    this.input.addEventListener('input', () => { this.clearError(); this.suggest(); });
    this.input.addEventListener('keydown', (e) => this.onKey(e));
    this.input.addEventListener('blur', () => setTimeout(() => this.closeSuggest(), 150));
  }

  get value() { return this.input.value; }
  set value(v) { this.input.value = v; this.clearError(); this.closeSuggest(); }
  focus() { this.input.focus(); const n = this.input.value.length; this.input.setSelectionRange(n, n); }

  onKey(e) {
    const open = !this.list.hidden && this.items.length > 0;
    if (e.key === 'ArrowDown' && open) { e.preventDefault(); this.move(1); return; }
    if (e.key === 'ArrowUp' && open) { e.preventDefault(); this.move(-1); return; }
    if ((e.key === 'Tab' || e.key === 'Enter') && open && this.active >= 0) {
      e.preventDefault();
      this.accept(this.items[this.active]);
      return;
    }
    if (e.key === 'Escape' && open) { e.preventDefault(); e.stopPropagation(); this.closeSuggest(); return; }
    if (e.key === 'Enter') {
      e.preventDefault();
      this.closeSuggest();
      this.onRun(this.input.value);
    }
  }

  // The word being typed at the caret: [start, end) and its text.
  currentWord() {
    const v = this.input.value;
    const caret = this.input.selectionStart ?? v.length;
    let start = caret;
    while (start > 0 && !/[\s(),|!]/.test(v[start - 1])) start--;
    if (v[start] === '-' ) start++;
    let end = caret;
    while (end < v.length && !/[\s(),|]/.test(v[end])) end++;
    return { start, end, word: v.slice(start, caret) };
  }

  suggest() {
    const { word, start } = this.currentWord();
    const v = this.input.value;
    this.savedMode = false;
    if (this.savedSearches && v.startsWith('$')) return this.suggestSaved(v.slice(1).trim().toLowerCase());
    // no completion inside a quoted string, a value (after ':') or a regex
    let quotes = 0;
    for (let i = 0; i < start; i++) { if (v[i] === '\\') i++; else if (v[i] === '"') quotes++; }
    if (!word || word.includes(':') || word.includes('"') || word.startsWith('/') || quotes % 2 === 1) return this.closeSuggest();
    const w = word.toLowerCase();
    const names = this.fieldNames() || [];
    const prefix = [], inner = [];
    for (const n of names) {
      const l = n.toLowerCase();
      if (l === w) continue;
      if (l.startsWith(w)) prefix.push(n);
      else if (w.length >= 2 && l.includes(w)) inner.push(n);
    }
    this.items = prefix.concat(inner).slice(0, MAX_SUGGESTIONS);
    if (!this.items.length) return this.closeSuggest();
    // A word that already is a field name (`... by message`) is complete: the list offers the
    // longer names (error.message, ...) but nothing is selected, so Enter runs the query as
    // typed instead of rewriting it; arrows select one.
    this.active = names.includes(word) ? -1 : 0;
    this.pipes = inPipes(v, start);
    this.renderList();
  }

  // Saved searches by name. Nothing is selected at first: Enter still runs the text as typed (a
  // search for "$env:temp" in PowerShell logs stays one); an arrow key picks one.
  suggestSaved(w) {
    const all = this.savedSearches() || [];
    this.items = all.filter((s) => String(s.name).toLowerCase().includes(w)).slice(0, MAX_SUGGESTIONS);
    if (!this.items.length) return this.closeSuggest();
    this.savedMode = true;
    this.active = -1;
    this.renderList();
  }

  label(item) {
    return this.savedMode ? el('span', null, '★ ', visibleText(String(item.name)), el('span', { class: 'muted' }, '  ' + visibleText(String(item.query).slice(0, 80)))) : item;
  }

  renderList() {
    clear(this.list);
    this.items.forEach((n, i) => {
      const li = el('li', { role: 'option', class: i === this.active ? 'active' : '', 'aria-selected': i === this.active ? 'true' : 'false' }, this.label(n));
      li.addEventListener('mousedown', (e) => { e.preventDefault(); this.accept(n); });
      this.list.appendChild(li);
    });
    this.list.hidden = false;
  }

  move(d) {
    this.active = (this.active + d + this.items.length) % this.items.length;
    this.renderList();
  }

  accept(name) {
    if (this.savedMode) {
      this.closeSuggest();
      this.onSaved(name);
      return;
    }
    const { start, end } = this.currentWord();
    const v = this.input.value;
    const ins = this.pipes ? name : name + ':';
    this.input.value = v.slice(0, start) + ins + v.slice(end);
    const caret = start + ins.length;
    this.input.setSelectionRange(caret, caret);
    this.closeSuggest();
    this.input.focus();
  }

  closeSuggest() {
    this.list.hidden = true;
    this.items = [];
    this.active = -1;
  }

  clearError() {
    this.marker.hidden = true;
    clear(this.marker);
    this.input.classList.remove('has-error');
  }

  // Shows {error, position, expected} under the input, with the character at the position marked.
  showError(body, queryText) {
    const text = queryText ?? this.input.value;
    clear(this.marker);
    this.input.classList.add('has-error');
    const msg = String(body?.error ?? 'bad query');
    const hasPos = typeof body?.position === 'number';
    this.marker.appendChild(el('span', { class: 'err-msg' }, msg, body?.expected ? ` — expected ${body.expected}` : ''));
    if (hasPos) {
      const i = Math.min(byteToIndex(text, body.position), text.length);
      const before = text.slice(Math.max(0, i - 60), i);
      const at = text.slice(i, i + 1);
      const after = text.slice(i + 1, i + 41);
      this.marker.appendChild(el('div', { class: 'err-snippet' },
        i > 60 ? '…' : '', visibleText(before),
        el('mark', { class: 'err-at', title: `position ${body.position}` }, at ? visibleText(at) : '␣'),
        visibleText(after), text.length > i + 41 ? '…' : '',
        el('span', { class: 'muted' }, `  (at character ${i + 1})`)));
      this.input.focus();
      this.input.setSelectionRange(i, Math.min(text.length, i + 1));
    }
    this.marker.hidden = false;
  }
}

// Quotes a value for `field:value` per docs/query.md: bare when it is a plain token, else in
// double quotes with \ and " escaped (a quoted value is literal: no glob, regex or range).
export function quoteValue(v) {
  const s = String(v ?? '');
  const plain = /^[A-Za-z0-9_@][A-Za-z0-9_.@-]*$/.test(s) && !/^(AND|OR|NOT|TO)$/.test(s);
  const ipv6 = /^[0-9A-Fa-f]{1,4}:[0-9A-Fa-f:.]*$/.test(s);
  if (plain || ipv6) return s;
  return '"' + s.replace(/\\/g, '\\\\').replace(/"/g, '\\"') + '"';
}

// The filter part of a query (before the first top-level '|').
export function splitPipes(q) {
  let inQ = false;
  for (let i = 0; i < q.length; i++) {
    const c = q[i];
    if (inQ) { if (c === '\\') i++; else if (c === '"') inQ = false; continue; }
    if (c === '"') inQ = true;
    else if (c === '|') {
      if (q[i + 1] === '|') { i++; continue; }
      return { filter: q.slice(0, i).trim(), pipes: q.slice(i).trim() };
    }
  }
  return { filter: q.trim(), pipes: '' };
}

export function addClause(query, clause) {
  const { filter, pipes } = splitPipes(query);
  const base = filter === '*' ? '' : filter;
  // wrap an OR at the top level so the new clause ANDs with the whole filter
  const needsParens = /\s(OR|\|\|)\s/.test(base);
  const f = base ? `${needsParens ? `(${base})` : base} ${clause}` : clause;
  return pipes ? `${f} ${pipes}` : f;
}
