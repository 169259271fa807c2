// dashboards.js: the Dashboards page (issue 25, /api/v1/dashboards, docs/dashboards.md). Without
// an id: the dashboards one may read, "New" (analysts, admins) and "Import" (an exported file).
// With ?view=dashboards&id=ID: the grid of panels under one time picker and one filter bar; each
// panel's query runs as its own /api/v1/search request (so a slow panel never holds the others),
// drawn as a time chart, bars, a table, one number with its change against the previous period,
// or the newest events. A click on a row, a number or a panel's title opens the search behind it.
// Edit mode (owners, admins) retitles, changes, resizes, moves (dragged on the grid, or with the
// keyboard: dash_layout.js), adds (from a saved search too) and removes panels, then saves. The
// shipped dashboards (builtin) are read-only: Copy makes an editable one. Everything shown from
// the data goes through dom.js.
import { el, replace, clear, valueView, fmtInt, fmtUtc } from './dom.js';
import { api } from './api.js';
import { splitPipes, quoteValue } from './query-bar.js';
import { drawBarChart, drawLineChart, drawStackedBars } from './charts.js';
import { layoutEditor, settle, placePanel } from './dash_layout.js';
import { summarize } from './summary.js';
import { RANGES, resolveRange } from './state.js';
import { savedSearches, loadSaved, canCreate, canChange, savedToState } from './saved.js';

const TYPES = ['timechart', 'bar', 'table', 'number', 'events'];

// A panel's query under the dashboard's filter: (filter) AND (panel filter) | panel pipes.
export function composeQuery(filter, panelQuery) {
  const { filter: pf, pipes } = splitPipes(String(panelQuery || ''));
  const f = String(filter || '').trim();
  const parts = [];
  if (f) parts.push(`(${f})`);
  if (pf && pf !== '*') parts.push(`(${pf})`);
  const base = parts.join(' AND ') || '*';
  return pipes ? `${base} ${pipes}` : base;
}

// Buckets of a timechart without span=: about 60 over the range, at a round span the query
// language takes (so a panel reads the same over 24 hours and over 30 days).
const SPANS = [['1m', 60e3], ['5m', 300e3], ['10m', 600e3], ['15m', 900e3], ['30m', 1800e3], ['1h', 3600e3],
  ['2h', 7200e3], ['3h', 10800e3], ['6h', 21600e3], ['12h', 43200e3], ['1d', 86400e3], ['2d', 172800e3],
  ['7d', 604800e3], ['14d', 1209600e3], ['30d', 2592000e3], ['90d', 7776000e3], ['180d', 15552000e3], ['365d', 31536000e3]];

export function autoSpan(rangeMs) {
  return SPANS.find(([, ms]) => rangeMs / ms <= 60) || SPANS[SPANS.length - 1];
}

// The query a panel runs: a `| timechart` without span= gets the range's span. Returns the query
// and the span in ms (0 when the panel is not such a time chart).
export function panelQuery(q, range) {
  const m = /\|\s*timechart\b([^|]*)/.exec(q);
  if (!m) return { q, spanMs: 0 };
  const given = /\bspan=(\d+)([smhd])\b/.exec(m[1]);
  if (given) return { q, spanMs: Number(given[1]) * { s: 1e3, m: 60e3, h: 3600e3, d: 86400e3 }[given[2]] };
  const [label, ms] = autoSpan(Date.parse(range.to) - Date.parse(range.from));
  return { q: q.slice(0, m.index) + q.slice(m.index).replace(/timechart\b/, `timechart span=${label}`), spanMs: ms };
}

// The dashboard's range as a picker key: one of RANGES when its from/to is one, else 24h.
function rangeKeyOf(d) {
  const st = savedToState({ query: '', from: d.from, to: d.to });
  return st.range === 'custom' ? '24h' : st.range;
}

