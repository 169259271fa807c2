// investigate.js: the investigation pages (issue 22). The entity page (GET /api/v1/entity) of a
// host, user, IP address, process, hash or domain: first/last seen, datasets, related entities
// as links, logon sessions and a timeline of readable sentences with each raw event one click
// away; the process tree page (GET /api/v1/process/tree): ancestors and descendants, each with
// its command line, the decoded PowerShell command, its logon session and its activity (a
// connection's "seen by": the same connection in every source, GET /api/v1/connection).
// entityLink()/fieldValue() and ownerNote() are what the search and alert pages use to link field
// values and name internal addresses.
// All text from the server goes in through el()/valueView (textContent): nothing becomes markup.
import { el, replace, clear, valueView, appendLines, fmtInt, fmtUtc } from './dom.js';
import { getJson } from './api.js';
import { addToCase, eventRef } from './cases.js';

const arr = (v) => (Array.isArray(v) ? v : []);
const str = (v) => (v === null || v === undefined ? '' : String(v));

// Field -> entity type (investigate/entity.cc EntityFields, plus fields that name one).
const ENTITY_FIELDS = {
  'host.name': 'host', 'dhcp.client.hostname': 'host', 'winlog.computer_name': 'host',
  'user.name': 'user', 'user.target.name': 'user', 'source.user.name': 'user', 'destination.user.name': 'user',
  'source.ip': 'ip', 'destination.ip': 'ip', 'client.ip': 'ip', 'server.ip': 'ip', 'host.ip': 'ip', 'observer.ip': 'ip',
  'process.entity_id': 'process', 'process.parent.entity_id': 'process', 'process.target.entity_id': 'process',
  'process.hash.sha256': 'hash', 'process.hash.sha1': 'hash', 'process.hash.md5': 'hash', 'file.hash.sha256': 'hash',
  'file.hash.sha1': 'hash', 'file.hash.md5': 'hash', 'process.pe.imphash': 'hash',
  'dns.question.name': 'domain', 'url.domain': 'domain', 'destination.domain': 'domain',
};

export function entityTypeOf(field) { return ENTITY_FIELDS[field] || ''; }

// RFC 1918, loopback-free private and unique-local addresses: the ones DHCP hands out.
export function isInternalIp(ip) {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(ip);
  if (m) {
    const [a, b] = [Number(m[1]), Number(m[2])];
    return a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168);
  }
  return /^f[cd][0-9a-f]{2}:/i.test(ip);
}

function entityHref(type, value, extra = {}) {
  return '/' + '?' + new URLSearchParams({ view: 'entity', type, value, ...extra }).toString();
}

// A link to an entity page; a plain click navigates inside the app.
export function entityLink(app, type, value, label, extra = {}) {
  const a = el('a', { href: entityHref(type, value, extra), class: 'entity-link', dataset: { etype: type } });
  a.appendChild(valueView(label ?? value, 200));
  a.addEventListener('click', (e) => {
    if (e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0) return;
    e.preventDefault();
    app.navigate({ ...app.state, view: 'entity', etype: type, evalue: value, ...extra });
  });
  return a;
}

function treeLink(app, host, id, label, byPid = null) {
  const params = byPid ? { view: 'tree', host, pid: byPid.pid, at: byPid.at } : { view: 'tree', host, entity_id: id };
  const a = el('a', { href: '/?' + new URLSearchParams(params).toString(), class: 'tree-link' }, label);
  a.addEventListener('click', (e) => {
    if (e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0) return;
    e.preventDefault();
    app.navigate({ ...app.state, view: 'tree', host, entityId: id, pid: byPid ? byPid.pid : '', at: byPid ? byPid.at : '' });
  });
  return a;
}

// The tree link of an event: by its ProcessGuid, or (a Security 4688 start) by host, pid and time.
export function eventTreeLink(app, ev) {
  const id = str(ev['process.entity_id']), host = str(ev['host.name']);
  if (id) return treeLink(app, host, id, 'process tree');
  if (str(ev['event.code']) === '4688' && host && ev['process.pid'] !== undefined)
    return treeLink(app, host, '', 'process tree', { pid: str(ev['process.pid']), at: str(ev['@timestamp']) });
  return null;
}

