// hunt.js: the Hunt page (issue 20): Sigma rules run over the events already stored
// (POST /api/v1/hunt): the loaded rules by id or all of them, or rules pasted as YAML, over the
// last N days. Counts per rule as the hunt goes, then the matching events, each linked to the
// search that shows it. Stop (or leaving the page) closes the connection, which ends the hunt.
import { el, clear, replace, valueView, fmtInt, fmtUtc } from './dom.js';
import { hunt } from './api.js';
import { summarize } from './summary.js';
import { eventState, stateToSearch } from './state.js';

export class HuntPage {
  constructor(app) {
    this.app = app;
    this.source = el('select', { id: 'hunt-source', 'aria-label': 'which rules' },
      el('option', { value: 'yaml' }, 'Pasted YAML'),
      el('option', { value: 'ids' }, 'Loaded rules by id'),
      el('option', { value: 'all' }, 'All loaded rules'));
    this.yaml = el('textarea', { id: 'hunt-yaml', class: 'hunt-yaml', spellcheck: 'false',
      placeholder: 'title: ...\nlogsource:\n  product: windows\n  category: process_creation\ndetection:\n  ...\n(several rules: separate them with a line of ---)' });
    this.ids = el('input', { id: 'hunt-ids', type: 'text', class: 'hunt-ids', placeholder: 'rule ids, separated by spaces or commas', hidden: true });
    this.days = el('input', { id: 'hunt-days', type: 'number', min: '1', max: '3650', value: '7', class: 'hunt-days' });
    this.alerts = el('input', { id: 'hunt-alerts', type: 'checkbox' });
    this.runBtn = el('button', { type: 'submit', id: 'hunt-run', class: 'primary' }, 'Run');
    this.stopBtn = el('button', { type: 'button', id: 'hunt-stop', disabled: true }, 'Stop');
    this.source.addEventListener('change', () => this.showSource());
    this.stopBtn.addEventListener('click', () => this.stop('stopped'));
    const form = el('form', { class: 'hunt-form', id: 'hunt-form' },
      el('div', { class: 'toolbar' }, el('label', null, 'Rules ', this.source),
        el('label', null, 'over the last ', this.days, ' days'),
        el('label', { title: 'every match returned becomes an alert (raised once, however often the hunt runs)' }, this.alerts, ' create alerts'),
        el('span', { class: 'grow' }), this.runBtn, this.stopBtn),
      this.yaml, this.ids);
    form.addEventListener('submit', (e) => { e.preventDefault(); this.run(); });
    this.status = el('div', { class: 'status', role: 'status', id: 'hunt-status' });
    this.counts = el('div', { class: 'hunt-counts', id: 'hunt-counts' });
    this.matches = el('div', { class: 'hunt-matches', id: 'hunt-matches' });
    this.root = el('div', { class: 'page hunt-page' },
      el('div', { class: 'toolbar' }, el('h2', null, 'Hunt'), el('span', { class: 'muted' }, 'run Sigma rules over the events already stored')),
      form, this.status, this.counts, this.matches);
  }

  // ?view=hunt&rules=ID&days=N (the Rules page's "run over the last N days"): the rule preselected.
  show(state) {
    if (state?.huntRules) {
      this.source.value = 'ids';
      this.ids.value = state.huntRules;
      this.showSource();
    }
    if (state?.days) this.days.value = state.days;
  }
  leave() { this.stop('stopped'); }
  focusQuery() { this.yaml.focus(); }
  redraw() {}

  showSource() {
    this.yaml.hidden = this.source.value !== 'yaml';
    this.ids.hidden = this.source.value !== 'ids';
  }

  body() {
    const days = Math.max(1, Math.min(3650, Number(this.days.value) || 7));
    const b = { from: `now-${days}d`, to: 'now', create_alerts: this.alerts.checked, limit: 500 };
    if (this.source.value === 'yaml') b.yaml = this.yaml.value;
    else if (this.source.value === 'all') b.rules = 'all';
    else b.rules = this.ids.value.split(/[\s,]+/).filter(Boolean);
    return b;
  }

