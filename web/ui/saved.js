// saved.js: saved searches (issue 25, /api/v1/saved-searches, docs/dashboards.md): the Saved page
// (the searches one may open, share, unshare, delete), the Search page's "Save" form, the names
// the query bar completes after a '$', and the permalink ?view=saved&id=ID that opens one.
import { el, replace, valueView, fmtUtc } from './dom.js';
import { api } from './api.js';
import { RANGES, writeState } from './state.js';

// The saved searches the signed-in user may read, fetched once and refreshed after each change.
let cache = null;
export function savedSearches() { return cache || []; }
export async function loadSaved() {
  try { cache = (await api.savedSearches()).items || []; } catch { cache = cache || []; }
  return cache;
}

// What the signed-in user may do (server/owned_store.h): analysts and admins create; owners and
// admins change.
// A link to a saved search (its permalink); a plain click opens it without reloading the page.
export function savedLink(app, s, label, attrs = {}) {
  const a = el('a', { href: '/?view=saved&id=' + encodeURIComponent(s.id), ...attrs }, label);
  a.addEventListener('click', (e) => {
    if (e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0) return;
    e.preventDefault();
    app.navigate({ ...app.state, view: 'saved', savedId: s.id });
  });
  return a;
}

export function canCreate(me) { return (me?.permissions || []).includes('triage'); }
export function canChange(me, obj) {
  const perms = me?.permissions || [];
  return perms.includes('admin') || (obj.owner === me?.user && perms.includes('triage'));
}

// A saved search as a Search state: one of the picker's ranges when it is one, else custom.
export function savedToState(s) {
  const q = String(s.query ?? '');
  const from = String(s.from ?? '-24h'), to = String(s.to ?? 'now');
  const rel = /^(?:now)?-(\d+[mhd])$/.exec(from);
  const cols = Array.isArray(s.columns) ? s.columns.map(String) : [];
  if (rel && to === 'now' && RANGES.some(([k]) => k === rel[1])) return { view: 'search', q, cols, range: rel[1], from: '', to: '' };
  return { view: 'search', q, cols, range: 'custom', from, to: to === 'now' ? '' : to };
}

// The time range a Search state saves: relative ranges stay relative.
export function stateToRange(state) {
  if (state.range === 'custom') return { from: state.from || '-24h', to: state.to || 'now' };
  return { from: '-' + state.range, to: 'now' };
}

function rangeLabel(s) {
  const st = savedToState(s);
  if (st.range !== 'custom') return RANGES.find(([k]) => k === st.range)[1];
  return `${s.from} → ${s.to}`;
}

// The Search page's "Save" button and its form (name, shared).
export class SaveControl {
  constructor(app, getState) {
    this.app = app;
    this.getState = getState;
    this.button = el('button', { type: 'button', id: 'save-search', title: 'Save this search (query and time range)' }, '☆ Save');
    this.name = el('input', { type: 'text', id: 'save-name', placeholder: 'name of the saved search', 'aria-label': 'name', spellcheck: 'false' });
    this.shared = el('input', { type: 'checkbox', id: 'save-shared' });
    const ok = el('button', { type: 'button', class: 'primary', id: 'save-ok' }, 'Save');
    const cancel = el('button', { type: 'button', id: 'save-cancel' }, 'Cancel');
    this.message = el('span', { class: 'small', id: 'save-message', role: 'status' });
    this.form = el('div', { class: 'save-form', id: 'save-form', hidden: true }, this.name,
      el('label', { class: 'small' }, this.shared, ' shared with everyone'), ok, cancel, this.message);
    this.button.addEventListener('click', () => this.open());
    ok.addEventListener('click', () => this.save());
    cancel.addEventListener('click', () => { this.form.hidden = true; });
    this.name.addEventListener('keydown', (e) => { if (e.key === 'Enter') { e.preventDefault(); this.save(); } });
  }

  open() {
    this.form.hidden = false;
    replace(this.message);
    const q = this.getState()?.q || '';
    if (!this.name.value) this.name.value = q.slice(0, 60);
    this.name.focus();
    this.name.select();
  }

