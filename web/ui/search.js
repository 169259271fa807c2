// search.js: the Search page: query bar, time picker, histogram, results (newest first, paged
// by scrolling), field sidebar, event detail panel, pipes (table + chart), live tail, export.
import { el, clear, replace, valueView, appendVisible, visibleText, fmtInt, fmtUtc, fmtLocal, localOffsetLabel } from './dom.js';
import { api, ApiError, tsToNs, nsToTs } from './api.js';
import { QueryBar, quoteValue, splitPipes, addClause } from './query-bar.js';
import { drawHistogram, drawBarChart, drawLineChart } from './charts.js';
import { summarize, familyOf } from './summary.js';
import { RANGES, resolveRange, eventState, stateToSearch } from './state.js';
import { Tail } from './tail.js';
import { entityTypeOf, entityLink, ownerNote, fieldValue, eventTreeLink } from './investigate.js';
import { addToCase, eventRef } from './cases.js';  // issue 22
import { SaveControl, savedSearches, savedToState, canCreate } from './saved.js';

const PAGE = 100;
const MAX_ROWS = 5000;
const HIDDEN_IN_SIDEBAR = new Set(['@timestamp', 'event.original', 'event.ingested']);

export class SearchPage {
  constructor(app) {
    this.app = app;
    this.state = null;
    this.events = [];
    this.seq = 0;
    this.knownFields = new Set();
    this.abort = null;
    this.cursor = null;
    this.more = false;
    this.loadingMore = false;
    this.build();
    api.fieldnames().then((r) => { for (const f of r.fields || []) this.knownFields.add(String(f)); }).catch(() => {});
  }

  build() {
    this.queryBar = new QueryBar({
      // Enter in the query box runs with the range the toolbar shows, a typed custom range too.
      onRun: (q) => this.runFromInputs(q),
      fieldNames: () => [...this.knownFields].sort(),
      // Issue 25: '$' and a name completes a saved search; choosing one opens it (its range too).
      savedSearches: () => savedSearches(),
      onSaved: (s) => this.app.navigate({ ...this.state, ...savedToState(s) }),
    });
    this.rangeSelect = el('select', { class: 'range', 'aria-label': 'time range', id: 'range' },
      RANGES.map(([k, label]) => el('option', { value: k }, label)),
      el('option', { value: 'custom' }, 'Custom range…'));
    this.fromInput = el('input', { type: 'text', class: 'time-input', id: 'from', placeholder: 'from (2026-11-20 10:00, now-2h)', 'aria-label': 'from (UTC)', spellcheck: 'false' });
    this.toInput = el('input', { type: 'text', class: 'time-input', id: 'to', placeholder: 'to (empty = now)', 'aria-label': 'to (UTC)', spellcheck: 'false' });
    this.customBox = el('span', { class: 'custom-range', hidden: true }, this.fromInput, el('span', { class: 'muted' }, '→'), this.toInput, el('span', { class: 'muted small' }, 'UTC'));
    this.rangeSelect.addEventListener('change', () => {
      if (this.rangeSelect.value === 'custom') {
        this.customBox.hidden = false;
        const r = resolveRange(this.state);
        this.fromInput.value = this.state.from || r.from;
        this.toInput.value = this.state.to || r.to;
        this.fromInput.focus();
      } else {
        this.app.navigate({ ...this.state, q: this.queryBar.value, range: this.rangeSelect.value, from: '', to: '' });
      }
    });
    for (const inp of [this.fromInput, this.toInput]) {
      inp.addEventListener('keydown', (e) => { if (e.key === 'Enter') { e.preventDefault(); this.runFromInputs(); } });
    }
    const runBtn = el('button', { type: 'button', class: 'primary', id: 'run', title: 'Run (Enter)' }, 'Search');
    runBtn.addEventListener('click', () => this.runFromInputs());

    this.tailBtn = el('button', { type: 'button', id: 'tail-toggle', class: 'toggle', 'aria-pressed': 'false', title: 'Stream new matching events' }, '● Live');
    this.pauseBtn = el('button', { type: 'button', id: 'tail-pause', hidden: true }, 'Pause');
    this.tailBtn.addEventListener('click', () => this.toggleTail());
    this.pauseBtn.addEventListener('click', () => this.togglePause());
    this.exportNd = el('a', { class: 'button', id: 'export-ndjson', href: '/api/v1/export', download: '', title: 'Download the matching events as NDJSON' }, 'NDJSON');
    this.exportCsv = el('a', { class: 'button', id: 'export-csv', href: '/api/v1/export', download: '', title: 'Download the matching events as CSV' }, 'CSV');

    this.saveCtl = new SaveControl(this.app, () => this.state);  // issue 25
    this.status = el('div', { class: 'status', id: 'status', role: 'status' });
    this.tailStatus = el('span', { class: 'tail-status', id: 'tail-status' });
    this.histBox = el('div', { class: 'histogram-box', id: 'histogram' });
    this.sidebar = el('aside', { class: 'sidebar', id: 'sidebar', 'aria-label': 'fields' });
    this.results = el('section', { class: 'results', id: 'results', 'aria-label': 'results' });
    this.detail = el('aside', { class: 'detail', id: 'detail', hidden: true, 'aria-label': 'event detail' });

    this.root = el('div', { class: 'page search-page' },
      el('div', { class: 'toolbar' },
        this.queryBar.root,
        el('div', { class: 'toolbar-right' }, this.rangeSelect, this.customBox, runBtn,
          el('span', { class: 'sep' }), this.tailBtn, this.pauseBtn,
          el('span', { class: 'sep' }), el('span', { class: 'muted small' }, 'Export'), this.exportNd, this.exportCsv,
          el('span', { class: 'sep' }), this.saveCtl.button)),
      this.saveCtl.form,
      el('div', { class: 'statusbar' }, this.status, this.tailStatus),
      this.histBox,
      el('div', { class: 'main' }, this.sidebar, this.results),
      this.detail);
    this.results.addEventListener('scroll', () => this.maybeLoadMore());
  }

