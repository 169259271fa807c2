// alerts.js: the Alerts page (issue 21, GET/PATCH /api/v1/alerts): counts by level, status and
// rule, a histogram over time, the list (filters: time range, level, status, rule, host; pages of
// 50) with bulk and one-by-one acknowledge/close/assign; and an alert's detail: the matched event
// (raw one click away, and in Search), the values that matched, the rule (YAML, author, references
// as http(s) links only, ATT&CK ids), the events on the same host around it, the status, assignee
// and comment history, the dedup count, the per-rule cap when it held matches back, and "add an
// exclusion from this alert" (a kamatama query prefilled from the alert's values, editable, saved
// with PATCH /api/v1/rules/ID). Everything from a log or a rule file is attacker-controlled: it
// goes in as text through el()/valueView, never as markup or as a URL of our own.
import { el, replace, valueView, appendLines, fmtInt, fmtUtc, externalLink } from './dom.js';
import { api } from './api.js';
import { drawHistogram } from './charts.js';
import { quoteValue } from './query-bar.js';
import { ALERT_RANGES, RANGES, eventState, stateToSearch } from './state.js';
import { summarize } from './summary.js';
import { entityLink, fieldValue, rawToggle } from './investigate.js';  // issue 22: entity values link to their pages
import { addToCase } from './cases.js';  // issue 22: cases

export const LEVELS = ['informational', 'low', 'medium', 'high', 'critical'];
// Working an alert needs the triage permission (analysts, admins), tuning a rule admin.
export const NEEDS = { triage: 'needs the triage permission (analysts and admins)', admin: 'only admins tune rules' };
const STATUSES = ['new', 'acknowledged', 'closed'];
const PAGE = 50;
const AROUND_MINUTES = [1, 5, 15, 60];
const arr = (v) => (Array.isArray(v) ? v : []);
const str = (v) => (v === null || v === undefined ? '' : String(v));
const obj = (v) => (v && typeof v === 'object' && !Array.isArray(v) ? v : {});

// A link to a state of the app: a plain click navigates in place, a modified click opens a tab.
export function appLink(app, state, label, attrs = {}) {
  const a = el('a', { href: '/' + stateToSearch(state), ...attrs }, label);
  a.addEventListener('click', (e) => {
    if (e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0) return;
    e.preventDefault();
    app.navigate(state);
  });
  return a;
}

// An ATT&CK technique id as a link to its page (only ids of the form T1234 or T1234.001).
export function techniqueLink(id) {
  const m = /^T(\d{4})(?:\.(\d{3}))?$/.exec(str(id));
  if (!m) return valueView(str(id), 40);
  return externalLink(`https://attack.mitre.org/techniques/T${m[1]}/${m[2] ? m[2] + '/' : ''}`, str(id));
}

// Whether the signed-in user has a permission (GET /api/v1/me); controls they lack are disabled.
export function can(app, perm) {
  return arr(app.me?.permissions).includes(perm);
}

// Disables `controls` with the reason as their title unless the user has `perm`.
export function gate(app, perm, ...controls) {
  if (can(app, perm)) return;
  for (const c of controls) { c.disabled = true; c.title = NEEDS[perm]; }
}

export function levelBadge(level) {
  return el('span', { class: 'level level-' + (LEVELS.includes(level) ? level : 'unknown') }, valueView(str(level) || '-', 20));
}

// A rule's YAML, open, as text: its lines as written, other invisible characters made visible.
export function yamlView(yaml, id) {
  const pre = appendLines(el('pre', { class: 'raw-event', id }), yaml);
  const d = el('details', null, el('summary', null, 'YAML'), pre);
  d.open = true;
  return d;
}

export function select(id, label, options, value) {
  return el('select', { id, 'aria-label': label }, options.map(([v, text]) => el('option', { value: v, selected: v === value }, text)));
}

