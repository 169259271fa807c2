// schedules.js: scheduled searches and reports (issue 25, /api/v1/schedules, docs/dashboards.md):
// the Schedules page: the list (when each runs, its action, on/off, run now, delete), a form to
// make one from a saved search (an alert on a count or on a new value, or a report to a
// notification target: administrators only), and the history of a schedule's runs. Every value
// from the server goes through dom.js (textContent only).
import { el, replace, valueView, fmtUtc } from './dom.js';
import { api } from './api.js';
import { loadSaved, savedSearches, canCreate, canChange } from './saved.js';

function whenLabel(s) { return s.every ? `every ${s.every}` : `daily at ${s.at} UTC`; }

function actionLabel(s) {
  if (s.action === 'report') return `report to ${s.target}`;
  if (s.condition === 'new_value') return `alert (${s.level || 'medium'}) on a new ${s.field}`;
  return `alert (${s.level || 'medium'}) when more than ${s.threshold ?? 0}`;
}

function input(id, attrs = {}) {
  return el('input', { type: 'text', id, spellcheck: 'false', ...attrs });
}

function select(id, options) {
  return el('select', { id }, ...options.map(([v, label]) => el('option', { value: v }, label)));
}

// The form that makes a schedule from a saved search.
class ScheduleForm {
  constructor(page) {
    this.page = page;
    this.name = input('sched-name', { placeholder: 'name', 'aria-label': 'name' });
    this.search = el('select', { id: 'sched-search', 'aria-label': 'saved search' });
    this.whenKind = select('sched-when', [['every', 'every'], ['at', 'daily at (UTC)']]);
    this.when = input('sched-when-value', { value: '15m', class: 'short', 'aria-label': 'interval or time of day' });
    this.action = select('sched-action', [['alert', 'raise an alert'], ['report', 'send a report']]);
    this.condition = select('sched-condition', [['count', 'when the count is more than'], ['new_value', 'on a new value of']]);
    this.threshold = input('sched-threshold', { value: '0', class: 'short', 'aria-label': 'threshold' });
    this.field = input('sched-field', { placeholder: 'field, e.g. user.name', 'aria-label': 'field', hidden: true });
    this.level = select('sched-level', ['medium', 'informational', 'low', 'high', 'critical'].map((l) => [l, l]));
    this.target = input('sched-target', { placeholder: 'notification target (admins)', 'aria-label': 'target' });
    this.rate = input('sched-rate', { value: '12', class: 'short', 'aria-label': 'most an hour' });
    this.shared = el('input', { type: 'checkbox', id: 'sched-shared' });
    this.message = el('span', { class: 'small', id: 'sched-message', role: 'status' });
    const ok = el('button', { type: 'button', class: 'primary', id: 'sched-create' }, 'Create');
    ok.addEventListener('click', () => this.create());
    this.alertPart = el('span', null, this.condition, ' ', this.threshold, this.field, ' level ', this.level);
    this.reportPart = el('span', { hidden: true }, ' to ', this.target);
    this.action.addEventListener('change', () => this.sync());
    this.condition.addEventListener('change', () => this.sync());
    this.whenKind.addEventListener('change', () => { this.when.value = this.whenKind.value === 'at' ? '06:00' : '15m'; });
    this.root = el('div', { class: 'sched-form', id: 'sched-form', hidden: true },
      this.name, ' runs ', this.search, ' ', this.whenKind, ' ', this.when, ' and ', this.action, ' ', this.alertPart,
      this.reportPart, ' at most ', this.rate, ' an hour ', el('label', { class: 'small' }, this.shared, ' shared'), ' ', ok,
      this.message);
  }

  sync() {
    const report = this.action.value === 'report';
    this.alertPart.hidden = report;
    this.reportPart.hidden = !report;
    const values = this.condition.value === 'new_value';
    this.threshold.hidden = values;
    this.field.hidden = !values;
  }

  open() {
    replace(this.search, ...savedSearches().map((s) => el('option', { value: s.id }, String(s.name).slice(0, 80))));
    this.root.hidden = false;
    this.sync();
    this.name.focus();
  }

  body() {
    const b = { name: this.name.value.trim(), saved_search: this.search.value, action: this.action.value,
      shared: this.shared.checked, rate_limit: Number(this.rate.value) };
    b[this.whenKind.value] = this.when.value.trim();
    if (b.action === 'report') b.target = this.target.value.trim();
    else {
      b.condition = this.condition.value;
      b.level = this.level.value;
      if (b.condition === 'count') b.threshold = Number(this.threshold.value);
      else b.field = this.field.value.trim();
    }
    return b;
  }

  async create() {
    replace(this.message, 'Creating…');
    try {
      await api.createSchedule(this.body());
      replace(this.message, el('span', { class: 'ok' }, 'Created.'));
      await this.page.reload();
    } catch (e) {
      replace(this.message, el('span', { class: 'error' }, e.message));
    }
  }
}