  runFromInputs(q = this.queryBar.value) {
    if (this.rangeSelect.value === 'custom') {
      this.app.navigate({ ...this.state, q, range: 'custom', from: this.fromInput.value.trim(), to: this.toInput.value.trim() });
    } else {
      // Re-running a relative range moves it to now.
      this.app.navigate({ ...this.state, q, range: this.rangeSelect.value });
    }
  }

  focusQuery() { this.queryBar.focus(); }

  // Applies a state (from the URL) and runs it.
  async show(state) {
    this.state = state;
    this.queryBar.value = state.q;
    this.rangeSelect.value = state.range;
    this.customBox.hidden = state.range !== 'custom';
    this.fromInput.value = state.from;
    this.toInput.value = state.to;
    this.closeDetail();
    this.saveCtl.button.hidden = !canCreate(this.app.me);
    await this.run();
  }

  params(extra) {
    return { q: this.splitQ.filter || '', from: this.range.from, to: this.range.to, ...extra };
  }

  async run() {
    const seq = ++this.seq;
    if (this.abort) this.abort.abort();
    this.abort = new AbortController();
    const signal = this.abort.signal;
    this.range = resolveRange(this.state);
    this.splitQ = splitPipes(this.state.q);
    this.isPipe = !!this.splitQ.pipes;
    this.events = [];
    this.more = false;
    this.cursor = null;
    this.setExportLinks();
    this.root.classList.toggle('pipe-mode', this.isPipe);
    this.root.classList.add('loading', 'busy');
    replace(this.status, 'Searching…');
    if (this.tail) this.restartTail();
    this.tailBtn.disabled = this.isPipe;

    const full = { q: this.state.q, from: this.range.from, to: this.range.to };
    // The histogram and the field summary are asked for once the first page is in: sent at the
    // same time they compete with it for the server's cores (a rare-token search over 10M events
    // drew its first row in a median 250 ms in headless Chromium that way, 189 ms without them).
    const searchP = api.search({ ...full, limit: PAGE }, signal);
    let histP = null, fieldsP = null;
    try {
      const res = await searchP;
      if (seq !== this.seq) return;
      if (!this.isPipe) {
        histP = api.histogram({ ...this.params(), buckets: this.bucketCount() }, signal);
        fieldsP = api.fields({ ...this.params(), limit: 500 }, signal);
        // Handled below; until then keep them from being "unhandled".
        for (const p of [histP, fieldsP]) p.catch(() => {});
      }
      this.queryBar.clearError();
      if (Array.isArray(res.columns)) this.renderTable(res);
      else this.renderEvents(res);
    } catch (e) {
      if (e.name === 'AbortError' || seq !== this.seq) return;
      this.root.classList.remove('loading', 'busy');
      this.showSearchError(e);
      clear(this.results);
      clear(this.histBox);
      clear(this.sidebar);
      return;
    }
    if (histP) {
      histP.then((h) => { if (seq === this.seq) this.renderHistogram(h); })
        .catch((e) => { if (e.name !== 'AbortError' && seq === this.seq) replace(this.histBox, el('div', { class: 'muted pad' }, 'histogram: ' + e.message)); });
    } else {
      clear(this.histBox);
    }
    if (fieldsP) {
      fieldsP.then((f) => { if (seq === this.seq) this.renderSidebar(f); })
        .catch((e) => { if (e.name !== 'AbortError' && seq === this.seq) replace(this.sidebar, el('div', { class: 'muted pad' }, 'fields: ' + e.message)); });
    } else {
      replace(this.sidebar, el('div', { class: 'muted pad' }, 'Fields are listed for plain searches (without pipes).'));
    }
    this.root.classList.remove('loading');
    // 'busy' until the histogram and the field summary are in as well (tests wait on it).
    Promise.allSettled([histP, fieldsP]).then(() => { if (seq === this.seq) this.root.classList.remove('busy'); });
  }