export class DashboardsPage {
  constructor(app) {
    this.app = app;
    this.status = el('div', { class: 'status', role: 'status', id: 'dash-status' });
    this.body = el('div', { class: 'dash-body' });
    this.head = el('div', { class: 'toolbar', id: 'dash-toolbar' });
    this.root = el('div', { class: 'page dashboards-page' }, this.head, this.status, this.body);
    this.seq = 0;
    this.timer = null;
  }

  leave() { this.stopRefresh(); this.seq++; }
  focusQuery() {}
  redraw() { if (this.dash && !this.editing) this.runPanels(); }

  async show(state) {
    this.stopRefresh();
    this.editing = false;
    // A fixed period from the URL (&from=&to=): an incident's window, a screenshot's.
    this.urlRange = state.range === 'custom' && state.from && state.to ? { from: state.from, to: state.to } : null;
    if (state.dashId) return this.open(state.dashId);
    this.dash = null;
    return this.showList();
  }

  // ---- the list -------------------------------------------------------------------------

  async showList() {
    const me = this.app.me;
    const create = el('button', { type: 'button', id: 'dash-new', hidden: !canCreate(me) }, '+ New dashboard');
    create.addEventListener('click', () => this.createNew());
    const file = el('input', { type: 'file', id: 'dash-import-file', hidden: true });
    const importBtn = el('button', { type: 'button', id: 'dash-import', hidden: !canCreate(me) }, 'Import…');
    importBtn.addEventListener('click', () => file.click());
    file.addEventListener('change', () => this.importFile(file.files[0]));
    replace(this.head, el('h2', null, 'Dashboards'), el('span', { class: 'grow' }), create, importBtn, file);
    replace(this.status, 'Loading…');
    try {
      const items = (await api.dashboards()).items || [];
      replace(this.status);
      replace(this.body, items.length ? this.listTable(items) : el('div', { class: 'empty' }, 'No dashboards yet.'));
    } catch (e) {
      replace(this.status, el('span', { class: 'error' }, e.message));
    }
  }

  listTable(items) {
    const rows = items.map((d) => el('tr', { 'data-id': d.id },
      el('td', null, this.link(d.id, valueView(d.title, 128), 'dash-open')),
      el('td', { class: 'num' }, fmtInt((d.panels || []).length)),
      el('td', null, d.builtin ? 'kamatama (built-in)' : valueView(d.owner, 64)),
      el('td', null, d.builtin ? 'everyone, read-only' : d.shared ? 'shared' : 'private'),
      el('td', null, d.builtin ? '' : fmtUtc(String(d.updated)).slice(0, 16))));
    return el('table', { class: 'saved-table', id: 'dash-table' },
      el('thead', null, el('tr', null, ['Title', 'Panels', 'Owner', 'Sharing', 'Updated (UTC)'].map((h) => el('th', null, h)))),
      el('tbody', null, rows));
  }

  link(id, label, cls) {
    const a = el('a', { href: '/?view=dashboards&id=' + encodeURIComponent(id), class: cls }, label);
    a.addEventListener('click', (e) => {
      if (e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0) return;
      e.preventDefault();
      this.app.navigate({ ...this.app.state, view: 'dashboards', dashId: id, range: '24h', from: '', to: '' });
    });
    return a;
  }

  // Copy: a new private dashboard with the fields of this one (a shipped one included), in edit mode.
  async copyDash() {
    const { id, owner, created, updated, updated_by, builtin, shared, ...fields } = this.dash;
    try {
      const d = await api.createDashboard({ ...fields, title: `${fields.title} (copy)`.slice(0, 128) });
      this.pendingEdit = true;
      this.app.navigate({ ...this.app.state, view: 'dashboards', dashId: d.id });
    } catch (e) { replace(this.status, el('span', { class: 'error', id: 'dash-copy-error' }, 'Copy: ' + e.message)); }
  }