// Filters, summary, histogram, bulk actions and the list; the detail of one alert.
export class AlertsPage {
  constructor(app) {
    this.app = app;
    this.state = null;
    this.abort = null;
    this.hist = null;
    this.status = el('div', { class: 'status', role: 'status', id: 'alerts-status' });
    this.filters = el('div', { class: 'toolbar alerts-filters', id: 'alerts-filters' });
    this.summary = el('div', { class: 'alerts-summary', id: 'alerts-summary' });
    this.histBox = el('div', { class: 'histogram-box', id: 'alerts-histogram' });
    this.bulk = this.buildBulk();
    this.list = el('div', { class: 'alerts-list', id: 'alerts-list' });
    this.pager = el('div', { class: 'pager', id: 'alerts-pager' });
    this.listView = el('div', { class: 'alerts-list-view' }, this.summary, this.histBox, this.bulk, this.list, this.pager);
    this.detail = new AlertDetail(app);
    this.root = el('div', { class: 'page alerts-page' },
      el('div', { class: 'toolbar' }, el('h2', null, 'Alerts'), el('span', { class: 'muted' }, 'what the Sigma rules raised; select to acknowledge, close or assign')),
      this.filters, this.status, this.listView, this.detail.root);
  }

  leave() { if (this.abort) this.abort.abort(); this.detail.leave(); }
  focusQuery() {}
  redraw() { if (this.hist && !this.listView.hidden) this.drawHist(); }
  closeDetail() {
    if (!this.state?.alert) return false;
    this.app.navigate({ ...this.state, alert: '' });
    return true;
  }

  show(state) {
    this.state = state;
    this.buildFilters(state);
    this.listView.hidden = !!state.alert;
    this.detail.root.hidden = !state.alert;
    if (state.alert) {
      this.filters.hidden = true;
      replace(this.status);
      return this.detail.show(state);
    }
    this.filters.hidden = false;
    this.detail.leave();
    return this.loadList();
  }

  buildFilters(s) {
    const level = select('alerts-level', 'level', [['', 'any level'], ...LEVELS.map((l) => [l, l])], s.level);
    const status = select('alerts-status-filter', 'status', [['', 'any status'], ...STATUSES.map((x) => [x, x])], s.status);
    const range = select('alerts-range', 'time range of the matched events', ALERT_RANGES, s.arange);
    const rule = el('input', { type: 'text', id: 'alerts-rule', placeholder: 'rule (id or title)', value: s.rule, spellcheck: 'false' });
    const host = el('input', { type: 'text', id: 'alerts-host', placeholder: 'host', value: s.host, spellcheck: 'false' });
    const apply = () => this.app.navigate({ ...this.state, level: level.value, status: status.value, arange: range.value,
      rule: rule.value.trim(), host: host.value.trim(), offset: 0, alert: '' });
    for (const c of [level, status, range]) c.addEventListener('change', apply);
    for (const c of [rule, host]) c.addEventListener('keydown', (e) => { if (e.key === 'Enter') { e.preventDefault(); apply(); } });
    const go = el('button', { type: 'button', id: 'alerts-apply' }, 'Apply');
    go.addEventListener('click', apply);
    const reset = el('button', { type: 'button', class: 'link', id: 'alerts-reset' }, 'clear filters');
    reset.addEventListener('click', () => this.app.navigate({ ...this.state, level: '', status: '', arange: 'all', rule: '', host: '', offset: 0, alert: '' }));
    replace(this.filters, range, level, status, rule, host, go, reset);
  }

  params() {
    const s = this.state;
    const p = { level: s.level, status: s.status, rule: s.rule, host: s.host, limit: PAGE, offset: s.offset || 0 };
    const r = RANGES.find(([k]) => k === s.arange);
    if (r) { p.from = new Date(Date.now() - r[2]).toISOString(); p.to = new Date().toISOString(); }
    return p;
  }

  async loadList() {
    if (this.abort) this.abort.abort();
    const abort = new AbortController();
    this.abort = abort;
    replace(this.status, 'Loading…');
    try {
      const res = await api.alerts(this.params(), abort.signal);
      if (this.abort !== abort) return;
      this.renderList(res);
    } catch (e) {
      if (e.name === 'AbortError') return;
      replace(this.status, el('span', { class: 'error' }, 'Alerts: ' + e.message));
    }
  }