  bucketCount() {
    const w = this.histBox.clientWidth || 1000;
    return Math.max(20, Math.min(240, Math.floor(w / 7)));
  }

  showSearchError(e) {
    if (e instanceof ApiError && e.status === 400 && typeof e.body?.position === 'number') {
      this.queryBar.showError(e.body, this.state.q);
      replace(this.status, el('span', { class: 'error' }, 'Query error'));
    } else if (e instanceof ApiError && e.status === 401) {
      replace(this.status, el('span', { class: 'error' }, 'Not logged in: sign in to search.'));
    } else {
      replace(this.status, el('span', { class: 'error' }, e.message || String(e)));
      if (e instanceof ApiError && e.status === 400) this.queryBar.showError({ error: e.message }, this.state.q);
    }
  }

  setExportLinks() {
    const filterOnly = this.splitQ.filter;
    for (const [a, fmt] of [[this.exportNd, 'ndjson'], [this.exportCsv, 'csv']]) {
      a.setAttribute('href', api.exportUrl({ q: filterOnly, from: this.range.from, to: this.range.to, format: fmt }));
    }
  }

  // ---- status ---------------------------------------------------------------------------

  renderStatus(res, extra) {
    const parts = [];
    const matched = typeof res.matched === 'number' ? res.matched : null;
    if (matched !== null) parts.push(el('b', { id: 'matched' }, `${res.complete === false ? '≥ ' : ''}${fmtInt(matched)}`), ' matched');
    if (extra) parts.push(' · ', extra);
    if (typeof res.took_ms === 'number') parts.push(' · ', `${res.took_ms < 10 ? res.took_ms.toFixed(1) : Math.round(res.took_ms)} ms`);
    const r = this.range;
    parts.push(' · ', el('span', { class: 'muted', title: 'times are UTC; your browser is ' + localOffsetLabel() },
      `${r.from ? fmtUtc(r.from).slice(0, 19) : 'beginning'} → ${r.to ? fmtUtc(r.to).slice(0, 19) : 'now'} UTC`));
    if (res.timed_out) parts.push(' · ', el('span', { class: 'warn' }, 'timed out: partial results'));
    const warnings = Array.isArray(res.warnings) ? res.warnings : [];
    for (const w of warnings) parts.push(' · ', el('span', { class: 'warn' }, visibleText(String(w))));
    replace(this.status, ...parts);
  }

