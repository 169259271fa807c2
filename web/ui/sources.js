// sources.js: the Sources page (GET /api/v1/sources): per log family and sending host, events
// per day, last seen (silent sources highlighted), oldest event kept, storage and disk runway.
import { el, svg, replace, valueView, visibleText, fmtInt, fmtBytes, fmtUtc, fmtLocal, fmtAgo, fmtDuration } from './dom.js';
import { api } from './api.js';
import { quoteValue } from './query-bar.js';

const FAMILIES = ['firewall', 'proxy', 'mail', 'dns', 'dhcp', 'antivirus', 'auth', 'sysmon', 'other'];
const num = (v) => (typeof v === 'number' && isFinite(v) ? v : null);
const arr = (v) => (Array.isArray(v) ? v : []);

export class SourcesPage {
  constructor(app) {
    this.app = app;
    this.summary = el('div', { class: 'cards', id: 'disk' });
    this.table = el('div', { class: 'sources-table-box' });
    this.status = el('div', { class: 'status', role: 'status' });
    const reload = el('button', { type: 'button', id: 'sources-reload' }, 'Refresh');
    reload.addEventListener('click', () => this.load(true));
    this.root = el('div', { class: 'page sources-page' },
      el('div', { class: 'toolbar' }, el('h2', null, 'Sources'), el('span', { class: 'muted' }, 'what is sending, how much, and for how long it is kept'), el('span', { class: 'grow' }), reload),
      this.status, this.summary, this.table);
  }

  async show() { await this.load(); }
  leave() { if (this.abort) this.abort.abort(); }
  focusQuery() {}
  redraw() {}

  async load(refresh = false) {
    if (this.abort) this.abort.abort();
    this.abort = new AbortController();
    replace(this.status, 'Loading…');
    try {
      const res = await api.sources(this.abort.signal, refresh);
      this.render(res);
      replace(this.status, el('span', { class: 'muted' }, `as of ${fmtUtc(String(res.now ?? new Date().toISOString())).slice(0, 19)} UTC`));
    } catch (e) {
      if (e.name === 'AbortError') return;
      replace(this.status, el('span', { class: 'error' }, 'Sources: ' + e.message));
    }
  }

  render(res) {
    const now = Date.parse(res.now) || Date.now();
    const disk = res.disk && typeof res.disk === 'object' ? res.disk : {};
    const families = arr(res.families).filter((f) => f && typeof f === 'object');
    const totalEvents = families.reduce((a, f) => a + (num(f.events) || 0), 0);
    const storeBytes = num(disk.store_bytes);
    const retention = num(res.retention_days);
    const card = (label, value, sub, cls) => el('div', { class: `card ${cls || ''}` }, el('div', { class: 'card-label' }, label), el('div', { class: 'card-value' }, value), sub ? el('div', { class: 'card-sub muted' }, sub) : null);
    // days_left is unknown (negative) while the store is not growing
    const daysLeft = num(disk.days_left) !== null && disk.days_left >= 0 ? disk.days_left : null;
    replace(this.summary,
      card('Stored', fmtBytes(storeBytes ?? NaN), `${fmtInt(totalEvents)} events`),
      card('Growth', num(disk.bytes_per_day) !== null ? `${fmtBytes(disk.bytes_per_day)}/day` : '–', 'at the current rate'),
      card('Disk free', fmtBytes(num(disk.free_bytes) ?? NaN), num(disk.total_bytes) !== null ? `of ${fmtBytes(disk.total_bytes)}` : ''),
      card('Disk holds', daysLeft === null ? '–' : daysLeft > 3650 ? '> 10 years' : `${fmtInt(Math.floor(daysLeft))} days`, 'more at the current rate', daysLeft !== null && retention && daysLeft < retention ? 'bad' : daysLeft !== null && daysLeft < 14 ? 'bad' : ''),
      card('Retention', retention ? `${fmtInt(retention)} days` : retention === 0 ? 'unlimited' : '–', typeof res.oldest_day === 'string' ? `oldest day kept ${res.oldest_day}` : ''));

    const byName = new Map(families.map((f) => [String(f.family), f]));
    const names = [...FAMILIES, ...[...byName.keys()].filter((n) => !FAMILIES.includes(n)).sort()];
    // day columns for the sparklines: the last 14 days up to now
    const days = [];
    for (let i = 13; i >= 0; i--) days.push(new Date(now - i * 86400e3).toISOString().slice(0, 10));

    const thead = el('thead', null, el('tr', null,
      el('th', null, 'Family / host'), el('th', null, 'Datasets'), el('th', { class: 'num' }, 'Events'),
      el('th', { class: 'num', title: 'since first seen, over the last 30 days at most' }, 'Per day'), el('th', null, 'Last 14 days'), el('th', null, 'Last seen'),
      el('th', null, 'Oldest kept'), el('th', { class: 'num', title: 'share of the store, estimated from the event count' }, 'Storage ≈'),
      el('th', { class: 'num', title: 'days of this source the free disk space holds at its current rate' }, 'Disk holds')));
    const tbody = el('tbody');
    for (const name of names) {
      const f = byName.get(name);
      const hosts = arr(f?.hosts).filter((h) => h && typeof h === 'object');
      const famRow = this.rowFor({ kind: 'family', name, obj: f || {}, hosts, now, days, storeBytes, totalEvents, disk });
      tbody.appendChild(famRow);
      hosts.sort((a, b) => (num(b.events) || 0) - (num(a.events) || 0));
      for (const h of hosts) tbody.appendChild(this.rowFor({ kind: 'host', name: String(h.host ?? ''), family: name, obj: h, hosts: [h], now, days, storeBytes, totalEvents, disk }));
    }
    replace(this.table, el('table', { class: 'sources', id: 'sources-table' }, thead, tbody));
  }

