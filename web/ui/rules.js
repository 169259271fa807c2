// rules.js: the Rules page (issue 21, GET/PATCH /api/v1/rules, GET /api/v1/rules/coverage): the
// rules loaded, unsupported (with the reason) and invalid; each loaded rule's hits, an on/off
// switch and a level override; one rule's detail with its exclusions (add, remove), YAML and
// "run over the last N days" (the Hunt page with the rule preselected); and the coverage: which
// rules no source sending in the last N days can feed, per ATT&CK tactic and technique, with the
// missing source named. Rule files are attacker-controlled text like log lines: el()/valueView only.
import { el, clear, replace, valueView, fmtInt, externalLink } from './dom.js';
import { api } from './api.js';
import { appLink, techniqueLink, levelBadge, LEVELS, select, yamlView, gate } from './alerts.js';

const arr = (v) => (Array.isArray(v) ? v : []);
const str = (v) => (v === null || v === undefined ? '' : String(v));
const obj = (v) => (v && typeof v === 'object' && !Array.isArray(v) ? v : {});
const SHOWN = 300;  // rows drawn at most (a full SigmaHQ checkout loads thousands of rules)
const HITS = [['matches', 'matches'], ['raised', 'alerts'], ['deduplicated', 'dedup'], ['excluded', 'excluded'], ['disabled', 'while off'], ['capped', 'capped']];

export class RulesPage {
  constructor(app) {
    this.app = app;
    this.data = null;
    this.filter = el('input', { type: 'text', id: 'rules-filter', placeholder: 'filter: title, id, technique, logsource', spellcheck: 'false' });
    this.filter.addEventListener('input', () => this.renderTable());
    this.days = el('input', { type: 'number', id: 'coverage-days', min: '1', max: '3650', value: '7', class: 'hunt-days' });
    this.days.addEventListener('change', () => this.loadCoverage());
    this.status = el('div', { class: 'status', role: 'status', id: 'rules-status' });
    this.summary = el('div', { class: 'rules-summary', id: 'rules-summary' });
    this.detail = el('section', { class: 'rule-detail', id: 'rule-detail', hidden: true });
    this.table = el('div', { id: 'rules-table-box' });
    this.notLoaded = el('section', { id: 'rules-not-loaded' });
    this.coverage = el('section', { id: 'rules-coverage' });
    this.root = el('div', { class: 'page rules-page' },
      el('div', { class: 'toolbar' }, el('h2', null, 'Rules'), el('span', { class: 'muted' }, 'the Sigma rules the server runs, their hits and tuning'),
        el('span', { class: 'grow' }), this.filter),
      this.status, this.summary, this.detail, this.table, this.notLoaded,
      el('h3', null, 'Coverage: blind rules over the last ', this.days, ' days'), this.coverage);
  }

  leave() { if (this.abort) this.abort.abort(); }
  focusQuery() { this.filter.focus(); }
  redraw() {}

  async show(state) {
    this.state = state;
    if (this.abort) this.abort.abort();
    this.abort = new AbortController();
    replace(this.status, 'Loading…');
    try {
      this.data = await api.rules(this.abort.signal);
    } catch (e) {
      if (e.name !== 'AbortError') replace(this.status, el('span', { class: 'error' }, 'Rules: ' + e.message));
      return;
    }
    clear(this.status);
    this.renderSummary();
    this.renderTable();
    this.renderNotLoaded();
    this.showDetail(state.rule);
    this.loadCoverage();
  }

  rules() { return arr(this.data?.rules).filter((r) => r && typeof r === 'object'); }
  notLoadedList() { return arr(this.data?.not_loaded).filter((r) => r && typeof r === 'object'); }

  renderSummary() {
    const d = this.data;
    const bad = this.notLoadedList();
    const n = (status) => bad.filter((r) => r.status === status).length;
    replace(this.summary, el('p', null,
      el('b', { id: 'rules-loaded' }, fmtInt(this.rules().length)), ' loaded · ',
      el('b', { id: 'rules-unsupported' }, fmtInt(n('unsupported'))), ' unsupported · ',
      el('b', { id: 'rules-invalid' }, fmtInt(n('invalid'))), ' invalid',
      el('span', { class: 'muted' }, ` · at most ${fmtInt(Number(d.per_rule_cap) || 0)} new alerts per rule per hour · matches of the same rule and ` +
        `${arr(d.dedup_fields).map(str).join(', ')} within ${fmtInt(Number(d.dedup_window_seconds) || 0)} s are one alert`)));
  }