  // ---- events ---------------------------------------------------------------------------

  renderEvents(res) {
    clear(this.results);
    const evs = Array.isArray(res.events) ? res.events : [];
    this.tbody = el('tbody');
    const table = el('table', { class: 'events', id: 'events' },
      el('thead', null, el('tr', null,
        el('th', { class: 'c-time', title: 'UTC; hover a time for your local time (' + localOffsetLabel() + ')' }, 'Time (UTC)'),
        el('th', { class: 'c-host' }, 'Host'),
        el('th', { class: 'c-ds' }, 'Dataset'),
        this.columns().map((c) => el('th', { class: 'c-col', title: c }, visibleText(c))),
        el('th', { class: 'c-sum' }, 'Event'))),
      this.tbody);
    this.moreRow = el('div', { class: 'more', id: 'more' });
    this.results.append(table, this.moreRow);
    this.lastRes = res;
    this.appendEvents(evs);
    // A full page may have older events behind it (a page that comes back short ends it).
    this.more = evs.length >= PAGE;
    this.updateMore();
    this.renderStatus(res, this.shownLabel());
    this.results.scrollTop = 0;
    if (!evs.length) this.moreRow.replaceChildren(el('div', { class: 'empty' }, 'No events match in this time range.'));
  }

  // Issue 25: the fields the user shows as columns (from the URL or a saved search).
  columns() { return Array.isArray(this.state?.cols) ? this.state.cols : []; }

  toggleColumn(name) {
    const cols = this.columns();
    this.app.navigate({ ...this.state, q: this.queryBar.value, cols: cols.includes(name) ? cols.filter((c) => c !== name) : [...cols, name] });
  }

  shownLabel() {
    return el('span', { id: 'shown' }, `${fmtInt(this.events.length)} shown`);
  }