  renderList(res) {
    this.hist = obj(res.histogram);
    this.renderSummary(res);
    this.drawHist();
    const alerts = arr(res.alerts).filter((a) => a && typeof a === 'object');
    this.selectAll.checked = false;
    replace(this.list, alerts.length ? this.table(alerts) : el('p', { class: 'empty', id: 'alerts-empty' }, 'No alert matches these filters.'));
    this.renderPager(Number(res.total) || 0, alerts.length);
    replace(this.status, el('span', { class: 'muted', id: 'alerts-total' },
      `${fmtInt(Number(res.total) || 0)} alerts · ${fmtInt(Number(res.matches) || 0)} matching events`));
  }

  drawHist() {
    drawHistogram(this.histBox, this.hist, () => {});  // the time range is chosen above
    this.histBox.title = 'alerts by the time of their first matching event';
  }

  // Counts by level and status (click: filter) and the rules that raised most.
  renderSummary(res) {
    const chip = (kind, value, n) => {
      const b = el('button', { type: 'button', class: `chip ${kind}-${value}`, dataset: { [kind]: value } }, `${value} `, el('b', null, fmtInt(n)));
      b.addEventListener('click', () => this.app.navigate({ ...this.state, [kind]: this.state[kind] === value ? '' : value, offset: 0 }));
      return b;
    };
    const byLevel = obj(res.by_level);
    const byStatus = obj(res.by_status);
    const levels = el('div', { class: 'chips', id: 'alerts-by-level' }, el('span', { class: 'muted' }, 'by level '),
      [...LEVELS].reverse().filter((l) => byLevel[l]).map((l) => chip('level', l, byLevel[l])));
    const statuses = el('div', { class: 'chips', id: 'alerts-by-status' }, el('span', { class: 'muted' }, 'by status '),
      STATUSES.filter((x) => obj(res.by_status)[x]).map((x) => chip('status', x, byStatus[x])));
    const rules = Object.entries(obj(res.by_rule)).sort((a, b) => b[1] - a[1]).slice(0, 10);
    const ruleTable = el('table', { class: 'hunt-table', id: 'alerts-by-rule' },
      el('thead', null, el('tr', null, el('th', null, 'rule'), el('th', { class: 'num' }, 'alerts'))),
      el('tbody', null, rules.map(([name, n]) => el('tr', null,
        el('td', null, appLink(this.app, { ...this.state, rule: name, offset: 0, alert: '' }, valueView(name, 200), { class: 'rule-filter' })),
        el('td', { class: 'num' }, fmtInt(n))))));
    replace(this.summary, el('div', null, levels, statuses), ruleTable);
  }

  buildBulk() {
    this.selectAll = el('input', { type: 'checkbox', id: 'alerts-select-all', 'aria-label': 'select every alert of this page' });
    this.selectAll.addEventListener('change', () => {
      for (const c of this.list.querySelectorAll('input.alert-select')) c.checked = this.selectAll.checked;
    });
    const ack = el('button', { type: 'button', id: 'alerts-ack' }, 'Acknowledge');
    const close = el('button', { type: 'button', id: 'alerts-close' }, 'Close');
    const assignee = el('input', { type: 'text', id: 'alerts-assignee', placeholder: 'assignee', spellcheck: 'false' });
    const assign = el('button', { type: 'button', id: 'alerts-assign' }, 'Assign');
    ack.addEventListener('click', () => this.bulkPatch({ status: 'acknowledged' }, 'acknowledged'));
    close.addEventListener('click', () => this.bulkPatch({ status: 'closed' }, 'closed'));
    assign.addEventListener('click', () => this.bulkPatch({ assignee: assignee.value.trim() }, `assigned to ${assignee.value.trim() || 'nobody'}`));
    gate(this.app, 'triage', ack, close, assignee, assign);
    return el('div', { class: 'toolbar bulk', id: 'alerts-bulk' }, el('label', null, this.selectAll, ' all'),
      el('span', { class: 'muted' }, 'selected:'), ack, close, assignee, assign);
  }

  async bulkPatch(body, what) {
    const ids = [...this.list.querySelectorAll('input.alert-select:checked')].map((c) => c.dataset.id);
    if (!ids.length) { replace(this.status, el('span', { class: 'warn' }, 'Select alerts first.')); return; }
    let failed = '';
    for (const id of ids) {
      try { await api.patchAlert(id, body); } catch (e) { failed = e.message; }
    }
    await this.loadList();
    if (failed) replace(this.status, el('span', { class: 'error', id: 'alerts-bulk-error' }, `Some alerts were not changed: ${failed}`));
    else this.status.appendChild(el('span', { id: 'alerts-bulk-done' }, ` · ${fmtInt(ids.length)} alert(s) ${what}`));
  }