  renderTable() {
    const words = this.filter.value.toLowerCase().split(/\s+/).filter(Boolean);
    const text = (r) => [r.title, r.id, r.logsource, r.file, ...arr(r.techniques)].map(str).join(' ').toLowerCase();
    const all = this.rules().filter((r) => words.every((w) => text(r).includes(w)));
    const rows = all.slice(0, SHOWN).map((r) => this.row(r));
    replace(this.table, el('table', { class: 'hunt-table rules-table', id: 'rules-table' },
      el('thead', null, el('tr', null, el('th', null, 'on'), el('th', null, 'rule'), el('th', null, 'level'), el('th', null, 'logsource'),
        HITS.map(([, label]) => el('th', { class: 'num' }, label)), el('th', null, 'ATT&CK'), el('th', { class: 'num' }, 'exclusions'))),
      el('tbody', null, rows)),
    all.length > SHOWN ? el('p', { class: 'muted' }, `${fmtInt(SHOWN)} of ${fmtInt(all.length)} rules shown: type in the filter to narrow.`) : null);
  }

  row(r) {
    const id = str(r.id);
    const on = el('input', { type: 'checkbox', class: 'rule-enabled', checked: r.enabled !== false, 'aria-label': 'rule on' });
    on.addEventListener('change', () => this.patch(r, { enabled: on.checked }, () => { on.checked = !on.checked; }));
    const level = select(null, 'level override', [['', `${str(r.level)} (the rule's)`], ...LEVELS.map((l) => [l, l])], r.effective_level !== r.level ? str(r.effective_level) : '');
    level.classList.add('rule-level');
    level.addEventListener('change', () => this.patch(r, { level: level.value }, () => this.renderTable()));
    gate(this.app, 'admin', on, level);
    const hits = obj(r.hits);
    return el('tr', { class: 'rule-row' + (r.enabled === false ? ' off' : ''), dataset: { id } },
      el('td', null, on),
      el('td', null, appLink(this.app, { ...this.app.state, view: 'rules', rule: id }, valueView(str(r.title), 200), { class: 'rule-open' })),
      el('td', null, level),
      el('td', { class: 'muted small' }, valueView(str(r.logsource), 80)),
      HITS.map(([k]) => el('td', { class: 'num hit-' + k }, fmtInt(Number(hits[k]) || 0))),
      el('td', { class: 'links' }, arr(r.techniques).map(techniqueLink)),
      el('td', { class: 'num' }, fmtInt(arr(r.exclusions).length)));
  }

  // PATCH the rule, then show the answer; `undo` restores the control on failure.
  async patch(r, body, undo) {
    try {
      const next = await api.patchRule(str(r.id), body);
      Object.assign(r, next);
      replace(this.status, el('span', { id: 'rules-saved' }, `Saved: ${str(r.title).slice(0, 80)}${body.enabled !== undefined ? (body.enabled ? ' is on' : ' is off') : ''}.`));
      this.renderTable();
      if (this.state.rule === r.id) this.showDetail(r.id);
    } catch (e) {
      undo();
      replace(this.status, el('span', { class: 'error', id: 'rules-error' }, e.message));
    }
  }

  renderNotLoaded() {
    const list = this.notLoadedList();
    replace(this.notLoaded, el('h3', null, `Not loaded (${fmtInt(list.length)})`),
      list.length ? el('table', { class: 'hunt-table', id: 'rules-not-loaded-table' },
        el('thead', null, el('tr', null, el('th', null, 'file'), el('th', null, 'rule'), el('th', null, 'status'), el('th', null, 'why'))),
        el('tbody', null, list.slice(0, SHOWN * 3).map((r) => el('tr', { class: 'not-loaded ' + (r.status === 'invalid' ? 'invalid' : 'unsupported'), dataset: { id: str(r.id) } },
          el('td', { class: 'muted small' }, valueView(str(r.file), 100)), el('td', null, valueView(str(r.title), 200)),
          el('td', { class: 'rule-status' }, str(r.status)), el('td', { class: 'reason' }, valueView(str(r.reason), 600))))))
        : el('p', { class: 'muted' }, 'Every rule file loaded.'));
  }

  async showDetail(id) {
    this.detail.hidden = !id;
    if (!id) return;
    replace(this.detail, el('p', { class: 'muted' }, 'Loading…'));
    let r;
    try {
      r = await api.rule(id, this.abort?.signal);
    } catch (e) {
      if (e.name !== 'AbortError') replace(this.detail, el('p', { class: 'error' }, `Rule ${id}: ${e.message}`));
      return;
    }
    const close = appLink(this.app, { ...this.app.state, view: 'rules', rule: '' }, '× close', { class: 'close', id: 'rule-detail-close' });
    replace(this.detail, el('div', { class: 'detail-head' }, el('h3', { id: 'rule-detail-title' }, levelBadge(str(r.effective_level)), ' ', valueView(str(r.title), 300)), close),
      el('p', { class: 'muted' }, valueView(`${str(r.id)} · ${str(r.file)} · ${str(r.logsource)} · by ${str(r.author) || '?'}`, 600)),
      el('p', null, valueView(str(r.description), 2000)),
      el('p', { class: 'links' }, arr(r.techniques).map(techniqueLink), ' ', arr(r.references).map((u) => externalLink(u))),
      this.huntLine(r), this.exclusions(r), yamlView(str(r.yaml), 'rule-yaml'));
  }