  async createNew() {
    try {
      const d = await api.createDashboard({ title: 'New dashboard', panels: [] });
      this.pendingEdit = true;  // open() goes into edit mode once it is loaded
      this.app.navigate({ ...this.app.state, view: 'dashboards', dashId: d.id });
    } catch (e) { replace(this.status, el('span', { class: 'error' }, e.message)); }
  }

  async importFile(f) {
    if (!f) return;
    try {
      const d = await api.importDashboard(await f.text());
      this.app.navigate({ ...this.app.state, view: 'dashboards', dashId: d.id });
    } catch (e) { replace(this.status, el('span', { class: 'error', id: 'dash-import-error' }, 'Import: ' + e.message)); }
  }

  // ---- one dashboard --------------------------------------------------------------------

  async open(id) {
    replace(this.status, 'Loading…');
    try {
      this.dash = await api.dashboard(id);
    } catch (e) {
      replace(this.head, el('h2', null, 'Dashboards'));
      replace(this.status, el('span', { class: 'error' }, `Dashboard ${id}: ${e.message}`));
      clear(this.body);
      return;
    }
    await loadSaved();
    // Back from a click-through to the same dashboard: the range and filter chosen stay.
    if (this.lastId !== id || this.urlRange) {
      this.range = this.urlRange ? 'custom' : rangeKeyOf(this.dash);
      this.filter = String(this.dash.filter || '');
    }
    this.custom = this.urlRange || this.custom;
    this.lastId = id;
    this.renderHead();
    this.runPanels();
    this.startRefresh();
    if (this.pendingEdit && canChange(this.app.me, this.dash)) this.startEdit();
    this.pendingEdit = false;
  }

  renderHead() {
    const d = this.dash;
    const custom = this.custom ? [el('option', { value: 'custom', selected: this.range === 'custom' }, `${fmtUtc(this.custom.from).slice(0, 16)} → ${fmtUtc(this.custom.to).slice(0, 16)}`)] : [];
    this.rangeSelect = el('select', { id: 'dash-range', 'aria-label': 'time range' }, RANGES.map(([k, label]) => el('option', { value: k, selected: k === this.range }, label)), custom);
    this.filterInput = el('input', { type: 'text', id: 'dash-filter', class: 'dash-filter', placeholder: 'filter every panel: host.name:fw-1', value: this.filter, spellcheck: 'false', 'aria-label': 'dashboard filter' });
    const apply = el('button', { type: 'button', class: 'primary', id: 'dash-apply' }, 'Apply');
    const onApply = () => { this.range = this.rangeSelect.value; this.filter = this.filterInput.value.trim(); this.runPanels(); };
    apply.addEventListener('click', onApply);
    this.filterInput.addEventListener('keydown', (e) => { if (e.key === 'Enter') { e.preventDefault(); onApply(); } });
    this.rangeSelect.addEventListener('change', onApply);
    const exp = el('a', { class: 'button', id: 'dash-export', href: `/api/v1/dashboards/${encodeURIComponent(d.id)}/export`, download: `dashboard-${d.id}.json` }, 'Export');
    const edit = el('button', { type: 'button', id: 'dash-edit', hidden: d.builtin || !canChange(this.app.me, d) }, 'Edit');
    edit.addEventListener('click', () => this.startEdit());
    const copy = el('button', { type: 'button', id: 'dash-copy', hidden: !canCreate(this.app.me), title: 'a private copy you can change' }, 'Copy');
    copy.addEventListener('click', () => this.copyDash());
    const sharing = d.builtin ? 'built-in, read-only' : d.shared ? 'shared' : 'private';
    replace(this.head, el('h2', { id: 'dash-title', title: String(d.description || '') }, valueView(d.title, 128)), el('span', { class: 'muted small' }, sharing),
      this.rangeSelect, this.filterInput, apply, el('span', { class: 'grow' }), exp, copy, edit);
  }

