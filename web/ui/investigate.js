// investigate.js: the investigation pages (issue 22). The entity page (GET /api/v1/entity) of a
// host, user, IP address, process, hash or domain: first/last seen, datasets, related entities
// as links, logon sessions and a timeline of readable sentences with each raw event one click
// away; the process tree page (GET /api/v1/process/tree): ancestors and descendants, each with
// its command line, the decoded PowerShell command and its activity. entityLink() and
// ownerNote() are what the search page uses to link field values and name internal addresses.
// All text from the server goes in through el()/valueView (textContent): nothing becomes markup.
import { el, replace, clear, valueView, fmtInt, fmtUtc } from './dom.js';
import { getJson } from './api.js';

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

function treeLink(app, host, id, label) {
  const a = el('a', { href: '/?' + new URLSearchParams({ view: 'tree', host, entity_id: id }).toString(), class: 'tree-link' }, label);
  a.addEventListener('click', (e) => {
    if (e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0) return;
    e.preventDefault();
    app.navigate({ ...app.state, view: 'tree', host, entityId: id });
  });
  return a;
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

// A "raw" button that shows the whole event as JSON (text) below it.
export function rawToggle(ev) {
  const pre = el('pre', { class: 'raw-event', hidden: true });
  const btn = el('button', { type: 'button', class: 'mini raw-toggle', title: 'the whole event' }, 'raw');
  btn.addEventListener('click', () => {
    if (pre.hidden && !pre.firstChild) pre.appendChild(valueView(JSON.stringify(ev, null, 2), 20000));
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
    const timeline = el('ol', { class: 'timeline', id: 'entity-timeline' }, arr(res.timeline).map((t) => {
      const ev = t.event || {};
      const id = str(ev['process.entity_id']);
      const [btn, pre] = rawToggle(ev);
      return el('li', null, el('span', { class: 'ts muted' }, fmtUtc(str(ev['@timestamp']))), ' ',
        el('span', { class: 'sentence' }, valueView(str(t.sentence), 400)), ' ',
        id ? treeLink(app, str(ev['host.name']), id, 'process tree') : null, ' ', btn, pre);
    }));
    this.body.append(...[head, el('div', { class: 'entity-cols' }, el('section', null, el('h3', null, 'Datasets'), datasets), related),
      sessions, el('h3', null, 'Timeline (newest first)'), timeline].filter(Boolean));
  }
}

export class TreePage extends AnswerPage {
  constructor(app) { super(app, 'tree'); }

  show(state) {
    return this.load('Process tree', (signal) => getJson('/api/v1/process/tree', { host: state.host, entity_id: state.entityId }, signal),
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
      el('span', { class: 'muted' }, `${when} · `), entityLink(app, 'process', str(n.entity_id), 'events'));
    const cmd = n.command_line ? el('div', { class: 'cmd' }, valueView(str(n.command_line), 600)) : null;
    const decoded = n.command_line_decoded ? el('div', { class: 'decoded' }, el('span', { class: 'muted' }, 'decoded: '),
      el('pre', { class: 'decoded-command' }, valueView(str(n.command_line_decoded), 4000))) : null;
    const counts = n.activity_counts || {};
    const activity = Object.entries(n.activity || {}).map(([kind, items]) => el('details', { class: 'activity', dataset: { kind } },
      el('summary', null, `${kind} (${fmtInt(counts[kind] ?? arr(items).length)})`),
      el('ul', null, arr(items).map((it) => {
        const [btn, pre] = rawToggle(it.event || {});
        return el('li', null, el('span', { class: 'ts muted' }, fmtUtc(str(it['@timestamp']))), ' ', valueView(str(it.sentence), 300), ' ', btn, pre);
      }))));
    return el('div', { class: 'proc-node' }, head, cmd, decoded, activity);
  }
}