// "WORKSTATION5 at that time" beside an internal address (GET /api/v1/ip/owner), filled in when
// the answer comes.
export function ownerNote(app, ip, at) {
  const span = el('span', { class: 'owner-note muted' });
  if (!isInternalIp(ip)) return span;
  getJson('/api/v1/ip/owner', { ip, at }).then((o) => {
    if (!o.found || !o.hostname) return;
    span.append(' → ', entityLink(app, 'host', str(o.hostname)), ' at that time');
    span.title = `${o.method === 'dhcp' ? 'DHCP lease' : 'the host\u2019s own events'} ${str(o.from)} – ${str(o.to)}`;
  }).catch(() => {});
  return span;
}

// A field value as an entity link when the field names one, else as text (search results,
// details, alerts, pipe tables).
export function fieldValue(app, field, value, max = 300) {
  const type = entityTypeOf(field);
  const text = str(value);
  return type && text ? entityLink(app, type, text) : valueView(text, max);
}

// "who: pgustavo (RemoteInteractive from 172.18.39.20, 20:01 – 21:00)": a process's logon session.
function logonView(app, l) {
  if (!l) return null;
  const parts = [el('span', { class: 'muted' }, 'logon: '), entityLink(app, 'user', str(l.user))];
  const how = [str(l.logon_type), l.source_ip ? 'from ' : ''].filter(Boolean).join(' ');
  parts.push(el('span', { class: 'muted' }, ` (${how}`), l.source_ip ? entityLink(app, 'ip', str(l.source_ip)) : null,
    el('span', { class: 'muted' }, `${l.start ? ', ' + fmtUtc(str(l.start)) : ''}${l.end ? ' – ' + fmtUtc(str(l.end)) : ''}${l.well_known ? ', built-in account' : ''})`));
  return el('div', { class: 'proc-logon', dataset: { logonId: str(l.logon_id) } }, parts);
}

const fmtOffset = (ms) => {
  const v = Number(ms) || 0;
  return `${v >= 0 ? '+' : '−'}${(Math.abs(v) / 1000).toFixed(1)} s`;
};

// A connection event's "seen by" button: the same connection in every other source
// (GET /api/v1/connection), with how far apart the clocks were, and the DNS answer before it.
export function joinButton(app, ev) {
  const src = str(ev['source.ip']), dst = str(ev['destination.ip']);
  if (!src || !dst) return null;
  const box = el('div', { class: 'conn-join', hidden: true });
  const btn = el('button', { type: 'button', class: 'mini join-toggle', title: 'the same connection in other sources' }, 'seen by');
  btn.addEventListener('click', async () => {
    box.hidden = !box.hidden;
    if (box.hidden || box.dataset.loaded) return;
    box.dataset.loaded = '1';
    replace(box, el('span', { class: 'muted' }, 'Loading…'));
    const p = { src, dst, at: str(ev['@timestamp']) };
    if (ev['destination.port'] !== undefined) p.dport = str(ev['destination.port']);
    if (ev['source.port'] !== undefined) p.sport = str(ev['source.port']);
    try {
      const res = await getJson('/api/v1/connection', p);
      const sightings = el('ul', { class: 'join-sightings' }, arr(res.sightings).map((sg) => el('li', { dataset: { dataset: str(sg.dataset), match: str(sg.match) } },
        el('span', { class: 'offset' }, fmtOffset(sg.offset_ms)), ' ', el('b', null, valueView(str(sg.dataset), 60)),
        el('span', { class: 'muted' }, ` ${str(sg.match)} · `), valueView(str(sg.sentence), 300))));
      const dns = arr(res.dns).length ? el('ul', { class: 'join-dns' }, arr(res.dns).map((d) => el('li', { dataset: { sameClient: d.same_client ? '1' : '0' } },
        'resolved as ', entityLink(app, 'domain', str(d.name)), el('span', { class: 'muted' },
          ` · ${fmtOffset(d.offset_ms)} · ${str(d.dataset)}${d.same_client ? ' · same client' : d.client ? ' · client ' + str(d.client) : ''}`)))) : null;
      replace(box, el('div', { class: 'muted' }, `${arr(res.sightings).length} sightings within ±${(Number(res.tolerance_ms) / 1000).toFixed(0)} s, ${(Number(res.spread_ms) / 1000).toFixed(1)} s apart`),
        sightings, dns || el('div', { class: 'muted' }, 'no DNS answer for it before the connection'));
    } catch (e) {
      replace(box, el('span', { class: 'error' }, `connection: ${e.message}`));
    }
  });
  return [btn, box];
}