  async save() {
    const state = this.getState();
    replace(this.message, 'Saving…');
    try {
      const saved = await api.createSavedSearch({ name: this.name.value.trim(), query: state.q || '*', ...stateToRange(state), columns: state.cols || [], shared: this.shared.checked });
      await loadSaved();
      replace(this.message, el('span', { class: 'ok' }, 'Saved: '), savedLink(this.app, saved, 'permalink', { id: 'save-link' }));
    } catch (e) {
      replace(this.message, el('span', { class: 'error' }, e.message));
    }
  }
}

// The Saved page: the list; with ?id= it opens that search.
export class SavedPage {
  constructor(app) {
    this.app = app;
    this.filter = el('input', { type: 'text', id: 'saved-filter', placeholder: 'filter by name or query', 'aria-label': 'filter', spellcheck: 'false' });
    this.filter.addEventListener('input', () => this.render());
    this.status = el('div', { class: 'status', role: 'status', id: 'saved-status' });
    this.box = el('div', { class: 'saved-box' });
    this.root = el('div', { class: 'page saved-page' },
      el('div', { class: 'toolbar' }, el('h2', null, 'Saved searches'), this.filter, el('span', { class: 'grow' })),
      this.status, this.box);
  }

  leave() {}
  focusQuery() { this.filter.focus(); }
  redraw() {}

  async show(state) {
    if (state.savedId) return this.openOne(state.savedId);
    replace(this.status, 'Loading…');
    await loadSaved();
    replace(this.status);
    this.render();
  }

  // The permalink: replaces the history entry with the search it holds.
  async openOne(id) {
    replace(this.status, 'Opening…');
    try {
      const s = await api.savedSearch(id);
      const next = savedToState(s);
      writeState(next, true);
      this.app.apply(next);
    } catch (e) {
      replace(this.status, el('span', { class: 'error' }, `Saved search ${id}: ${e.message}`));
    }
  }

  render() {
    const me = this.app.me;
    const f = this.filter.value.trim().toLowerCase();
    const items = savedSearches().filter((s) => !f || String(s.name).toLowerCase().includes(f) || String(s.query).toLowerCase().includes(f));
    if (!items.length) {
      replace(this.box, el('div', { class: 'empty' }, savedSearches().length ? 'None matches the filter.' : 'No saved searches yet: save one from the Search page.'));
      return;
    }
    const rows = items.map((s) => {
      const actions = el('td', { class: 'actions' });
      if (canChange(me, s)) {
        const share = el('button', { type: 'button', class: 'small-btn', 'data-action': 'share' }, s.shared ? 'Unshare' : 'Share');
        share.addEventListener('click', () => this.change(s, () => api.patchSavedSearch(s.id, { shared: !s.shared })));
        const del = el('button', { type: 'button', class: 'small-btn danger', 'data-action': 'delete' }, 'Delete');
        del.addEventListener('click', () => { if (confirm(`Delete the saved search "${s.name}"?`)) this.change(s, () => api.deleteSavedSearch(s.id)); });
        actions.append(share, del);
      }
      return el('tr', { 'data-id': s.id },
        el('td', null, savedLink(this.app, s, valueView(s.name, 128), { class: 'saved-open' })),
        el('td', { class: 'mono' }, valueView(s.query, 300)),
        el('td', null, rangeLabel(s)),
        el('td', null, valueView(s.owner, 64)),
        el('td', null, s.shared ? 'shared' : 'private'),
        el('td', { title: String(s.updated) }, fmtUtc(String(s.updated)).slice(0, 16)),
        actions);
    });
    replace(this.box, el('table', { class: 'saved-table', id: 'saved-table' },
      el('thead', null, el('tr', null, ...['Name', 'Query', 'Time range', 'Owner', 'Sharing', 'Updated (UTC)', ''].map((h) => el('th', null, h)))),
      el('tbody', null, rows)));
  }

  async change(s, fn) {
    try {
      await fn();
      await loadSaved();
      this.render();
      replace(this.status);
    } catch (e) {
      replace(this.status, el('span', { class: 'error' }, e.message));
    }
  }
}