  stop(why) {
    if (!this.abort) return;
    this.abort.abort();
    this.abort = null;
    this.runBtn.disabled = false;
    this.stopBtn.disabled = true;
    replace(this.status, el('span', { class: 'muted' }, `Hunt ${why}.`));
  }

  async run() {
    this.stop('stopped');
    const abort = new AbortController();
    this.abort = abort;
    this.runBtn.disabled = true;
    this.stopBtn.disabled = false;
    clear(this.counts);
    clear(this.matches);
    this.rows = el('tbody');
    this.matches.appendChild(el('table', { class: 'hunt-table', id: 'hunt-events' },
      el('thead', null, el('tr', null, el('th', null, 'time (UTC)'), el('th', null, 'rule'), el('th', null, 'event'))), this.rows));
    replace(this.status, 'Hunting…');
    try {
      await hunt(this.body(), abort.signal, (line) => this.onLine(line));
    } catch (e) {
      if (e.name === 'AbortError') return;
      replace(this.status, el('span', { class: 'error', id: 'hunt-error' }, 'Hunt: ' + e.message));
    } finally {
      if (this.abort === abort) {
        this.abort = null;
        this.runBtn.disabled = false;
        this.stopBtn.disabled = true;
      }
    }
  }

  onLine(line) {
    if (line.type === 'match') this.addMatch(line);
    else if (line.type === 'progress') replace(this.status, `Hunting… ${fmtInt(Number(line.scanned) || 0)} events scanned, back to ${fmtUtc(String(line.through)).slice(0, 10)}`);
    else if (line.type === 'done') this.done(line);
  }

  addMatch(line) {
    const ev = line.event && typeof line.event === 'object' ? line.event : {};
    const ids = Array.isArray(line['rule.id']) ? line['rule.id'].map(String) : [];
    const ts = String(ev['@timestamp'] ?? '');
    const target = eventState(ts, ev['event.dataset'], ev['host.name']);
    const link = target ? el('a', { href: '/' + stateToSearch(target), class: 'hunt-event' }, valueView(summarize(ev), 300)) : valueView(summarize(ev), 300);
    if (target) {
      link.addEventListener('click', (e) => {
        if (e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0) return;
        e.preventDefault();
        this.app.navigate(target);
      });
    }
    this.rows.appendChild(el('tr', { class: 'hunt-match' }, el('td', { class: 'ts' }, fmtUtc(ts)), el('td', null, ids.join(' ')), el('td', null, link)));
  }

  done(d) {
    const counts = Array.isArray(d.counts) ? d.counts.filter((c) => c && typeof c === 'object') : [];
    const rows = counts.map((c) => el('tr', { class: Number(c.count) > 0 ? 'fired' : 'quiet' },
      el('td', null, valueView(String(c['rule.name'] ?? ''), 200)), el('td', null, String(c['rule.level'] ?? '')),
      el('td', { class: 'muted small' }, String(c['rule.id'] ?? '')), el('td', { class: 'num' }, fmtInt(Number(c.count) || 0))));
    replace(this.counts, el('table', { class: 'hunt-table', id: 'hunt-count-table' },
      el('thead', null, el('tr', null, el('th', null, 'rule'), el('th', null, 'level'), el('th', null, 'id'), el('th', null, 'matches'))),
      el('tbody', null, rows)));
    const parts = [`${fmtInt(Number(d.matched) || 0)} matches of ${fmtInt(Number(d.rules) || 0)} rule(s)`,
      `${fmtInt(Number(d.scanned) || 0)} events scanned`, `${fmtInt(Number(d.blocks_pruned) || 0)} of ${fmtInt(Number(d.blocks) || 0)} blocks skipped`,
      `${fmtInt(Number(d.took_ms) || 0)} ms`];
    if (Number(d.alerts)) parts.push(`${fmtInt(Number(d.alerts))} alerts raised`);
    if (d.complete === false) parts.push('incomplete' + (d.error ? ': ' + String(d.error) : ''));
    replace(this.status, el('span', { id: 'hunt-done' }, parts.join(' · ')));
  }
}