  // "Run over the last N days": the Hunt page with this rule preselected; and its alerts.
  huntLine(r) {
    const days = el('input', { type: 'number', id: 'rule-hunt-days', min: '1', max: '3650', value: '30', class: 'hunt-days' });
    const n = () => String(Math.max(1, Math.min(3650, Number(days.value) || 30)));
    const href = () => '/?' + new URLSearchParams({ view: 'hunt', rules: str(r.id), days: n() }).toString();
    const run = el('a', { href: href(), id: 'rule-hunt', class: 'button' }, 'Hunt →');
    days.addEventListener('input', () => run.setAttribute('href', href()));
    run.addEventListener('click', (e) => {
      if (e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0) return;
      e.preventDefault();
      this.app.navigate({ ...this.app.state, view: 'hunt', huntRules: str(r.id), days: n() });
    });
    const alerts = appLink(this.app, { ...this.app.state, view: 'alerts', rule: str(r.id), alert: '', offset: 0 }, 'its alerts →', { id: 'rule-alerts' });
    return el('div', { class: 'toolbar' }, el('label', null, 'Run over the last ', days, ' days'), run, alerts);
  }

  exclusions(r) {
    const list = arr(r.exclusions).map(str);
    const msg = el('span', { id: 'rule-exclusion-msg' });
    const input = el('input', { type: 'text', id: 'rule-exclusion-new', placeholder: 'kamatama query: host.name:build-* AND user.name:svc_backup', spellcheck: 'false' });
    const add = el('button', { type: 'button', id: 'rule-exclusion-add' }, 'Add exclusion');
    const save = (next) => api.patchRule(str(r.id), { exclusions: next }).then(() => this.show(this.state))
      .catch((e) => replace(msg, el('span', { class: 'error', id: 'rule-exclusion-error' }, e.message)));
    add.addEventListener('click', () => { if (input.value.trim()) save([...list, input.value.trim()]); });
    gate(this.app, 'admin', input, add);
    return el('section', { id: 'rule-exclusions' }, el('h3', null, `Exclusions (${fmtInt(list.length)})`),
      el('ul', { class: 'exclusions' }, list.map((x, i) => {
        const rm = el('button', { type: 'button', class: 'mini exclusion-remove', title: 'remove this exclusion' }, 'remove');
        rm.addEventListener('click', () => save(list.filter((_, j) => j !== i)));
        gate(this.app, 'admin', rm);
        return el('li', { class: 'exclusion' }, el('code', null, valueView(x, 500)), ' ', rm);
      })),
      el('div', { class: 'toolbar' }, input, add, msg));
  }

  async loadCoverage() {
    const days = Math.max(1, Math.min(3650, Number(this.days.value) || 7));
    replace(this.coverage, el('p', { class: 'muted' }, 'Loading…'));
    let c;
    try {
      c = await api.coverage(days, this.abort?.signal);
    } catch (e) {
      if (e.name !== 'AbortError') replace(this.coverage, el('p', { class: 'error' }, 'Coverage: ' + e.message));
      return;
    }
    const blindTable = (id, head, list) => el('table', { class: 'hunt-table', id },
      el('thead', null, el('tr', null, el('th', null, head), el('th', { class: 'num' }, 'blind rules'), el('th', null, 'missing sources'))),
      el('tbody', null, arr(list).filter((x) => x && typeof x === 'object').map((t) => el('tr', { dataset: { id: str(t.id) } },
        el('td', null, head === 'technique' ? techniqueLink(str(t.id)) : valueView(str(t.id), 80)),
        el('td', { class: 'num' }, fmtInt(Number(t.blind_rules) || 0)),
        el('td', { class: 'muted small' }, valueView(arr(t.missing_logsources).map(str).join(', '), 400))))));
    replace(this.coverage,
      el('p', { id: 'coverage-total' }, el('b', null, fmtInt(Number(c.rules_blind) || 0)), ` of ${fmtInt(Number(c.rules_total) || 0)} loaded rules are blind: no source sending in the last ${days} day(s) provides their logsource.`),
      el('ul', { id: 'coverage-messages' }, arr(c.blind_by_logsource).filter((x) => x && typeof x === 'object').map((b) => el('li', null, valueView(str(b.message), 400)))),
      el('div', { class: 'entity-cols' }, el('section', null, el('h3', null, 'per tactic'), blindTable('coverage-tactics', 'tactic', c.blind_by_tactic)),
        el('section', null, el('h3', null, 'per technique'), blindTable('coverage-techniques', 'technique', c.blind_by_technique))));
  }
}