  table(alerts) {
    const rows = alerts.map((a) => {
      const id = str(a.id);
      const open = { ...this.state, alert: id };
      const tr = el('tr', { class: `alert-row status-${STATUSES.includes(a.status) ? a.status : 'new'}`, dataset: { id } },
        el('td', null, el('input', { type: 'checkbox', class: 'alert-select', dataset: { id }, 'aria-label': 'select alert ' + id })),
        el('td', { class: 'ts' }, fmtUtc(str(a.first))),
        el('td', null, levelBadge(str(a.level))),
        el('td', { class: 'rule' }, appLink(this.app, open, valueView(str(a.rule_name), 200), { class: 'alert-open' })),
        el('td', { class: 'alert-host' }, a.host ? entityLink(this.app, 'host', str(a.host), str(a.host).slice(0, 100)) : ''),
        el('td', { class: 'num' }, fmtInt(Number(a.count) || 0)),
        el('td', { class: 'alert-status' }, str(a.status)),
        el('td', null, valueView(str(a.assignee), 60)));
      tr.addEventListener('click', (e) => {
        if (e.target.closest('a, input, button')) return;
        this.app.navigate(open);
      });
      return tr;
    });
    return el('table', { class: 'hunt-table alerts-table', id: 'alerts-table' },
      el('thead', null, el('tr', null, el('th', null, ''), el('th', null, 'first match (UTC)'), el('th', null, 'level'), el('th', null, 'rule'),
        el('th', null, 'host'), el('th', { class: 'num' }, 'count'), el('th', null, 'status'), el('th', null, 'assignee'))),
      el('tbody', null, rows));
  }

  renderPager(total, shown) {
    const offset = this.state.offset || 0;
    const prev = el('button', { type: 'button', id: 'alerts-prev', disabled: offset === 0 }, '← newer');
    const next = el('button', { type: 'button', id: 'alerts-next', disabled: offset + shown >= total }, 'older →');
    prev.addEventListener('click', () => this.app.navigate({ ...this.state, offset: Math.max(0, offset - PAGE) }));
    next.addEventListener('click', () => this.app.navigate({ ...this.state, offset: offset + PAGE }));
    replace(this.pager, prev, el('span', { class: 'muted', id: 'alerts-range-shown' },
      total ? ` ${fmtInt(offset + 1)}–${fmtInt(offset + shown)} of ${fmtInt(total)} ` : ' '), next);
  }
}

// The query that would have excluded this alert's match: its values and its host.
export function exclusionFor(alert) {
  const clauses = [];
  const seen = new Set();
  for (const [f, v] of Object.entries(obj(alert.values))) {
    if (seen.has(f)) continue;
    seen.add(f);
    clauses.push(`${f}:${quoteValue(str(v))}`);
  }
  if (alert.host && !seen.has('host.name')) clauses.push(`host.name:${quoteValue(str(alert.host))}`);
  return clauses.join(' AND ');
}

// One alert: everything an analyst needs to decide about it.
class AlertDetail {
  constructor(app) {
    this.app = app;
    this.abort = null;
    this.root = el('div', { class: 'alert-detail', id: 'alert-detail', hidden: true });
  }

  leave() { if (this.abort) this.abort.abort(); }

  async show(state) {
    this.leave();
    const abort = new AbortController();
    this.abort = abort;
    this.state = state;
    replace(this.root, el('p', { class: 'muted' }, 'Loading…'));
    try {
      const alert = await api.alert(state.alert, abort.signal);
      let rule = null;
      try { rule = await api.rule(str(alert.rule_id), abort.signal); } catch (e) { if (e.name === 'AbortError') throw e; rule = { error: e.message }; }
      if (this.abort !== abort) return;
      this.alert = alert;
      this.rule = rule;
      this.render();
    } catch (e) {
      if (e.name === 'AbortError') return;
      replace(this.root, this.backLink(), el('p', { class: 'error', id: 'alert-error' }, 'Alert: ' + e.message));
    }
  }

