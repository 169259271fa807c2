// state.js: the view in the URL (permalinks). ?view=search|sources|hunt|lists&q=...&range=24h or
// &from=...&to=... ; ?view=entity&type=ip&value=... and ?view=tree&host=...&entity_id=... (issue 22);
// ?view=alerts&level=&status=&rule=&host=&arange=&offset=&alert=ID, ?view=rules&rule=ID and
// ?view=hunt&rules=ID&days=N (issue 21); ?view=cases&cstatus= and ?view=case&case=ID (issue 22); ?view=saved[&id=ID] and ?view=dashboards[&id=ID] (issue 25); ?view=unparsed (issue 23). Back/forward re-apply the state; a pasted link reproduces the view.
import { quoteValue } from './query-bar.js';

export const RANGES = [
  ['15m', 'Last 15 minutes', 15 * 60e3],
  ['1h', 'Last hour', 3600e3],
  ['24h', 'Last 24 hours', 86400e3],
  ['7d', 'Last 7 days', 7 * 86400e3],
  ['30d', 'Last 30 days', 30 * 86400e3],
];
export const DEFAULT_RANGE = '24h';
export const VIEWS = ['search', 'sources', 'hunt', 'lists', 'entity', 'tree', 'alerts', 'rules', 'cases', 'case', 'saved', 'dashboards', 'unparsed'];
// The Alerts page's time ranges (on the matched events' time): all, or one of RANGES.
export const ALERT_RANGES = [['all', 'All time'], ...RANGES.map(([k, label]) => [k, label])];

export function readState(search = location.search) {
  const p = new URLSearchParams(search);
  const from = p.get('from') || '';
  const to = p.get('to') || '';
  let range = p.get('range') || '';
  if (!RANGES.some(([k]) => k === range)) range = from || to ? 'custom' : DEFAULT_RANGE;
  const view = VIEWS.includes(p.get('view')) ? p.get('view') : 'search';
  return {
    view,
    etype: p.get('type') || '',
    evalue: p.get('value') || '',
    host: p.get('host') || '',
    entityId: p.get('entity_id') || '',
    pid: p.get('pid') || '', at: p.get('at') || '',  // a tree by host, pid and time (Security 4688)
    // issue 21: the Alerts page's filters and open alert, the Rules page's open rule, a hunt's rules
    level: p.get('level') || '',
    status: p.get('status') || '',
    rule: p.get('rule') || '',
    arange: ALERT_RANGES.some(([k]) => k === p.get('arange')) ? p.get('arange') : 'all',
    offset: Math.max(0, Number(p.get('offset')) || 0),
    alert: /^\d+$/.test(p.get('alert') || '') ? p.get('alert') : '',
    huntRules: p.get('rules') || '',
    caseId: /^\d+$/.test(p.get('case') || '') ? p.get('case') : '',  // issue 22: ?view=case&case=ID
    cstatus: ['open', 'closed', 'all'].includes(p.get('cstatus')) ? p.get('cstatus') : 'open',
    days: /^\d+$/.test(p.get('days') || '') ? p.get('days') : '',
    savedId: view === 'saved' && /^[0-9a-f]{16}$/.test(p.get('id') || '') ? p.get('id') : '',  // issue 25: a permalink
    dashId: view === 'dashboards' && /^[0-9a-f]{16}$/.test(p.get('id') || '') ? p.get('id') : '',  // issue 25: one dashboard
    q: p.get('q') ?? '',
    // issue 25: fields shown as columns of the Search page's event table (a saved search keeps them)
    cols: (p.get('cols') || '').split(',').map((c) => c.trim()).filter(Boolean).slice(0, 64),
    range,
    from: range === 'custom' ? from : '',
    to: range === 'custom' ? to : '',
  };
}

export function stateToSearch(s) {
  const p = new URLSearchParams();
  if (s.view && s.view !== 'search') p.set('view', s.view);
  if (s.view === 'entity') { p.set('type', s.etype); p.set('value', s.evalue); }
  if (s.view === 'tree') {
    if (s.host) p.set('host', s.host);
    if (s.entityId || !s.pid) p.set('entity_id', s.entityId);
    else { p.set('pid', s.pid); if (s.at) p.set('at', s.at); }
  }
  if (s.view === 'alerts') {
    for (const [k, v] of [['level', s.level], ['status', s.status], ['rule', s.rule], ['host', s.host], ['alert', s.alert]]) if (v) p.set(k, v);
    if (s.arange && s.arange !== 'all') p.set('arange', s.arange);
    if (s.offset) p.set('offset', String(s.offset));
  }
  if (s.view === 'rules' && s.rule) p.set('rule', s.rule);
  if (s.view === 'case' && s.caseId) p.set('case', s.caseId);
  if (s.view === 'cases' && s.cstatus && s.cstatus !== 'open') p.set('cstatus', s.cstatus);
  if (s.view === 'saved' && s.savedId) p.set('id', s.savedId);
  if (s.view === 'dashboards' && s.dashId) p.set('id', s.dashId);
  if (s.view === 'hunt') { if (s.huntRules) p.set('rules', s.huntRules); if (s.days) p.set('days', s.days); }
  if (s.q) p.set('q', s.q);
  if ((!s.view || s.view === 'search') && s.cols?.length) p.set('cols', s.cols.join(','));
  if (s.range === 'custom') {
    if (s.from) p.set('from', s.from);
    if (s.to) p.set('to', s.to);
  } else if (s.range && s.range !== DEFAULT_RANGE) {
    p.set('range', s.range);
  }
  const qs = p.toString();
  return qs ? `?${qs}` : '';
}

// Updates the URL: push a history entry when the view changed, unless `replace`.
export function writeState(s, replace = false) {
  const target = location.pathname + stateToSearch(s);
  if (target === location.pathname + location.search) return;
  if (replace) history.replaceState(null, '', target);
  else history.pushState(null, '', target);
}

// Absolute times for the API, fixed at the moment a search runs so that the histogram, the
// results, the field summary and the export all describe the same range.
export function resolveRange(s, now = Date.now()) {
  if (s.range === 'custom') return { from: s.from || '', to: s.to || '' };
  const r = RANGES.find(([k]) => k === s.range) || RANGES.find(([k]) => k === DEFAULT_RANGE);
  return { from: new Date(now - r[2]).toISOString(), to: new Date(now).toISOString() };
}

// The search that shows one stored event from what an alert or a hunt says of it: its dataset
// and host, within the millisecond of its @timestamp (the range's end is exclusive).
export function eventState(ts, dataset, host) {
  const t = Date.parse(ts);
  if (isNaN(t)) return null;
  const clauses = ['-event.dataset:kamatama.alert'];
  if (dataset) clauses.push('event.dataset:' + quoteValue(dataset));
  if (host) clauses.push('host.name:' + quoteValue(host));
  return { view: 'search', q: clauses.join(' '), range: 'custom', from: new Date(t).toISOString(), to: new Date(t + 1).toISOString() };
}