export class SchedulesPage {
  constructor(app) {
    this.app = app;
    this.items = [];
    this.selected = '';
    this.status = el('div', { class: 'status', role: 'status', id: 'sched-status' });
    this.box = el('div', { class: 'saved-box', id: 'sched-box' });
    this.history = el('div', { class: 'saved-box', id: 'sched-history' });
    this.form = new ScheduleForm(this);
    this.newBtn = el('button', { type: 'button', id: 'sched-new' }, '+ New schedule');
    this.newBtn.addEventListener('click', () => this.form.open());
    this.root = el('div', { class: 'page saved-page schedules-page' },
      el('div', { class: 'toolbar' }, el('h2', null, 'Scheduled searches'), el('span', { class: 'grow' }), this.newBtn),
      this.form.root, this.status, this.box, this.history);
  }

  leave() { clearInterval(this.timer); }
  focusQuery() {}
  redraw() {}

  async show() {
    this.newBtn.hidden = !canCreate(this.app.me);
    await loadSaved();
    await this.reload();
    clearInterval(this.timer);
    this.timer = setInterval(() => { if (this.selected) this.showRuns(this.selected); }, 5000);
  }

  async reload() {
    try {
      this.items = (await api.schedules()).items || [];
      replace(this.status);
    } catch (e) {
      replace(this.status, el('span', { class: 'error' }, e.message));
    }
    this.render();
    if (this.selected) this.showRuns(this.selected);
  }

  render() {
    if (!this.items.length) {
      replace(this.box, el('div', { class: 'empty' }, 'No scheduled searches yet: make one from a saved search.'));
      return;
    }
    const names = new Map(savedSearches().map((s) => [s.id, s.name]));
    const rows = this.items.map((s) => {
      const actions = el('td', { class: 'actions' });
      const hist = el('button', { type: 'button', class: 'small-btn', 'data-action': 'runs' }, 'Runs');
      hist.addEventListener('click', () => { this.selected = s.id; this.showRuns(s.id); });
      actions.append(hist);
      if (canChange(this.app.me, s)) {
        const run = el('button', { type: 'button', class: 'small-btn', 'data-action': 'run' }, 'Run now');
        run.addEventListener('click', () => this.act(() => api.runSchedule(s.id), s.id));
        const toggle = el('button', { type: 'button', class: 'small-btn', 'data-action': 'toggle' }, s.enabled === false ? 'Enable' : 'Disable');
        toggle.addEventListener('click', () => this.act(() => api.patchSchedule(s.id, { enabled: s.enabled === false })));
        const del = el('button', { type: 'button', class: 'small-btn danger', 'data-action': 'delete' }, 'Delete');
        del.addEventListener('click', () => { if (confirm(`Delete the schedule "${s.name}"?`)) this.act(() => api.deleteSchedule(s.id)); });
        actions.append(run, toggle, del);
      }
      return el('tr', { 'data-id': s.id },
        el('td', null, valueView(s.name, 128)),
        el('td', null, valueView(names.get(s.saved_search) ?? s.saved_search, 128)),
        el('td', null, whenLabel(s)),
        el('td', null, valueView(actionLabel(s), 200)),
        el('td', null, s.enabled === false ? 'off' : 'on'),
        el('td', null, valueView(s.owner, 64)),
        actions);
    });
    replace(this.box, el('table', { class: 'saved-table', id: 'sched-table' },
      el('thead', null, el('tr', null, ...['Name', 'Saved search', 'When', 'Action', 'On', 'Owner', ''].map((h) => el('th', null, h)))),
      el('tbody', null, rows)));
  }

  async act(fn, runsOf = '') {
    try {
      await fn();
      if (runsOf) this.selected = runsOf;
      await this.reload();
    } catch (e) {
      replace(this.status, el('span', { class: 'error' }, e.message));
    }
  }

  async showRuns(id) {
    try {
      const r = await api.scheduleRuns(id);
      const s = this.items.find((x) => x.id === id);
      const rows = (r.runs || []).map((run) => el('tr', { class: 'run-' + run.outcome },
        el('td', { title: String(run.started) }, fmtUtc(String(run.started)).slice(0, 19)),
        el('td', null, `${fmtUtc(String(run.from)).slice(11, 19)} → ${fmtUtc(String(run.to)).slice(0, 19)}`),
        el('td', null, String(run.trigger)),
        el('td', null, String(run.outcome)),
        el('td', null, String(run.rows)),
        el('td', null, `${Number(run.duration_ms).toFixed(0)} ms`),
        el('td', null, valueView(run.detail, 300))));
      replace(this.history,
        el('h3', null, 'Runs of ', valueView(s?.name ?? id, 128), r.running ? ' (running now)' : '',
          r.next_run ? ` · next ${fmtUtc(String(r.next_run)).slice(0, 19)} UTC` : ''),
        rows.length ? el('table', { class: 'saved-table', id: 'sched-runs' },
          el('thead', null, el('tr', null, ...['Started (UTC)', 'Window', 'Trigger', 'Outcome', 'Rows', 'Took', 'Detail'].map((h) => el('th', null, h)))),
          el('tbody', null, rows)) : el('div', { class: 'empty' }, 'No runs yet.'));
    } catch (e) {
      replace(this.history, el('span', { class: 'error' }, e.message));
    }
  }
}