  startRefresh() {
    this.stopRefresh();
    const s = Number(this.dash?.refresh) || 0;
    if (s >= 10) this.timer = setInterval(() => { if (!this.editing && !document.hidden) this.runPanels(); }, s * 1000);
  }
  stopRefresh() { if (this.timer) clearInterval(this.timer); this.timer = null; }

  // Runs every panel at once; each draws when its own answer arrives.
  runPanels() {
    const seq = ++this.seq;
    const range = resolveRange(this.range === 'custom' && this.custom ? { range: 'custom', ...this.custom } : { range: this.range });
    const grid = el('div', { class: 'dash-grid', id: 'dash-grid' });
    replace(this.body, grid);
    const panels = this.dash.panels || [];
    if (!panels.length) grid.appendChild(el('div', { class: 'empty' }, 'No panels yet: Edit, then add one.'));
    replace(this.status, el('span', { class: 'muted' }, `${fmtUtc(range.from).slice(0, 16)} → ${fmtUtc(range.to).slice(0, 16)} UTC`));
    // Every panel's request starts now, side by side; each draws when its own answer arrives, so
    // a slow one holds only its own box (the browser runs up to 6 requests at once to the server,
    // whose http.worker_threads answer them in parallel).
    const placed = settle(panels);
    panels.forEach((p, i) => {
      const box = el('div', { class: 'dash-chart' }, el('span', { class: 'muted small' }, 'Loading…'));
      const panel = el('section', { class: `dash-panel type-${p.type} loading`, 'data-index': i },
        el('header', null, this.searchLink(p.title || '(untitled)', panelQuery(composeQuery(this.filter, p.query), range).q, range, 'dash-panel-title')), box);
      placePanel(panel, placed[i]);
      grid.appendChild(panel);
      this.runPanel(p, box, range, seq).then(() => {
        if (seq !== this.seq) return;
        panel.classList.add(box.querySelector('.error') ? 'failed' : box.querySelector('.dash-empty') ? 'empty' : 'drawn');
        panel.dataset.drawnMs = String(Math.round(performance.now()));  // when, for bench/ui_timing.mjs
      }).finally(() => panel.classList.remove('loading'));
    });
  }

  async runPanel(p, box, range, seq) {
    const { q, spanMs } = panelQuery(composeQuery(this.filter, p.query), range);
    try {
      if (p.type === 'number') return await this.drawNumber(q, box, range, seq);
      const res = await api.search({ q, from: range.from, to: range.to, limit: p.type === 'events' ? 20 : 100 });
      if (seq !== this.seq) return;
      if (p.type === 'events') return this.drawEvents(res, box);
      const table = { columns: (res.columns || []).map(String), rows: Array.isArray(res.rows) ? res.rows : [] };
      if (!res.columns) return replace(box, el('span', { class: 'muted small error' }, 'This panel needs a query with pipes (| stats, | timechart, | top).'));
      if (!table.rows.length) return replace(box, el('span', { class: 'muted small dash-empty' }, 'No data in this range.'));
      if (p.type === 'table') return replace(box, this.tableView(table, q));
      clear(box);
      // Drawn in the next frame, once the box has its size; the panel stays 'loading' until then.
      await new Promise((resolve) => requestAnimationFrame(resolve));
      if (seq !== this.seq) return;
      const draw = p.type !== 'timechart' ? drawBarChart : p.options?.stacked ? drawStackedBars : drawLineChart;
      // The room for the chart: the box less its padding (a time chart's legend is taken off by it).
      const height = box.clientHeight - 10;
      const drawn = draw(box, table, { height, spanMs, from: Date.parse(range.from), to: Date.parse(range.to) });
      if (!drawn) replace(box, el('span', { class: 'muted small dash-empty' }, 'No data in this range.'));
      // A bar opens the search for its row (drawBarChart draws the first rows in order).
      else if (p.type === 'bar') box.querySelectorAll('rect.bar').forEach((bar, i) => bar.addEventListener('click', () => this.openRow(table, table.rows[i], q)));
    } catch (e) {
      if (seq === this.seq) replace(box, el('span', { class: 'error small' }, e.message));
    }
  }

