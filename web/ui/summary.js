// summary.js: one readable line per event, from its normalised ECS fields.
// Returns a plain string (the caller renders it as text with escapes made visible).

const FAMILIES = ['firewall', 'proxy', 'mail', 'dns', 'dhcp', 'antivirus', 'auth', 'sysmon', 'powershell'];

export function familyOf(ev) {
  const ds = String(ev['event.dataset'] ?? '');
  const fam = ds.split('.')[0];
  if (FAMILIES.includes(fam)) return fam;
  if (ds === 'auth.windows_security') return 'auth';
  return 'other';
}

const has = (v) => v !== undefined && v !== null && v !== '';
const join = (...parts) => parts.filter(has).join(' ');

function endpoint(ev, side) {
  const ip = ev[`${side}.ip`] ?? ev[`${side}.address`] ?? ev[`${side}.domain`];
  const port = ev[`${side}.port`];
  if (!has(ip)) return has(port) ? `:${port}` : '';
  const host = String(ip).includes(':') && has(port) ? `[${ip}]` : String(ip);
  return has(port) ? `${host}:${port}` : host;
}

function flow(ev) {
  const s = endpoint(ev, 'source');
  const d = endpoint(ev, 'destination');
  if (s && d) return `${s} → ${d}`;
  return s || (d ? `→ ${d}` : '');
}

const SUMMARIES = {
  firewall(ev) {
    return join(ev['event.action'], ev['network.transport'], flow(ev),
      has(ev['rule.name']) ? `rule ${ev['rule.name']}` : has(ev['rule.id']) ? `rule ${ev['rule.id']}` : '',
      has(ev['observer.ingress.interface.name']) ? `in ${ev['observer.ingress.interface.name']}` : '');
  },
  proxy(ev) {
    const url = ev['url.original'] ?? join(ev['url.domain'], ev['url.path']);
    return join(ev['source.ip'], ev['user.name'] && ev['user.name'] !== '-' ? `(${ev['user.name']})` : '',
      ev['http.request.method'], url, ev['http.response.status_code'],
      has(ev['http.response.bytes']) ? `${ev['http.response.bytes']} B` : '',
      ev['event.action']);
  },
  dns(ev) {
    const q = ev['dns.question.name'];
    if (!has(q)) return '';
    const ans = ev['dns.resolved_ip'] ?? ev['dns.answers'];
    return join(ev['source.ip'], 'query', ev['dns.question.type'], q,
      has(ev['dns.response_code']) ? `→ ${ev['dns.response_code']}` : '', has(ans) ? String(ans) : '');
  },
  dhcp(ev) {
    return join(ev['event.action'], ev['client.ip'] ?? ev['source.ip'],
      has(ev['source.mac']) ? `to ${ev['source.mac']}` : '', has(ev['dhcp.client.hostname']) ? `(${ev['dhcp.client.hostname']})` : '');
  },
  mail(ev) {
    const from = ev['email.from.address'];
    const to = ev['email.to.address'];
    return join(ev['event.action'], has(from) ? `from ${from}` : '', has(to) ? `to ${to}` : '',
      has(ev['source.ip']) ? `client ${has(ev['source.domain']) ? `${ev['source.domain']}[${ev['source.ip']}]` : ev['source.ip']}` : '',
      has(ev['email.local_id']) ? `id ${ev['email.local_id']}` : '',
      ev['smtp.response.code'] ?? '');
  },
  auth(ev) {
    const outcome = ev['event.outcome'];
    return join(ev['event.action'], outcome, has(ev['user.name']) ? `user ${ev['user.name']}` : '',
      has(ev['user.effective.name']) ? `as ${ev['user.effective.name']}` : '',
      has(ev['source.ip']) ? `from ${endpoint(ev, 'source')}` : '',
      ev['sshd.auth_method'], ev['process.command_line']);
  },
  antivirus(ev) {
    return join(ev['event.action'], ev['rule.name'], has(ev['file.path']) ? `in ${ev['file.path']}` : '');
  },
  sysmon(ev) {
    const act = ev['event.action'];
    const what = ev['process.command_line'] ?? ev['process.executable'] ?? ev['file.path'] ?? ev['registry.path'] ?? ev['dns.question.name'];
    return join(act, has(ev['user.name']) ? `${ev['user.name']}:` : '', what, flow(ev));
  },
  powershell(ev) {
    const text = ev['powershell.file.script_block_text'] ?? ev['powershell.command.name'] ?? ev['process.command_line'];
    return join(ev['event.code'] ? `[${ev['event.code']}]` : '', ev['user.name'], text);
  },
};

export function summarize(ev) {
  const fam = familyOf(ev);
  let s = '';
  try {
    if (SUMMARIES[fam]) s = SUMMARIES[fam](ev);
    // Windows Security events are in the auth family but read like sysmon ones.
    if (!s && ev['event.dataset'] === 'auth.windows_security') s = SUMMARIES.auth(ev);
  } catch { s = ''; }
  if (!s || s.trim().length < 3) s = String(ev.message ?? ev['event.original'] ?? '');
  return s;
}
