// intel.js: the Threat intel page (docs/intel.md): the indicator lists with their version, size,
// expired entries and last update; an upload form (admins); a list's hits: the last hunt over the
// stored history (count, first and last sighting per indicator) and the live alerts. Indicator
// values and sources come from uploaded files: they are shown as text, like log data.
import { el, replace, valueView, fmtInt, fmtUtc } from './dom.js';
import { api } from './api.js';

const TYPES = [
  ['text/plain', 'text: one value per line'],
  ['text/csv', 'CSV with a header (value, type, source, description, expires)'],
  ['application/stix+json', 'STIX 2.1 bundle'],
  ['application/json', 'MISP JSON export'],
];
const num = (v) => (typeof v === 'number' && isFinite(v) ? v : 0);
const str = (v) => (typeof v === 'string' ? v : '');
const arr = (v) => (Array.isArray(v) ? v : []);
const time = (v) => (typeof v === 'string' && v ? fmtUtc(v).slice(0, 19) : '—');

export class ListsPage {
  constructor(app) {
    this.app = app;
    this.status = el('div', { class: 'status', role: 'status', id: 'lists-status' });
    this.table = el('div', { class: 'sources-table-box', id: 'lists-table' });
    this.detail = el('div', { class: 'sources-table-box', id: 'list-detail' });
    this.result = el('div', { class: 'status', id: 'upload-box', role: 'status' });  // the last upload's answer
    this.form = this.uploadForm();
    const reload = el('button', { type: 'button', id: 'lists-reload' }, 'Refresh');
    reload.addEventListener('click', () => this.load());
    this.root = el('div', { class: 'page sources-page' },
      el('div', { class: 'toolbar' }, el('h2', null, 'Threat intel'),
        el('span', { class: 'muted' }, 'indicator lists matched on every event and searched over history'),
        el('span', { class: 'grow' }), reload),
      this.status, this.form, this.result, this.table, this.detail);
  }

  async show() { await this.load(); }
  leave() {}
  focusQuery() {}
  redraw() {}

  uploadForm() {
    this.nameInput = el('input', { type: 'text', id: 'list-name', placeholder: 'list name', spellcheck: 'false' });
    this.fileInput = el('input', { type: 'file', id: 'list-file' });
    this.typeSelect = el('select', { id: 'list-type' }, TYPES.map(([v, label]) => el('option', { value: v }, label)));
    const upload = el('button', { type: 'submit', id: 'list-upload' }, 'Upload and hunt');
    const form = el('form', { class: 'toolbar', id: 'list-form' }, el('strong', null, 'Upload a list'),
      this.nameInput, this.typeSelect, this.fileInput, upload);
    form.addEventListener('submit', (e) => { e.preventDefault(); this.upload(); });
    return form;
  }

  async load() {
    this.form.hidden = !(this.app.me && this.app.me.role === 'admin');
    replace(this.status, 'Loading…');
    try {
      const res = await api.lists();
      this.render(arr(res.lists));
      replace(this.status, el('span', { class: 'muted' }, `${arr(res.lists).length} list(s)`));
    } catch (e) {
      replace(this.status, el('span', { class: 'error' }, 'Lists: ' + e.message));
    }
  }

  render(lists) {
    const head = el('tr', null, ['list', 'version', 'size', 'active', 'expired', 'types', 'updated', 'origin', 'last hunt', '']
      .map((h) => el('th', null, h)));
    const rows = lists.map((l) => {
      const types = Object.entries(l.types || {}).map(([t, n]) => `${t} ${fmtInt(num(n))}`).join(', ');
      const hunt = l.last_hunt ? `${fmtInt(num(l.last_hunt.indicators_hit))} hit · ${time(l.last_hunt.ran_at)}` : '—';
      const hits = el('button', { type: 'button', class: 'list-hits', dataset: { list: str(l.name) } }, 'Hits');
      hits.addEventListener('click', () => this.showHits(str(l.name)));
      const huntBtn = el('button', { type: 'button', class: 'list-hunt' }, 'Hunt');
      huntBtn.addEventListener('click', () => this.hunt(str(l.name)));
      return el('tr', { class: 'list-row', dataset: { list: str(l.name) } },
        el('td', { class: 'host-name' }, valueView(str(l.name), 80)), el('td', null, String(num(l.version))),
        el('td', null, fmtInt(num(l.size))), el('td', null, fmtInt(num(l.active))), el('td', null, fmtInt(num(l.expired))),
        el('td', { class: 'datasets' }, types), el('td', null, time(l.updated)), el('td', null, valueView(str(l.origin), 60)),
        el('td', { class: 'last-hunt' }, hunt), el('td', null, hits, ' ', huntBtn));
    });
    replace(this.table, el('table', { class: 'sources', id: 'lists' }, el('thead', null, head), el('tbody', null, rows)));
  }