  // One number: the count of matching events (or the first cell of a pipe's table), and its
  // change against the period of the same length just before.
  async drawNumber(q, box, range, seq) {
    const { filter, pipes } = splitPipes(q);
    const countQ = pipes ? q : `${filter} | stats count()`;
    const from = Date.parse(range.from), to = Date.parse(range.to);
    const prev = { from: new Date(from - (to - from)).toISOString(), to: range.from };
    const [now, before] = await Promise.all([api.search({ q: countQ, ...range }), api.search({ q: countQ, ...prev })]);
    if (seq !== this.seq) return;
    const value = (r) => (Array.isArray(r.rows) && r.rows.length && typeof r.rows[0][r.rows[0].length - 1] === 'number' ? r.rows[0][r.rows[0].length - 1] : 0);
    const v = value(now), b = value(before);
    const arrow = v > b ? '▲' : v < b ? '▼' : '=';
    const change = b ? `${arrow} ${v >= b ? '+' : ''}${(((v - b) / b) * 100).toFixed(0)}% vs the previous ${periodLabel(to - from)} (${fmtInt(b)})`
      : v ? `▲ none in the previous ${periodLabel(to - from)}` : `none in the previous ${periodLabel(to - from)} either`;
    const dir = v > b ? 'up' : v < b ? 'down' : 'same';
    box.classList.add('dash-number-box');
    replace(box, this.searchLink(fmtInt(v), pipes ? q : filter, range, 'dash-number'), el('div', { class: `small dash-change ${dir}` }, change));
  }

  drawEvents(res, box) {
    const evs = Array.isArray(res.events) ? res.events : [];
    if (!evs.length) return replace(box, el('span', { class: 'muted small' }, 'No events in this range.'));
    replace(box, el('table', { class: 'dash-events' }, el('tbody', null, evs.map((ev) => el('tr', null,
      el('td', { class: 'mono' }, fmtUtc(String(ev['@timestamp'] ?? '')).slice(0, 19)),
      el('td', { class: 'mono' }, valueView(ev['host.name'] ?? '', 40)),
      el('td', { class: 'mono' }, valueView(summarize(ev), 200, 'sum')))))));
  }

  // The search behind one row of a table: the panel's filter and the row's group values.
  openRow(table, r, q) {
    const { filter } = splitPipes(q);
    const clauses = table.columns.map((c, j) => (c === '_time' || r[j] === null || typeof r[j] === 'number' ? '' : `${c}:${quoteValue(r[j])}`)).filter(Boolean);
    const target = [filter === '*' ? '' : filter, ...clauses].filter(Boolean).join(' ') || '*';
    this.app.navigate({ view: 'search', q: target, range: this.range, from: '', to: '' });
  }

  // A table; a click on a row opens the search for its group.
  tableView(table, q) {
    const rows = table.rows.slice(0, 50).map((r) => {
      const tr = el('tr', { class: 'dash-row', tabindex: '0' }, r.map((v) => el('td', { class: typeof v === 'number' ? 'num' : 'mono' },
        v === null ? '∅' : typeof v === 'number' ? fmtInt(v) : valueView(v, 120))));
      tr.addEventListener('click', () => this.openRow(table, r, q));
      tr.addEventListener('keydown', (e) => { if (e.key === 'Enter') this.openRow(table, r, q); });
      return tr;
    });
    return el('table', { class: 'pipe-table dash-table' }, el('thead', null, el('tr', null, table.columns.map((c) => el('th', null, c)))), el('tbody', null, rows));
  }

  searchLink(label, q, range, cls) {
    const b = el('button', { type: 'button', class: `link ${cls}`, title: 'Open in Search: ' + q }, label);
    b.addEventListener('click', () => this.app.navigate({ view: 'search', q, range: this.range, from: '', to: '' }));
    return b;
  }