  backLink() {
    return appLink(this.app, { ...this.state, alert: '' }, '← all alerts', { id: 'alert-back', class: 'back' });
  }

  render() {
    const a = this.alert;
    this.eventBox = el('section', { id: 'alert-event' }, el('h3', null, 'Matched event'), el('p', { class: 'muted' }, 'Loading…'));
    this.aroundBox = el('section', { id: 'alert-around' });
    replace(this.root, this.backLink(),
      el('h2', null, levelBadge(str(a.level)), ' ', valueView(str(a.rule_name), 300)),
      this.facts(), addToCase(this.app, 'alerts', () => ({ alerts: [Number(a.id)] }), 'alert-add-to-case'), this.triage(),
      el('div', { class: 'alert-cols' },
        el('div', null, this.eventBox, this.values(), this.exclusion(), this.history()),
        el('div', null, this.ruleView())),
      this.aroundBox);
    this.loadEvent();
    this.loadAround(5);
  }

  // Host, times, status, the dedup count and the cap.
  facts() {
    const a = this.alert;
    const r = this.rule && !this.rule.error ? this.rule : null;
    const count = Number(a.count) || 0;
    const capped = r ? Number(obj(r.hits).capped) || 0 : 0;
    return el('div', { class: 'alert-facts' },
      el('p', null, 'host ', el('b', { id: 'alert-host' }, a.host ? entityLink(this.app, 'host', str(a.host)) : '(none)'),
        ` · first match ${fmtUtc(str(a.first))} · latest ${fmtUtc(str(a.last))} · raised ${fmtUtc(str(a.raised))} UTC · status `,
        el('b', { id: 'alert-status' }, str(a.status)), a.assignee ? [' · assigned to ', el('b', { id: 'alert-assignee-now' }, valueView(str(a.assignee), 100))] : null),
      el('p', { id: 'alert-count' }, el('b', null, fmtInt(count)), count === 1 ? ' matching event' :
        ` matching events folded into this alert (${fmtInt(count - 1)} deduplicated: same rule and key fields within the deduplication window)`),
      capped ? el('p', { class: 'warn', id: 'alert-cap' }, `This rule hit its cap of ${fmtInt(Number(r.per_rule_cap) || 0)} new alerts per hour: `,
        `${fmtInt(capped)} of its matches raised no alert.`) : null);
  }

  patch(body, msg) {
    return api.patchAlert(str(this.alert.id), body).then(() => this.show(this.state)).catch((e) => {
      replace(msg, el('span', { class: 'error', id: 'alert-triage-error' }, e.message));
    });
  }

  triage() {
    const msg = el('span', { id: 'alert-triage-msg' });
    const button = (id, label, status) => {
      const b = el('button', { type: 'button', id, disabled: this.alert.status === status }, label);
      b.addEventListener('click', () => this.patch({ status }, msg));
      return b;
    };
    const assignee = el('input', { type: 'text', id: 'alert-assignee', value: str(this.alert.assignee), placeholder: 'assignee', spellcheck: 'false' });
    const assign = el('button', { type: 'button', id: 'alert-assign' }, 'Assign');
    assign.addEventListener('click', () => this.patch({ assignee: assignee.value.trim() }, msg));
    const comment = el('textarea', { id: 'alert-comment', class: 'short', placeholder: 'comment' });
    const add = el('button', { type: 'button', id: 'alert-comment-add' }, 'Add comment');
    add.addEventListener('click', () => { if (comment.value.trim()) this.patch({ comment: comment.value }, msg); });
    const buttons = [button('alert-ack', 'Acknowledge', 'acknowledged'), button('alert-close', 'Close', 'closed'), button('alert-reopen', 'Reopen', 'new')];
    gate(this.app, 'triage', ...buttons, assignee, assign, comment, add);
    return el('div', { class: 'alert-triage', id: 'alert-triage' },
      el('div', { class: 'toolbar' }, buttons, el('span', { class: 'sep' }), assignee, assign, msg),
      el('div', { class: 'toolbar' }, comment, add));
  }