  async upload() {
    const name = this.nameInput.value.trim();
    const file = this.fileInput.files && this.fileInput.files[0];
    if (!name || !file) {
      replace(this.result, el('span', { class: 'error' }, 'Give the list a name and choose a file.'));
      return;
    }
    replace(this.result, `Uploading ${file.name}…`);
    try {
      const res = await api.putList(name, file, this.typeSelect.value);
      replace(this.result, el('span', { id: 'upload-result' },
        `${str(res.name)} version ${num(res.version)}: ${fmtInt(num(res.accepted))} accepted, ${fmtInt(num(res.expired))} expired, ` +
        `${fmtInt(num(res.skipped))} skipped`));
      await this.load();
      if (res.hunt) this.renderHits(name, { hunt: res.hunt, live: [] });
    } catch (e) {
      const errors = arr(e.body && e.body.errors).map((x) => el('li', null, valueView(str(x), 300)));
      replace(this.result, el('div', { class: 'error', id: 'upload-error' }, 'Upload refused: ' + e.message, el('ul', null, errors)));
    }
  }

  async hunt(name) {
    replace(this.status, `Hunting ${name} over the stored history…`);
    try {
      const hunt = await api.huntList(name);
      replace(this.status, el('span', { class: 'muted' }, `hunt of ${name}: ${fmtInt(num(hunt.indicators_hit))} indicator(s) seen`));
      await this.load();
      await this.showHits(name);
    } catch (e) {
      replace(this.status, el('span', { class: 'error' }, 'Hunt: ' + e.message));
    }
  }

  async showHits(name) {
    try {
      this.renderHits(name, await api.listHits(name));
    } catch (e) {
      replace(this.detail, el('span', { class: 'error' }, 'Hits: ' + e.message));
    }
  }

  renderHits(name, res) {
    const hunt = res.hunt || {};
    const head = el('tr', null, ['indicator', 'type', 'source', 'events', 'first seen', 'last seen', 'field'].map((h) => el('th', null, h)));
    const rows = arr(hunt.hits).map((h) => el('tr', { class: 'hit-row' },
      el('td', { class: 'host-name' }, valueView(str(h.indicator), 200)), el('td', null, str(h.type)),
      el('td', null, valueView(str(h.source), 80)), el('td', null, fmtInt(num(h.count))),
      el('td', null, time(h.first_seen)), el('td', null, time(h.last_seen)), el('td', null, str(h.field))));
    const liveRows = arr(res.live).map((h) => el('tr', { class: 'live-row' },
      el('td', { class: 'host-name' }, valueView(str(h.indicator), 200)), el('td', null, fmtInt(num(h.alerts))),
      el('td', null, time(h.first_seen)), el('td', null, time(h.last_seen))));
    const summary = res.hunt
      ? `Hunt of ${name} (version ${num(hunt.version)}) at ${time(hunt.ran_at)}: ${fmtInt(num(hunt.indicators_hit))} of ` +
        `${fmtInt(num(hunt.indicators))} indicators seen, ${num(hunt.took_ms).toFixed(0)} ms${hunt.complete === false ? ' (incomplete)' : ''}`
      : `No hunt of ${name} yet.`;
    replace(this.detail,
      el('h3', { id: 'hits-title' }, summary),
      el('table', { class: 'sources', id: 'hunt-hits' }, el('thead', null, head), el('tbody', null, rows)),
      el('h3', null, `Live alerts of ${name}`),
      el('table', { class: 'sources', id: 'live-hits' },
        el('thead', null, el('tr', null, ['indicator', 'alerts', 'first seen', 'last seen'].map((h) => el('th', null, h)))),
        el('tbody', null, liveRows)));
  }
}