  // ---- edit mode ------------------------------------------------------------------------

  startEdit() {
    if (!this.dash) return;
    this.editing = true;
    this.stopRefresh();
    this.draft = JSON.parse(JSON.stringify(this.dash));
    this.renderEditor();
  }

  renderEditor() {
    const d = this.draft;
    const title = el('input', { type: 'text', id: 'dash-edit-title', value: d.title, 'aria-label': 'title' });
    title.addEventListener('input', () => { d.title = title.value; });
    const shared = el('input', { type: 'checkbox', id: 'dash-edit-shared', checked: !!d.shared });
    shared.addEventListener('change', () => { d.shared = shared.checked; });
    const filter = el('input', { type: 'text', id: 'dash-edit-filter', value: d.filter || '', placeholder: 'default filter (no pipes)', 'aria-label': 'default filter' });
    filter.addEventListener('input', () => { d.filter = filter.value; });
    const save = el('button', { type: 'button', class: 'primary', id: 'dash-save' }, 'Save');
    save.addEventListener('click', () => this.saveDraft());
    const cancel = el('button', { type: 'button', id: 'dash-cancel' }, 'Cancel');
    cancel.addEventListener('click', () => { this.editing = false; this.renderHead(); this.runPanels(); this.startRefresh(); });
    const del = el('button', { type: 'button', id: 'dash-delete', class: 'danger' }, 'Delete');
    del.addEventListener('click', () => this.deleteDash());
    replace(this.head, title, el('label', { class: 'small' }, shared, ' shared'), filter, el('span', { class: 'grow' }), save, cancel, del);
    const rows = (d.panels || []).map((p, i) => this.panelEditor(p, i));
    const add = el('button', { type: 'button', id: 'dash-add-panel' }, '+ Panel');
    add.addEventListener('click', () => { d.panels.push({ title: 'New panel', query: '* | timechart count()', type: 'timechart', w: 6, h: 4 }); this.renderEditor(); });
    const fromSaved = el('select', { id: 'dash-add-saved', 'aria-label': 'add a panel from a saved search' },
      el('option', { value: '' }, '+ Panel from a saved search…'), savedSearches().map((s) => el('option', { value: s.id }, String(s.name).slice(0, 80))));
    fromSaved.addEventListener('change', () => {
      const s = savedSearches().find((x) => x.id === fromSaved.value);
      if (!s) return;
      const pipes = splitPipes(String(s.query)).pipes;
      d.panels.push({ title: String(s.name).slice(0, 128), query: String(s.query), type: /^\|\s*timechart/.test(pipes) ? 'timechart' : pipes ? 'bar' : 'events', w: 6, h: 4 });
      this.renderEditor();
    });
    const layout = layoutEditor(d.panels, {
      onRetitle: (i, t) => { const x = this.body.querySelector(`.dash-panel-edit[data-index="${i}"] .pe-title`); if (x) x.value = t; },
      onResize: (i, p) => {
        const row = this.body.querySelector(`.dash-panel-edit[data-index="${i}"]`);
        if (row) { row.querySelector('.pe-width').value = String(p.w); row.querySelector('.pe-height').value = String(p.h); }
      },
    });
    replace(this.body, el('div', { class: 'dash-editor', id: 'dash-editor' },
      el('p', { class: 'muted small' }, 'Drag a panel by its title bar to move it, by its corner to resize it; or focus it and use the arrow keys (Shift+arrows resize). Titles are edited in place.'),
      layout, rows, el('div', { class: 'dash-editor-add' }, add, fromSaved)));
  }