  rowFor({ kind, name, family, obj, hosts, now, days, storeBytes, totalEvents, disk }) {
    const events = num(obj.events) ?? hosts.reduce((a, h) => a + (num(h.events) || 0), 0);
    // per-day counts: the host's own, or the sum of its hosts for a family
    const perDay = new Map();
    for (const h of hosts) for (const d of arr(h.per_day)) {
      if (d && typeof d.day === 'string') perDay.set(d.day, (perDay.get(d.day) || 0) + (num(d.count) || 0));
    }
    const lastSeen = Date.parse(obj.last_seen);
    const firstSeen = Date.parse(obj.first_seen);
    // Events per day: the events of the window the server counts (its per_day days, up to 30)
    // over the time since the source was first seen in it, at least one day. Averaging over
    // the whole window would make a source that started 5 days ago look 6 times quieter (and
    // its disk runway 6 times longer) than it is.
    const windowDays = [...perDay.keys()].sort();
    const windowStart = windowDays.length ? Date.parse(windowDays[0] + 'T00:00:00Z') : NaN;
    const inWindow = [...perDay.values()].reduce((a, b) => a + b, 0);
    const since = isFinite(firstSeen) && isFinite(windowStart) ? Math.max(firstSeen, windowStart) : windowStart;
    const spanDays = isFinite(since) ? Math.max(1, (now - since) / 86400e3) : null;
    const avg = spanDays !== null && windowDays.length ? inWindow / spanDays : null;
    const silent = kind === 'host' ? obj.silent === true : hosts.some((h) => h.silent === true);
    const share = totalEvents > 0 && storeBytes !== null ? (events / totalEvents) * storeBytes : null;
    let holds = null, bytesPerDay = null;
    const free = num(disk.free_bytes);
    if (share !== null && free !== null && avg && events) {
      bytesPerDay = avg * (share / events);
      holds = free / bytesPerDay;
    }
    const nameCell = kind === 'family'
      ? el('td', { class: 'fam-name' }, el('button', { type: 'button', class: 'link', title: `search ${name} events` }, name))
      : el('td', { class: 'host-name' }, el('button', { type: 'button', class: 'link', title: 'search this host' }, valueView(name, 60)));
    nameCell.querySelector('button').addEventListener('click', () => {
      const q = kind === 'family'
        ? (name === 'other' ? '' : `event.dataset:${name}.*`)
        : `host.name:${quoteValue(name)}${family && family !== 'other' ? ` event.dataset:${family}.*` : ''}`;
      this.app.navigate({ view: 'search', q, range: '24h', from: '', to: '' });
    });
    const datasets = kind === 'host' ? arr(obj.datasets).map(String) : [...new Set(hosts.flatMap((h) => arr(h.datasets).map(String)))];
    const gap = num(obj.typical_gap_s);
    const lastCell = el('td', { class: 'last-seen' + (silent ? ' silent' : ''), title: isFinite(lastSeen) ? `${obj.last_seen}\n${fmtLocal(lastSeen)}${gap ? `\nusually every ${fmtDuration(gap)}` : ''}` : '' },
      isFinite(lastSeen) ? fmtAgo(now - lastSeen) : (kind === 'family' && !hosts.length ? 'never' : '–'),
      silent ? el('span', { class: 'badge bad' }, 'silent') : null);
    return el('tr', { class: kind === 'family' ? `family-row${hosts.length ? '' : ' empty'}` : 'host-row', dataset: { family: family || name, host: kind === 'host' ? name : '' } },
      nameCell,
      el('td', { class: 'datasets muted' }, visibleText(datasets.slice(0, 4).join(', ') + (datasets.length > 4 ? ` +${datasets.length - 4}` : ''))),
      el('td', { class: 'num events' }, events ? fmtInt(events) : kind === 'family' ? '0' : '–'),
      el('td', { class: 'num per-day', title: avg !== null ? `${fmtInt(inWindow)} events in ${spanDays.toFixed(1)} days` : '' },
        avg === null ? '–' : avg < 10 ? avg.toFixed(1) : fmtInt(Math.round(avg))),
      el('td', { class: 'days' }, sparkline(days, perDay)),
      lastCell,
      el('td', { class: 'oldest', title: isFinite(firstSeen) ? fmtLocal(firstSeen) : '' }, isFinite(firstSeen) ? fmtUtc(obj.first_seen).slice(0, 16) : '–'),
      el('td', { class: 'num storage' }, share !== null && events ? fmtBytes(share) : '–'),
      el('td', { class: 'num holds', title: holds === null || !isFinite(holds) ? '' : `${fmtInt(Math.floor(holds))} days: ${fmtBytes(free)} free at ${fmtBytes(bytesPerDay)} per day` },
        holds === null || !isFinite(holds) ? '–' : holds > 3650 ? '> 10 y' : `${fmtInt(Math.floor(holds))} d`));
  }
}

function sparkline(days, perDay) {
  const W = 112, H = 18, bw = W / days.length;
  const max = Math.max(1, ...days.map((d) => perDay.get(d) || 0));
  const s = svg('svg', { class: 'spark', width: W, height: H, viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': 'events per day' });
  days.forEach((d, i) => {
    const c = perDay.get(d) || 0;
    const h = c ? Math.max(1.5, (c / max) * (H - 2)) : 0;
    const r = svg('rect', { class: c ? 'bar' : 'bar zero', x: i * bw + 0.5, y: H - Math.max(h, 1), width: bw - 1, height: Math.max(h, 1) });
    r.appendChild(svg('title', null, `${d}: ${fmtInt(c)} events`));
    s.appendChild(r);
  });
  return s;
}