// A "raw" button that shows the whole event as JSON (text) below it.
export function rawToggle(ev) {
  const pre = el('pre', { class: 'raw-event', hidden: true });
  const btn = el('button', { type: 'button', class: 'mini raw-toggle', title: 'the whole event' }, 'raw');
  btn.addEventListener('click', () => {
    if (pre.hidden && !pre.firstChild) appendLines(pre, JSON.stringify(ev, null, 2));  // line breaks kept
    pre.hidden = !pre.hidden;
  });
  return [btn, pre];
}

// A page that loads one answer and renders it: the status line, aborting a previous load.
class AnswerPage {
  constructor(app, kind) {
    this.app = app;
    this.status = el('div', { class: 'status', role: 'status' });
    this.body = el('div', { class: `${kind}-body`, id: kind });
    this.root = el('div', { class: `page ${kind}-page` }, this.status, this.body);
  }

  leave() { if (this.abort) this.abort.abort(); }
  focusQuery() {}
  redraw() {}

  // fetch(signal) -> answer; done(answer) -> the status text after it is rendered.
  async load(what, fetch, done) {
    if (this.abort) this.abort.abort();
    this.abort = new AbortController();
    clear(this.body);
    replace(this.status, 'Loading…');
    try {
      const res = await fetch(this.abort.signal);
      this.render(res);
      replace(this.status, el('span', { class: 'muted' }, done(res)));
    } catch (e) {
      if (e.name === 'AbortError') return;
      replace(this.status, el('span', { class: 'error' }, `${what}: ${e.message}`));
    }
  }
}

export class EntityPage extends AnswerPage {
  constructor(app) { super(app, 'entity'); }

  show(state) {
    return this.load('Entity', (signal) => getJson('/api/v1/entity', { type: state.etype, value: state.evalue, from: state.from, to: state.to }, signal),
      (res) => `${fmtInt(res.total)} events · ${res.took_ms} ms`);
  }

  render(res) {
    const app = this.app;
    const head = el('div', { class: 'entity-head' },
      el('h2', null, el('span', { class: 'muted' }, str(res.type) + ' '), valueView(str(res.value), 300)),
      el('div', { class: 'muted', id: 'entity-seen' }, res.total ? `first seen ${fmtUtc(str(res.first_seen))} · last seen ${fmtUtc(str(res.last_seen))} UTC` : 'no event names it in this range'));
    if (res.type === 'ip' && res.last_seen) head.appendChild(el('div', { id: 'entity-owner' }, ownerNote(app, str(res.value), str(res.last_seen))));
    const pin = addToCase(app, 'entities', () => ({ entities: [{ type: str(res.type), value: str(res.value) }] }), 'entity-add-to-case');
    if (pin) head.appendChild(el('div', { class: 'entity-case' }, pin));
    const datasets = el('ul', { class: 'datasets', id: 'entity-datasets' },
      Object.entries(res.datasets || {}).sort((a, b) => b[1] - a[1]).map(([ds, n]) => el('li', null, valueView(ds, 100), ' ', el('span', { class: 'muted' }, fmtInt(n)))));
    const related = el('div', { class: 'related', id: 'entity-related' }, arr(res.related).map((r) => el('section', { dataset: { relation: str(r.name) } },
      el('h3', null, str(r.name)),
      el('ul', null, arr(r.top).map((t) => el('li', null,
        r.type && r.type !== 'process' ? entityLink(app, r.type, str(t.value)) : valueView(str(t.value), 200),
        r.type === 'ip' ? ownerNote(app, str(t.value), str(res.last_seen)) : null, ' ',
        el('span', { class: 'muted' }, fmtInt(t.count))))))));
    const sessions = arr(res.sessions).length ? el('section', { id: 'entity-sessions' }, el('h3', null, 'Logon sessions'),
      el('table', { class: 'fields-table' }, el('tbody', null, arr(res.sessions).map((s) => el('tr', null,
        el('td', null, entityLink(app, 'user', str(s.user))), el('td', null, entityLink(app, 'host', str(s.host))),
        el('td', null, str(s.logon_type)), el('td', null, str(s.source_ip)),
        el('td', null, s.start ? fmtUtc(str(s.start)) : '?', ' – ', s.end ? fmtUtc(str(s.end)) : 'open')))))) : null;
    const timeline = el('ol', { class: 'timeline', id: 'entity-timeline' }, arr(res.timeline).map((t, i) => {
      const ev = t.event || {};
      const [btn, pre] = rawToggle(ev);
      const join = res.type === 'ip' ? joinButton(app, ev) : null;
      const pinEv = addToCase(app, 'events', () => ({ events: [eventRef(ev)] }), `timeline-add-to-case-${i}`);
      return el('li', null, el('span', { class: 'ts muted' }, fmtUtc(str(ev['@timestamp']))), ' ',
        el('span', { class: 'sentence' }, valueView(str(t.sentence), 400)), ' ',
        eventTreeLink(app, ev), ' ', btn, join ? join[0] : null, ' ', pinEv, pre, join ? join[1] : null);
    }));
    this.body.append(...[head, el('div', { class: 'entity-cols' }, el('section', null, el('h3', null, 'Datasets'), datasets), related),
      sessions, el('h3', null, 'Timeline (newest first)'), timeline].filter(Boolean));
  }
}