  panelEditor(p, i) {
    const d = this.draft;
    const input = (key, label, cls) => {
      const x = el('input', { type: 'text', value: p[key] ?? '', 'aria-label': label, class: cls, spellcheck: 'false' });
      x.addEventListener('input', () => {
        p[key] = x.value;
        const t = key === 'title' && this.body.querySelector(`.dash-layout-box[data-index="${i}"] .dl-title`);
        if (t) t.value = x.value;
      });
      return x;
    };
    const type = el('select', { 'aria-label': 'type', class: 'pe-type' }, TYPES.map((t) => el('option', { value: t, selected: t === p.type }, t)));
    type.addEventListener('change', () => { p.type = type.value; });
    const width = el('select', { 'aria-label': 'width', class: 'pe-width' }, range12().map((w) => el('option', { value: w, selected: (p.w || 6) === w }, `${w}/12`)));
    width.addEventListener('change', () => { p.w = Number(width.value); this.renderEditor(); });
    const height = el('select', { 'aria-label': 'height', class: 'pe-height' }, range12().map((h) => el('option', { value: h, selected: (p.h || 4) === h }, `${h} rows`)));
    height.addEventListener('change', () => { p.h = Number(height.value); this.renderEditor(); });
    // A time chart as lines or as stacked bars (options.stacked).
    const stacked = el('input', { type: 'checkbox', class: 'pe-stacked', checked: !!p.options?.stacked });
    stacked.addEventListener('change', () => { p.options = { ...(p.options || {}), stacked: stacked.checked }; });
    const btn = (label, cls, fn) => { const b = el('button', { type: 'button', class: `small-btn ${cls}` }, label); b.addEventListener('click', () => { fn(); this.renderEditor(); }); return b; };
    // ↑/↓ swap two panels' places on the grid (and in the list).
    const swap = (j) => {
      if (j < 0 || j >= d.panels.length) return;
      const a = d.panels[i], b = d.panels[j];
      [a.x, b.x, a.y, b.y] = [b.x, a.x, b.y, a.y];
      [d.panels[i], d.panels[j]] = [b, a];
    };
    return el('div', { class: 'dash-panel-edit', 'data-index': i },
      input('title', 'panel title', 'pe-title'), input('query', 'panel query', 'pe-query'), type, width, height,
      el('label', { class: 'small' }, stacked, ' stacked'),
      btn('↑', 'pe-up', () => swap(i - 1)), btn('↓', 'pe-down', () => swap(i + 1)), btn('Remove', 'pe-remove danger', () => d.panels.splice(i, 1)));
  }

  async saveDraft() {
    const d = this.draft;
    // Where each panel was put (dragged, or flowed after the others when new), without overlaps.
    const placed = settle(d.panels);
    const panels = d.panels.map((p, i) => {
      const out = { title: p.title, query: p.query, type: p.type, ...placed[i] };
      if (p.options) out.options = p.options;
      return out;
    });
    try {
      this.dash = await api.putDashboard(d.id, { title: d.title, description: d.description, from: d.from, to: d.to, filter: d.filter || '', refresh: d.refresh || 0, shared: !!d.shared, panels });
      this.editing = false;
      this.filter = String(this.dash.filter || '');
      this.renderHead();
      this.runPanels();
      this.startRefresh();
    } catch (e) {
      replace(this.status, el('span', { class: 'error', id: 'dash-save-error' }, e.message));
    }
  }

  async deleteDash() {
    if (!confirm(`Delete the dashboard "${this.dash.title}"?`)) return;
    try {
      await api.deleteDashboard(this.dash.id);
      this.app.navigate({ ...this.app.state, view: 'dashboards', dashId: '' });
    } catch (e) { replace(this.status, el('span', { class: 'error' }, e.message)); }
  }
}

function range12() { return [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]; }

// "7 days", "24 hours", "15 minutes": the length of the period a number is compared with.
function periodLabel(ms) {
  if (ms >= 2 * 86400e3 && ms % 86400e3 < 3600e3) return `${Math.round(ms / 86400e3)} days`;
  if (ms >= 2 * 3600e3) return `${Math.round(ms / 3600e3)} hours`;
  return `${Math.max(1, Math.round(ms / 60e3))} minutes`;
}