  // The stored event that raised the alert (found by its time, dataset and host), raw one click away.
  async loadEvent() {
    const a = this.alert;
    const target = eventState(str(a.first), str(a.dataset), str(a.host));
    const link = target ? appLink(this.app, target, 'Show in Search →', { id: 'alert-event-link' }) : null;
    let ev = null;
    if (target) {
      try {
        const res = await api.search({ q: target.q, from: target.from, to: target.to, limit: 5 }, this.abort?.signal);
        ev = arr(res.events).find((e) => e && typeof e === 'object') || null;
      } catch (e) {
        if (e.name === 'AbortError') return;
      }
    }
    const body = ev ? [el('p', { class: 'event-summary' }, el('span', { class: 'muted' }, fmtUtc(str(ev['@timestamp'])) + ' · ' + str(ev['event.dataset']) + ' · '),
      valueView(summarize(ev), 400)), ...rawToggle(ev)]
      : [el('p', { class: 'muted' }, 'The event is not in the store any more; the start of its line:'), el('pre', { class: 'raw-event' }, valueView(str(a.excerpt), 2000))];
    replace(this.eventBox, el('h3', null, 'Matched event ', link), ...body);
    const btn = this.eventBox.querySelector('.raw-toggle');
    if (btn) btn.id = 'alert-event-raw';
  }

  values() {
    const entries = Object.entries(obj(this.alert.values));
    return el('section', { id: 'alert-values' }, el('h3', null, 'Values that matched'),
      entries.length ? el('table', { class: 'fields-table' }, el('tbody', null, entries.map(([f, v]) =>
        el('tr', { dataset: { field: f } }, el('th', null, valueView(f, 100)), el('td', null, fieldValue(this.app, f, v, 1000))))))
        : el('p', { class: 'muted' }, 'none recorded'));
  }

  ruleView() {
    const r = this.rule;
    if (!r || r.error) return el('section', { id: 'alert-rule' }, el('h3', null, 'Rule'), el('p', { class: 'muted' }, `The rule is not loaded any more (${str(r?.error)}).`));
    const id = str(r.id);
    const row = (label, ...v) => el('tr', null, el('th', null, label), el('td', null, ...v));
    return el('section', { id: 'alert-rule' },
      el('h3', null, 'Rule ', appLink(this.app, { ...this.app.state, view: 'rules', rule: id, alert: '' }, 'on the Rules page →', { id: 'alert-rule-link' })),
      el('table', { class: 'fields-table' }, el('tbody', null,
        row('title', el('span', { id: 'alert-rule-title' }, valueView(str(r.title), 300))),
        row('id', valueView(id, 100)),
        row('author', el('span', { id: 'alert-rule-author' }, valueView(str(r.author), 300))),
        row('level', levelBadge(str(r.effective_level)), r.effective_level !== r.level ? el('span', { class: 'muted' }, ` (the rule says ${str(r.level)})`) : null),
        row('description', valueView(str(r.description), 2000)),
        row('ATT&CK', el('span', { id: 'alert-techniques', class: 'links' }, arr(r.techniques).map(techniqueLink))),
        row('references', el('ul', { id: 'alert-references', class: 'links' }, arr(r.references).map((u) => el('li', null, externalLink(u))))),
        row('file', valueView(str(r.file), 200)))),
      yamlView(str(r.yaml), 'alert-yaml'));
  }

  exclusion() {
    const r = this.rule;
    const input = el('textarea', { id: 'alert-exclusion-query', class: 'short', spellcheck: 'false' });
    input.value = exclusionFor(this.alert);
    const msg = el('span', { id: 'alert-exclusion-msg' });
    const save = el('button', { type: 'button', id: 'alert-exclusion-add', disabled: !r || !!r.error }, 'Add exclusion');
    gate(this.app, 'admin', save);
    save.addEventListener('click', async () => {
      try {
        const next = await api.patchRule(str(this.alert.rule_id), { add_exclusion: input.value.trim() });
        this.rule = { ...this.rule, ...next };
        replace(msg, el('span', { id: 'alert-exclusion-done' }, `Saved: the rule now has ${fmtInt(arr(next.exclusions).length)} exclusion(s); matching events raise no alert.`));
      } catch (e) {
        replace(msg, el('span', { class: 'error', id: 'alert-exclusion-error' }, e.message));
      }
    });
    return el('section', { id: 'alert-exclusion' }, el('h3', null, 'Add an exclusion from this alert'),
      el('p', { class: 'muted small' }, 'A kamatama query over the matched event; a match it finds raises no alert of this rule (kept apart from the rule file).'),
      input, el('div', { class: 'toolbar' }, save, msg),
      r && arr(r.exclusions).length ? el('ul', { class: 'exclusions' }, arr(r.exclusions).map((x) => el('li', null, el('code', null, valueView(str(x), 500))))) : null);
  }