export class TreePage extends AnswerPage {
  constructor(app) { super(app, 'tree'); }

  show(state) {
    const q = state.entityId ? { host: state.host, entity_id: state.entityId } : { host: state.host, pid: state.pid, at: state.at };
    return this.load('Process tree', (signal) => getJson('/api/v1/process/tree', q, signal),
      (res) => `${fmtInt(arr(res.nodes).length)} processes · ${res.took_ms} ms${res.truncated ? ' · truncated' : ''}`);
  }

  render(res) {
    const nodes = arr(res.nodes);
    const children = new Map();
    for (const n of nodes) {
      const p = str(n.parent_entity_id);
      if (!children.has(p)) children.set(p, []);
      children.get(p).push(n);
    }
    const byId = new Map(nodes.map((n) => [str(n.entity_id), n]));
    const seen = new Set();
    const renderNode = (n) => {
      const id = str(n.entity_id);
      if (seen.has(id)) return null;
      seen.add(id);
      const kids = arr(children.get(id)).map(renderNode);
      return el('li', { class: 'proc' + (id === res.focus ? ' focus' : ''), dataset: { name: str(n.name) } }, this.nodeView(n), kids.length ? el('ul', null, kids) : null);
    };
    const root = byId.get(str(res.root));
    this.body.append(el('h2', null, 'Process tree'), el('ul', { class: 'proc-tree' }, root ? renderNode(root) : null,
      nodes.filter((n) => !seen.has(str(n.entity_id))).map(renderNode)));
  }

  nodeView(n) {
    const app = this.app;
    const when = `${n.start ? fmtUtc(str(n.start)) : 'started before logging'}${n.end ? ' – ' + fmtUtc(str(n.end)) : ''}`;
    const head = el('div', { class: 'proc-head' }, el('b', null, valueView(str(n.name) || '?', 100)),
      el('span', { class: 'muted' }, ` pid ${str(n.pid)} · `), n.user ? [entityLink(app, 'user', str(n.user).split('\\').pop(), str(n.user)), el('span', { class: 'muted' }, ' · ')] : null,
      el('span', { class: 'muted' }, when), str(n.entity_id).startsWith('pid:') ? null
        : [el('span', { class: 'muted' }, ' · '), entityLink(app, 'process', str(n.entity_id), 'events')]);
    const cmd = n.command_line ? el('div', { class: 'cmd' }, valueView(str(n.command_line), 600)) : null;
    const decoded = n.command_line_decoded ? el('div', { class: 'decoded' }, el('span', { class: 'muted' }, 'decoded: '),
      el('pre', { class: 'decoded-command' }, valueView(str(n.command_line_decoded), 4000))) : null;
    const counts = n.activity_counts || {};
    const activity = Object.entries(n.activity || {}).map(([kind, items]) => el('details', { class: 'activity', dataset: { kind } },
      el('summary', null, `${kind} (${fmtInt(counts[kind] ?? arr(items).length)})`),
      el('ul', null, arr(items).map((it) => {
        const [btn, pre] = rawToggle(it.event || {});
        const join = kind === 'network' ? joinButton(app, it.event || {}) : null;
        return el('li', null, el('span', { class: 'ts muted' }, fmtUtc(str(it['@timestamp']))), ' ', valueView(str(it.sentence), 300), ' ', btn,
          join ? join[0] : null, pre, join ? join[1] : null);
      }))));
    return el('div', { class: 'proc-node' }, head, logonView(app, n.logon), cmd, decoded, activity);
  }
}