  row(ev, isNew) {
    const ts = String(ev['@timestamp'] ?? '');
    const fam = familyOf(ev);
    const tr = el('tr', { class: `ev fam-${fam}${isNew ? ' new' : ''}`, tabindex: '0' },
      el('td', { class: 'c-time', title: fmtLocal(ts) }, fmtUtc(ts)),
      el('td', { class: 'c-host' }, ev['host.name'] ? entityLink(this.app, 'host', String(ev['host.name']), String(ev['host.name']).slice(0, 40)) : ''),
      el('td', { class: 'c-ds' }, valueView(ev['event.dataset'] ?? '', 40)),
      this.columns().map((c) => el('td', { class: 'c-col' }, valueView(ev[c] ?? '', 80))),
      el('td', { class: 'c-sum' }, valueView(summarize(ev), 400, 'sum')));
    tr.addEventListener('click', (e) => { if (!e.target.closest('button, a')) this.openDetail(ev, tr); });
    tr.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') { e.preventDefault(); this.openDetail(ev, tr); }
      else if (e.key === 'ArrowDown' || e.key === 'j') { e.preventDefault(); tr.nextElementSibling?.focus(); }
      else if (e.key === 'ArrowUp' || e.key === 'k') { e.preventDefault(); tr.previousElementSibling?.focus(); }
    });
    return tr;
  }

  appendEvents(evs) {
    const frag = document.createDocumentFragment();
    for (const ev of evs) {
      this.events.push(ev);
      frag.appendChild(this.row(ev, false));
      for (const k of Object.keys(ev)) this.knownFields.add(k);
    }
    this.tbody.appendChild(frag);
  }

  // Paging to older events: `to` is exclusive, and several events can share the last
  // timestamp, so ask for everything up to and including it (to = last + 1 ns) and skip the
  // ones already shown at that timestamp.
  pageParams() {
    const last = this.events[this.events.length - 1];
    const ns = tsToNs(last['@timestamp']);
    if (ns === null) return null;
    const seen = new Map();
    for (let i = this.events.length - 1; i >= 0 && this.events[i]['@timestamp'] === last['@timestamp']; i--) {
      const k = eventKey(this.events[i]);
      seen.set(k, (seen.get(k) || 0) + 1);
    }
    return { ts: last['@timestamp'], to: nsToTs(ns + 1n), seen, ties: [...seen.values()].reduce((a, b) => a + b, 0) };
  }

  async loadMore() {
    if (!this.more || this.loadingMore || !this.events.length) return;
    const pp = this.pageParams();
    if (!pp) { this.more = false; this.updateMore(); return; }
    this.loadingMore = true;
    this.updateMore();
    const seq = this.seq;
    try {
      const res = await api.search({ q: this.state.q, from: this.range.from, to: pp.to, limit: PAGE + pp.ties }, this.abort?.signal);
      if (seq !== this.seq) return;
      const evs = Array.isArray(res.events) ? res.events : [];
      const fresh = [];
      for (const ev of evs) {
        if (ev['@timestamp'] === pp.ts) {
          const k = eventKey(ev);
          const n = pp.seen.get(k) || 0;
          if (n > 0) { pp.seen.set(k, n - 1); continue; }
        }
        fresh.push(ev);
      }
      this.appendEvents(fresh);
      this.more = evs.length >= PAGE + pp.ties && fresh.length > 0;
      if (this.events.length >= MAX_ROWS) this.more = false;
      this.renderStatus(this.lastRes, this.shownLabel());
    } catch (e) {
      if (e.name !== 'AbortError') replace(this.moreRow, el('span', { class: 'error' }, 'loading older events failed: ' + e.message));
    } finally {
      this.loadingMore = false;
      if (seq === this.seq) this.updateMore();
    }
    if (seq === this.seq) this.maybeLoadMore();
  }

  updateMore() {
    if (!this.moreRow) return;
    if (this.loadingMore) { replace(this.moreRow, el('span', { class: 'muted' }, 'Loading older events…')); return; }
    if (this.more) {
      const b = el('button', { type: 'button', id: 'load-more' }, 'Load older events');
      b.addEventListener('click', () => this.loadMore());
      replace(this.moreRow, b);
    } else if (this.events.length) {
      replace(this.moreRow, el('span', { class: 'muted' }, this.events.length >= MAX_ROWS
        ? `Showing the newest ${fmtInt(MAX_ROWS)} events: narrow the time range to see older ones.`
        : 'End of results.'));
    }
  }

  maybeLoadMore() {
    const r = this.results;
    if (this.more && !this.loadingMore && r.scrollTop + r.clientHeight > r.scrollHeight - 400) this.loadMore();
  }

  // ---- pipes: table + chart -------------------------------------------------------------

  renderTable(res) {
    clear(this.results);
    const table = { columns: res.columns.map(String), rows: Array.isArray(res.rows) ? res.rows : [] };
    const chartBox = el('div', { class: 'chart-box', id: 'chart' });
    const thead = el('thead', null, el('tr', null, table.columns.map((c) => el('th', { scope: 'col' }, c))));
    const tbody = el('tbody', null, table.rows.slice(0, 5000).map((r) => el('tr', null,
      table.columns.map((_, j) => {
        const v = r[j];
        const num = typeof v === 'number';
        // issue 22: a column of entity values (| stats ... by source.ip) links each to its page.
        return el('td', { class: num ? 'num' : v === null ? 'null' : '' }, v === null || v === undefined ? '∅' : num ? fmtInt(v) : fieldValue(this.app, table.columns[j], v, 300));
      }))));
    this.results.append(chartBox, el('table', { class: 'pipe-table', id: 'pipe-table' }, thead, tbody));
    const isTime = table.columns.includes('_time');
    // draw once the box is in the layout so it takes the right width
    requestAnimationFrame(() => (isTime ? drawLineChart : drawBarChart)(chartBox, table));
    this.renderStatus(res, el('span', { id: 'shown' }, `${fmtInt(table.rows.length)} rows`));
  }

  // ---- histogram ------------------------------------------------------------------------

  renderHistogram(h) {
    this.lastHist = h;
    // The search stops after a page; the histogram counts every match in the same range.
    if (this.lastRes && this.lastRes.complete === false && this.range.from && typeof h.matched === 'number' && h.complete !== false) {
      this.lastRes = { ...this.lastRes, matched: h.matched, complete: true };
      this.renderStatus(this.lastRes, this.shownLabel());
    }
    drawHistogram(this.histBox, h, (from, to) => this.app.navigate({ ...this.state, q: this.queryBar.value, range: 'custom', from, to }));
    this.histBox.title = `${fmtInt(h.matched ?? 0)} events; drag across the chart to zoom into a range`;
  }

  redraw() {
    if (this.lastHist && !this.isPipe) this.renderHistogram(this.lastHist);
  }

  // ---- field sidebar --------------------------------------------------------------------

  renderSidebar(res) {
    clear(this.sidebar);
    const fields = (Array.isArray(res.fields) ? res.fields : []).filter((f) => f && !HIDDEN_IN_SIDEBAR.has(f.name));
    for (const f of fields) this.knownFields.add(String(f.name));
    fields.sort((a, b) => (b.count - a.count) || String(a.name).localeCompare(String(b.name)));
    this.sidebar.appendChild(el('div', { class: 'side-head' }, 'Fields',
      el('span', { class: 'muted small' }, typeof res.sampled === 'number' ? ` in ${fmtInt(res.sampled)} newest events` : '')));
    fields.forEach((f, i) => {
      const name = String(f.name);
      const nameBtn = el('button', { type: 'button', class: 'field-name link', title: `${name}: run "| top 10 ${name}"`, dataset: { field: name } }, visibleText(name));
      nameBtn.addEventListener('click', () => this.topOf(name));
      const meta = el('span', { class: 'field-meta muted' }, `${fmtInt(f.count)}${typeof f.distinct === 'number' ? ` · ${fmtInt(f.distinct)}${f.distinct_capped ? '+' : ''} distinct` : ''}`);
      const vals = el('ul', { class: 'values' });
      const top = Array.isArray(f.top) ? f.top : [];
      const max = Math.max(1, ...top.map((t) => t.count || 0));
      for (const t of top) {
        const v = t.value === null || t.value === undefined ? '' : String(t.value);
        const inc = el('button', { type: 'button', class: 'value link', title: `add ${name}:${visibleText(quoteValue(v)).slice(0, 200)}`, dataset: { field: name } },
          valueView(v === '' ? '' : v, 80, 'v'), v === '' ? el('span', { class: 'muted' }, '(empty)') : null);
        inc.addEventListener('click', () => this.addFilter(name, v, false));
        const exc = el('button', { type: 'button', class: 'exclude', title: `exclude: NOT ${name}:…`, 'aria-label': `exclude ${name} value` }, '−');
        exc.addEventListener('click', () => this.addFilter(name, v, true));
        const bar = el('span', { class: 'vbar' });
        bar.style.width = `${Math.round((t.count / max) * 100)}%`;
        vals.appendChild(el('li', null, bar, inc, el('span', { class: 'count' }, fmtInt(t.count)), exc));
      }
      const shown = this.columns().includes(name);
      const colBtn = el('button', { type: 'button', class: 'mini col-toggle', title: shown ? `remove the ${name} column` : `show ${name} as a column`, dataset: { field: name } }, shown ? '−col' : '+col');
      colBtn.addEventListener('click', (e) => { e.preventDefault(); this.toggleColumn(name); });
      const d = el('details', { class: 'field', dataset: { field: name } }, el('summary', null, nameBtn, meta, colBtn), vals);
      if (i < 6) d.open = true;
      this.sidebar.appendChild(d);
    });
    if (!fields.length) this.sidebar.appendChild(el('div', { class: 'muted pad' }, 'No fields.'));
  }

  addFilter(field, value, negate) {
    const clause = `${negate ? 'NOT ' : ''}${field}:${quoteValue(value)}`;
    const q = addClause(this.queryBar.value, clause);
    this.app.navigate({ ...this.state, q });
  }

  topOf(field) {
    const f = splitPipes(this.queryBar.value).filter;
    this.app.navigate({ ...this.state, q: `${f ? f + ' ' : ''}| top 10 ${field}` });
  }

  // ---- detail panel ---------------------------------------------------------------------

  openDetail(ev, tr) {
    if (this.selectedRow) this.selectedRow.classList.remove('selected');
    this.selectedRow = tr;
    tr?.classList.add('selected');
    clear(this.detail);
    const close = el('button', { type: 'button', class: 'close', id: 'detail-close', title: 'Close (Esc)', 'aria-label': 'close' }, '×');
    close.addEventListener('click', () => this.closeDetail());
    const ts = String(ev['@timestamp'] ?? '');
    this.detail.appendChild(el('div', { class: 'detail-head' },
      el('div', null, el('b', null, fmtUtc(ts), ' UTC'), el('div', { class: 'muted small' }, fmtLocal(ts))),
      close));
    this.detail.appendChild(el('div', { class: 'detail-summary' }, valueView(summarize(ev), 1000)));
    const matched = this.matchedEventLink(ev);
    if (matched) this.detail.appendChild(matched);
    const tree = eventTreeLink(this.app, ev);  // issue 22: Sysmon ProcessGuid, or a 4688 by host + pid + time
    if (tree) this.detail.appendChild(el('div', { class: 'detail-tree', id: 'detail-tree' }, tree));
    const pin = addToCase(this.app, 'events', () => ({ events: [eventRef(ev)] }), 'detail-add-to-case');  // issue 22: cases
    if (pin) this.detail.appendChild(el('div', { class: 'detail-case' }, pin));
    const names = Object.keys(ev).filter((k) => k !== 'event.original').sort((a, b) => (a === '@timestamp' ? -1 : b === '@timestamp' ? 1 : a.localeCompare(b)));
    const rows = names.map((k) => {
      const v = ev[k];
      const text = v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
      const actions = el('td', { class: 'actions' });
      if (k !== '@timestamp' && k !== 'event.ingested') {
        const plus = el('button', { type: 'button', class: 'mini', title: `filter for ${k}:…` }, '+');
        plus.addEventListener('click', () => this.addFilter(k, text, false));
        const minus = el('button', { type: 'button', class: 'mini', title: `filter out ${k}:…` }, '−');
        minus.addEventListener('click', () => this.addFilter(k, text, true));
        actions.append(plus, minus);
      }
      // issue 22: entity values link to their page; an internal address says whose it was then.
      const etype = entityTypeOf(k);
      const val = etype && text ? [entityLink(this.app, etype, text), etype === 'ip' ? ownerNote(this.app, text, ts) : null] : valueView(text, 1000);
      return el('tr', { dataset: { field: k } }, el('th', { scope: 'row' }, visibleText(k)), el('td', { class: 'dval' }, val), actions);
    });
    this.detail.appendChild(el('table', { class: 'fields-table', id: 'detail-fields' }, el('tbody', null, rows)));
    const orig = ev['event.original'];
    this.detail.appendChild(el('h3', null, 'Original line'));
    const pre = el('pre', { class: 'original', id: 'detail-original' });
    pre.appendChild(valueView(orig ?? '', 4000));
    this.detail.appendChild(pre);
    this.detail.hidden = false;
    this.root.classList.add('with-detail');
    close.focus({ preventScroll: true });
  }

  // An alert (issue 20) links to the event that raised it: its dataset and host within the
  // millisecond of its time. Hidden for other events.
  matchedEventLink(ev) {
    if (ev['event.dataset'] !== 'kamatama.alert' || typeof ev['kamatama.matched.timestamp'] !== 'string') return null;
    const target = eventState(ev['kamatama.matched.timestamp'], ev['kamatama.matched.dataset'], ev['host.name']);
    if (!target) return null;
    const a = el('a', { href: '/' + stateToSearch(target), id: 'detail-matched', class: 'matched-link' }, 'Show the event that raised this alert →');
    a.addEventListener('click', (e) => {
      if (e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0) return;
      e.preventDefault();
      this.app.navigate(target);
    });
    return el('p', { class: 'detail-matched' }, a);
  }

  closeDetail() {
    if (this.detail.hidden) return false;
    this.detail.hidden = true;
    this.root.classList.remove('with-detail');
    clear(this.detail);
    if (this.selectedRow) { this.selectedRow.classList.remove('selected'); this.selectedRow.focus({ preventScroll: true }); }
    this.selectedRow = null;
    return true;
  }

  // ---- live tail ------------------------------------------------------------------------

  toggleTail() {
    if (this.tail) this.stopTail();
    else this.startTail();
  }

  startTail() {
    if (this.isPipe) return;
    this.tailBtn.setAttribute('aria-pressed', 'true');
    this.tailBtn.classList.add('on');
    this.pauseBtn.hidden = false;
    this.paused = false;
    this.buffer = [];
    this.tailCount = 0;
    this.tail = new Tail(this.splitQ.filter, {
      onEvent: (ev) => this.onTailEvent(ev),
      onDropped: (n) => { this.dropped = (this.dropped || 0) + n; this.updateTailStatus(); },
      onError: (body) => { this.queryBar.showError(body, this.state.q); this.stopTail('tail stopped: ' + (body.error || 'error')); },
      onClose: (why) => { if (this.tail) this.stopTail(why); },
      onOpen: () => this.updateTailStatus(),
    });
    this.dropped = 0;
    this.updateTailStatus();
  }

  restartTail() {
    this.stopTail();
    if (!this.isPipe) this.startTail();
  }

  stopTail(message) {
    if (this.tail) { const t = this.tail; this.tail = null; t.close(); }
    this.tailBtn.setAttribute('aria-pressed', 'false');
    this.tailBtn.classList.remove('on');
    this.pauseBtn.hidden = true;
    this.buffer = [];
    replace(this.tailStatus, message ? el('span', { class: 'warn' }, message) : '');
  }

  togglePause() {
    this.paused = !this.paused;
    if (!this.paused) {
      const buf = this.buffer;
      this.buffer = [];
      for (const ev of buf) this.prependEvent(ev);
    }
    this.updateTailStatus();
  }

  onTailEvent(ev) {
    if (!ev || typeof ev !== 'object') return;
    this.tailCount++;
    if (this.paused) {
      this.buffer.push(ev);
      if (this.buffer.length > MAX_ROWS) { this.buffer.shift(); this.dropped = (this.dropped || 0) + 1; }
    } else {
      this.prependEvent(ev);
    }
    this.updateTailStatus();
  }

  prependEvent(ev) {
    if (!this.tbody) return;
    this.events.unshift(ev);
    for (const k of Object.keys(ev)) this.knownFields.add(k);
    const tr = this.row(ev, true);
    this.tbody.insertBefore(tr, this.tbody.firstChild);
    const empty = this.moreRow?.querySelector('.empty');
    if (empty) empty.remove();
    while (this.events.length > MAX_ROWS) {
      this.events.pop();
      this.tbody.lastChild?.remove();
      this.more = false;
    }
  }

  updateTailStatus() {
    if (!this.tail) return;
    const parts = [el('span', { class: 'live-dot' + (this.tail.open ? ' on' : '') }), this.tail.open ? (this.paused ? 'paused' : 'live') : 'connecting…',
      ` · ${fmtInt(this.tailCount || 0)} new`];
    if (this.paused) parts.push(' · ', el('b', { id: 'tail-waiting' }, `${fmtInt(this.buffer.length)} waiting`));
    if (this.dropped) parts.push(' · ', el('span', { class: 'warn' }, `${fmtInt(this.dropped)} dropped (too slow)`));
    replace(this.tailStatus, ...parts);
    this.pauseBtn.textContent = this.paused ? `Resume (${fmtInt(this.buffer.length)})` : 'Pause';
  }

  leave() {
    this.stopTail();
    if (this.abort) this.abort.abort();
  }
}

function eventKey(ev) {
  return `${ev['event.ingested'] ?? ''}\u0000${ev['host.name'] ?? ''}\u0000${ev['event.original'] ?? ''}`;
}