  history() {
    const items = [...arr(this.alert.history).map((h) => ({ at: Number(h.at_ns) || 0, user: str(h.user),
      text: h.field === 'assignee' ? `assigned to ${str(h.value) || 'nobody'}` : `set status to ${str(h.value)}` })),
    ...arr(this.alert.comments).map((c) => ({ at: Number(c.at_ns) || 0, user: str(c.user), text: str(c.text), comment: true }))]
      .sort((x, y) => x.at - y.at);
    return el('section', { id: 'alert-history' }, el('h3', null, 'History'),
      el('ol', { class: 'timeline' }, el('li', null, el('span', { class: 'ts muted' }, fmtUtc(str(this.alert.raised))), ' raised'),
        items.map((it) => el('li', { class: it.comment ? 'comment' : 'change' },
          el('span', { class: 'ts muted' }, fmtUtc(new Date(it.at / 1e6).toISOString())), ' ', el('b', null, valueView(it.user, 100)), ' ',
          it.comment ? ['commented: ', el('span', { class: 'comment-text' }, valueView(it.text, 4096))] : valueView(it.text, 300)))));
  }

  // The events of the same host within ± minutes of the first match (via the search API).
  async loadAround(minutes) {
    const a = this.alert;
    const span = select('alert-around-span', 'how far around', AROUND_MINUTES.map((m) => [String(m), `± ${m} min`]), String(minutes));
    span.addEventListener('change', () => this.loadAround(Number(span.value)));
    const head = el('h3', null, 'Events on the same host around it ', span);
    if (!a.host) { replace(this.aroundBox, head, el('p', { class: 'muted' }, 'The matched event names no host.')); return; }
    const t = Date.parse(str(a.first));
    const q = `host.name:${quoteValue(str(a.host))} -event.dataset:kamatama.alert -event.dataset:kamatama.audit`;
    const from = new Date(t - minutes * 60e3).toISOString();
    const to = new Date(t + minutes * 60e3).toISOString();
    replace(this.aroundBox, head, el('p', { class: 'muted' }, 'Loading…'));
    let res;
    try {
      res = await api.search({ q, from, to, limit: 100 }, this.abort?.signal);
    } catch (e) {
      if (e.name !== 'AbortError') replace(this.aroundBox, head, el('p', { class: 'error' }, e.message));
      return;
    }
    const evs = arr(res.events).filter((e) => e && typeof e === 'object');
    const matchedAt = str(a.first);
    const rows = evs.map((ev) => {
      const target = eventState(str(ev['@timestamp']), str(ev['event.dataset']), str(ev['host.name']));
      const [btn, pre] = rawToggle(ev);
      const isIt = ev['@timestamp'] === matchedAt && ev['event.dataset'] === a.dataset;
      return el('tr', { class: 'around-event' + (isIt ? ' matched' : '') }, el('td', { class: 'ts' }, fmtUtc(str(ev['@timestamp']))),
        el('td', null, valueView(str(ev['event.dataset']), 60)),
        el('td', null, target ? appLink(this.app, target, valueView(summarize(ev), 300)) : valueView(summarize(ev), 300), ' ', btn, pre));
    });
    const all = { view: 'search', q, range: 'custom', from, to };
    replace(this.aroundBox, head,
      el('p', { class: 'muted small' }, `${fmtInt(Number(res.matched) || evs.length)} events ± ${minutes} min · `, appLink(this.app, all, 'all in Search →', { id: 'alert-around-search' })),
      el('table', { class: 'hunt-table', id: 'alert-around-table' }, el('tbody', null, rows)));
  }
}
