// tests/ui/e2e.mjs: end-to-end test of the kamatama web UI in headless Chromium.
//
// Starts the real `kamatama serve` on free loopback ports (as tests/harness.h does), ingests a
// few hundred realistic lines of several families, hosts and days through POST /api/v1/ingest,
// then drives the UI with playwright-core and the system Chromium (no browser download):
// security headers, search + histogram, result cells, infinite scroll, the time picker
// (presets and an absolute range), sidebar filter, detail panel, permalinks and history, live
// tail, export, pipes (table + charts), the sources page (its values against the ingested
// timestamps, and a silent source), keyboard shortcuts, and an XSS / control-character pass over
// every page, pipe tables, charts and the query-error view. Screenshots of each state go to --out.
//
//   node tests/ui/e2e.mjs --binary build/kamatama --out build/tests/ui-output \
//        --node-modules build/tests/ui-node/node_modules [--chromium /usr/bin/chromium]
//
// Exit 0 when every check passed, 1 otherwise; the whole run is bounded (--timeout, 240 s).
import fs from 'node:fs';
import path from 'node:path';
import { harness, sleep, iso, CSP } from './lib.mjs';

const h = harness('ui_e2e');
const { OUT, AUTH, ADMIN_PW, check, section, watch, shot, idle, runQuery, pageProblems, uiResponses } = h;
let base = ''; // set once the server listens
const ingest = (lines) => h.ingest(lines);
const apiJson = (p) => h.apiJson(p);
// A larger max_frame so that the 100 KB field of the XSS test fits in one JSON line.
const startServer = async () => { base = await h.startServer({ config: 'syslog:\n  max_frame: 256KiB\n' }); };

// ---- sample data ------------------------------------------------------------------------
// Deterministic: counts per host and family are known. Times spread over the last 5 days,
// newest first, the first few within the last 15 minutes.
const NOW = Date.now();
// expect.times[host]: the timestamps (ms) of that host's sample events.
const expect = { hosts: {}, families: {}, times: {}, deny_fw1: 0, total: 0 };
function sample() {
  const lines = [];
  let t = '';
  const add = (host, family, line) => {
    expect.hosts[host] = (expect.hosts[host] || 0) + 1;
    expect.families[family] = (expect.families[family] || 0) + 1;
    (expect.times[host] ||= []).push(Date.parse(t));
    expect.total++;
    lines.push(line);
  };
  const N = 340;
  const span = 5 * 86400e3;
  const ts = (i) => iso(NOW - 20e3 - Math.floor((i / N) * span) - (i % 7) * 1000);
  // dhcp2 sent every 3 hours from 6 days ago until 2 days ago, then stopped: a silent source
  // (its usual gap is 3 h; nothing for 2 days is more than 5 times that).
  for (let j = 0; j <= 32; j++) {
    t = iso(NOW - 2 * 86400e3 - j * 3 * 3600e3);
    add('dhcp2', 'dhcp', `<30>1 ${t} dhcp2 dhcpd 7301 - - DHCPACK on 10.150.61.${j + 10} to 4c:55:41:a0:fb:${(j + 16).toString(16)} (desk-${j}) via eth1`);
  }
  for (let i = 0; i < N; i++) {
    t = ts(i);
    const k = i % 17;
    const ip = `203.0.113.${(i * 7) % 250 + 1}`;
    if (k < 6) {
      const host = k < 4 ? 'fw1' : 'fw2';
      const deny = i % 3 !== 0;
      if (host === 'fw1' && deny) expect.deny_fw1++;
      add(host, 'firewall', `<4>1 ${t} ${host} kernel - - - [UFW ${deny ? 'BLOCK' : 'ALLOW'}] IN=eth0 OUT= MAC=00:16:3e:04:13:6f:00:16:3e:00:00:01:08:00 SRC=${ip} DST=10.0.0.5 LEN=60 TOS=0x00 PREC=0x00 TTL=52 ID=0 DF PROTO=TCP SPT=${40000 + i} DPT=${i % 2 ? 443 : 22} WINDOW=64240 RES=0x00 SYN URGP=0`);
    } else if (k < 9) {
      const user = ['root', 'admin', 'oracle'][i % 3];
      if (i % 4) add('bastion', 'auth', `<38>1 ${t} bastion sshd ${1000 + i} - - Failed password for ${user} from ${ip} port ${50000 + i} ssh2`);
      else add('bastion', 'auth', `<38>1 ${t} bastion sshd ${1000 + i} - - Accepted publickey for alice from 10.0.0.${i % 200} port ${50000 + i} ssh2: RSA SHA256:abcdefghijklmnop`);
    } else if (k < 11) {
      add('dns1', 'dns', `<30>1 ${t} dns1 dnsmasq 55 - - query[A] host${i % 9}.example.com from 10.0.0.${i % 50 + 2}`);
    } else if (k < 12) {
      add('dhcp1', 'dhcp', `<30>1 ${t} dhcp1 dhcpd 64305 - - DHCPACK on 10.150.60.${i % 200} to 4c:55:41:a0:fa:${(i % 90 + 10).toString(16)} (laptop-${i % 5}) via eth0`);
    } else if (k < 14) {
      add('proxy1', 'proxy', `<13>1 ${t} proxy1 squid 123 - - ${Math.floor(Date.parse(t) / 1000)}.049   5006 10.105.21.${i % 200} TCP_MISS/200 1785 GET http://www.example.org/page${i % 4} - DIRECT/93.184.216.34 text/html`);
    } else if (k < 16) {
      add('mx1', 'mail', `<22>1 ${t} mx1 postfix/smtpd ${300 + i} - - connect from unknown[198.51.100.${i % 200}]`);
    } else {
      add('mx1', 'antivirus', `<30>1 ${t} mx1 clamd 99 - - /var/spool/amavis/msg-${i}.eml: Eicar-Test-Signature FOUND`);
    }
  }
  return lines;
}

// ---- browser helpers ----------------------------------------------------------------------
// Matches the API response to a request for query `q`, not a late answer to an earlier one (the
// histogram is fetched beside the search and may still be on its way when the page is idle).
function forQuery(path, q) {
  return (r) => {
    const u = new URL(r.url());
    return u.pathname === path && (u.searchParams.get('q') || '') === q;
  };
}

// A value button in the field sidebar (its <details> opened first).
async function sideValue(page, field, text) {
  const d = page.locator(`#sidebar details[data-field="${field}"]`);
  await d.waitFor();
  await d.evaluate((e) => { e.open = true; });
  return d.locator('li', { hasText: text }).first();
}

async function matchedCount(page) {
  const t = await page.textContent('#matched', { timeout: 10000 });
  return Number(String(t).replace(/[^0-9]/g, ''));
}

// "12.3 KiB" -> bytes (the UI's binary units); NaN when it is not a size.
function parseBytes(text) {
  const m = /^([\d.,]+) (B|KiB|MiB|GiB|TiB|PiB)\b/.exec(String(text).trim());
  if (!m) return NaN;
  return Number(m[1].replace(/,/g, '')) * 1024 ** ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'].indexOf(m[2]);
}
// The display rounds sizes to 3 significant digits (at least 2 decimals below 10).
const sameSize = (shown, want) => Math.abs(shown - want) <= Math.max(0.51, want * 0.006);
// "45 s ago", "3 min ago", "1.5 h ago", "2.0 d ago" -> seconds, and the rounding of that unit.
function parseAgo(text) {
  const m = /(\d+(?:\.(\d))?) (s|min|h|d) ago/.exec(String(text));
  if (!m) return null;
  const unit = { s: 1, min: 60, h: 3600, d: 86400 }[m[3]];
  return { s: Number(m[1]) * unit, tol: unit * (m[2] !== undefined ? 0.05 : 0.5) + 1 };
}
const dayOf = (ms) => new Date(ms).toISOString().slice(0, 10);

// The values of the Sources page against what was ingested (expect.times) and the disk figures
// of the same /api/v1/sources answer the page drew.
async function checkSourceValues(page, src) {
  const now = Date.parse(src.now);
  const fams = Array.isArray(src.families) ? src.families : [];
  const apiHost = (fam, host) => fams.find((f) => f.family === fam)?.hosts?.find((h) => h.host === host);
  const totalEvents = fams.reduce((a, f) => a + f.events, 0);
  const { free_bytes: free, store_bytes: store, bytes_per_day: growth, days_left: daysLeft } = src.disk || {};
  check('API: store size and free disk known', store > 0 && free > 0, JSON.stringify(src.disk));

  // per host: the API's numbers, then the row drawn from them
  const rates = {};
  for (const [fam, host] of [['firewall', 'fw1'], ['auth', 'bastion'], ['dhcp', 'dhcp1'], ['dhcp', 'dhcp2']]) {
    const times = expect.times[host];
    const n = times.length;
    const first = Math.min(...times), last = Math.max(...times);
    const a = apiHost(fam, host);
    if (!check(`${host}: API has ${n} events, first and last seen`, a && a.events === n && Date.parse(a.first_seen) === first && Date.parse(a.last_seen) === last,
      JSON.stringify(a).slice(0, 300))) continue;
    const perDay = new Map();
    for (const t of times) perDay.set(dayOf(t), (perDay.get(dayOf(t)) || 0) + 1);
    const wrongDays = (a.per_day || []).filter((d) => d.count !== (perDay.get(d.day) || 0));
    check(`${host}: API per-day counts are the ingested ones`, a.per_day.length === 30 && a.per_day.at(-1).day === dayOf(now) && wrongDays.length === 0,
      JSON.stringify(wrongDays.slice(0, 5)));

    const row = page.locator(`#sources-table tr.host-row[data-family="${fam}"][data-host="${host}"]`);
    const cell = async (cls) => { const c = row.locator(`td.${cls}`); return { text: (await c.textContent()).trim(), title: (await c.getAttribute('title')) || '' }; };
    const events = await cell('events');
    check(`${host}: events ${n}`, Number(events.text.replace(/\D/g, '')) === n, events.text);
    // events per day: all of them are inside the 30-day window, over the days since the first
    rates[host] = n / Math.max(1, (now - first) / 86400e3);
    const pd = await cell('per-day');
    const shownRate = Number(pd.text.replace(/,/g, ''));
    check(`${host}: ${rates[host].toFixed(2)} events per day`, Math.abs(shownRate - rates[host]) <= (rates[host] < 10 ? 0.051 : 0.51), `${pd.text} (${pd.title})`);
    // the sparkline: one bar per day of the last 14, titled with that day's count
    const bars = await row.locator('td.days svg rect').evaluateAll((rs) => rs.map((r) => ({ title: r.querySelector('title')?.textContent, zero: r.classList.contains('zero'), h: Number(r.getAttribute('height')) })));
    const wantTitles = [];
    for (let i = 13; i >= 0; i--) { const d = dayOf(now - i * 86400e3); wantTitles.push(`${d}: ${perDay.get(d) || 0} events`); }
    const gotTitles = bars.map((b) => b.title);
    check(`${host}: 14 day bars with the per-day counts`, JSON.stringify(gotTitles) === JSON.stringify(wantTitles), `${gotTitles.join('; ')} vs ${wantTitles.join('; ')}`);
    const counts = wantTitles.map((w) => Number(/: (\d+) events/.exec(w)[1]));
    const maxH = Math.max(...bars.map((b) => b.h));
    check(`${host}: empty days drawn empty, the busiest day tallest`, bars.every((b, i) => b.zero === (counts[i] === 0)) && bars.every((b, i) => (counts[i] === Math.max(...counts)) === (b.h === maxH)),
      JSON.stringify(bars.map((b, i) => [counts[i], b.h])));
    // last seen: the exact time in the title, "… ago" in the cell
    const ls = await cell('last-seen');
    const ago = parseAgo(ls.text);
    check(`${host}: last seen ${Math.round((now - last) / 1000)} s ago`, Date.parse(ls.title.split('\n')[0]) === last && ago && Math.abs(ago.s - (now - last) / 1000) <= ago.tol, `${ls.text} | ${ls.title}`);
    const oldest = await cell('oldest');
    check(`${host}: oldest event kept`, oldest.text === iso(first).slice(0, 16).replace('T', ' '), `${oldest.text} vs ${iso(first)}`);
    // storage: its share of the store by event count
    const wantShare = (n / totalEvents) * store;
    const storage = await cell('storage');
    check(`${host}: storage ≈ ${Math.round(wantShare)} bytes`, sameSize(parseBytes(storage.text), wantShare), storage.text);
    // days the free disk holds at this source's rate (the exact figure is in the title)
    const wantHolds = free / (rates[host] * (store / totalEvents));
    const holds = await cell('holds');
    const shownHolds = Number((/^([\d,]+) days/.exec(holds.title) || [])[1]?.replace(/,/g, ''));
    check(`${host}: disk holds ${Math.floor(wantHolds)} days of it`, Math.abs(shownHolds - Math.floor(wantHolds)) <= Math.max(1, wantHolds * 1e-6) &&
      holds.text === (wantHolds > 3650 ? '> 10 y' : `${Math.floor(wantHolds).toLocaleString('en-US')} d`), `${holds.text} | ${holds.title}`);
  }
  const fwRow = page.locator('#sources-table tr.family-row[data-family="firewall"]');
  const fwEvents = expect.hosts.fw1 + expect.hosts.fw2;
  check('firewall family row sums its hosts', Number((await fwRow.locator('td.events').textContent()).replace(/\D/g, '')) === fwEvents, await fwRow.locator('td.events').textContent());

  // silent: dhcp2 stopped 2 days ago after sending every 3 h; fw1 and dhcp1 still send
  const d2 = apiHost('dhcp', 'dhcp2'), f1 = apiHost('firewall', 'fw1'), d1 = apiHost('dhcp', 'dhcp1');
  check('API: dhcp2 is silent, usual gap 3 h, silent for 2 days', d2?.silent === true && d2.typical_gap_s === 3 * 3600 && Math.abs(d2.silent_for_s - (now - Math.max(...expect.times.dhcp2)) / 1000) <= 1,
    JSON.stringify({ silent: d2?.silent, gap: d2?.typical_gap_s, for: d2?.silent_for_s }));
  check('API: fw1 and dhcp1 are not silent', f1?.silent === false && d1?.silent === false, JSON.stringify([f1?.silent, d1?.silent]));
  const mark = async (sel) => page.locator(sel).evaluate((td) => ({ silent: td.classList.contains('silent'), badge: td.querySelector('.badge')?.textContent || '', title: td.title }));
  const m2 = await mark('#sources-table tr.host-row[data-host="dhcp2"] td.last-seen');
  check('silent host highlighted with a "silent" badge', m2.silent && m2.badge === 'silent' && /usually every 3\.0 h/.test(m2.title), JSON.stringify(m2));
  const m2f = await mark('#sources-table tr.family-row[data-family="dhcp"] td.last-seen');
  check('its family row is highlighted too', m2f.silent && m2f.badge === 'silent', JSON.stringify(m2f));
  for (const [sel, what] of [['tr.host-row[data-host="fw1"]', 'fw1'], ['tr.host-row[data-host="dhcp1"]', 'dhcp1'], ['tr.family-row[data-family="firewall"]', 'firewall family']]) {
    const m = await mark(`#sources-table ${sel} td.last-seen`);
    check(`${what} (still sending) not highlighted`, !m.silent && m.badge === '', JSON.stringify(m));
  }

  // the cards above the table
  const cards = Object.fromEntries(await page.locator('#disk .card').evaluateAll((cs) => cs.map((c) => [c.querySelector('.card-label')?.textContent,
    { value: c.querySelector('.card-value')?.textContent || '', sub: c.querySelector('.card-sub')?.textContent || '' }])));
  check('Stored card: the store size and event count', sameSize(parseBytes(cards.Stored?.value), store) && cards.Stored.sub === `${totalEvents.toLocaleString('en-US')} events`, JSON.stringify(cards.Stored));
  const oldestAll = Math.min(...Object.values(expect.times).flat());
  check('API: oldest day kept is the oldest ingested day', src.oldest_day === dayOf(oldestAll), `${src.oldest_day} vs ${dayOf(oldestAll)}`);
  const daysKept = (Date.parse(dayOf(now)) - Date.parse(src.oldest_day)) / 86400e3 + 1;
  check('API: growth per day = store size / days kept', growth === Math.floor(store / daysKept), `${growth} vs ${store}/${daysKept}`);
  check('Growth card', sameSize(parseBytes(cards.Growth?.value), growth) && /\/day$/.test(cards.Growth.value), JSON.stringify(cards.Growth));
  check('API: disk holds free / growth days', daysLeft === Math.floor(free / growth), `${daysLeft} vs ${free}/${growth}`);
  check('Disk holds card', cards['Disk holds']?.value === (daysLeft > 3650 ? '> 10 years' : `${daysLeft.toLocaleString('en-US')} days`), JSON.stringify(cards['Disk holds']));
  const ret = src.retention_days;
  check('Retention card: setting and oldest day kept', cards.Retention?.value === (ret ? `${ret.toLocaleString('en-US')} days` : 'unlimited') && cards.Retention.sub === `oldest day kept ${src.oldest_day}`,
    JSON.stringify(cards.Retention));
}

// ---- the test -----------------------------------------------------------------------------

async function main() {
  await startServer();
  console.log('server at', base, 'output in', OUT);
  const ing = await ingest(sample());
  check(`ingested ${expect.total} sample lines`, ing.accepted === expect.total, JSON.stringify(ing));

  const { context, page } = await h.browser();

  await section('ui assets and headers', async () => {
    // Browsers put text/html in Accept (the server answers Elasticsearch clients at / otherwise).
    const browserGet = (p, headers = {}) => fetch(base + p, { headers: { Accept: 'text/html,application/xhtml+xml,*/*;q=0.8', ...headers } });
    const r = await browserGet('/');
    check('GET / is 200 text/html', r.status === 200 && (r.headers.get('content-type') || '').startsWith('text/html'), `${r.status} ${r.headers.get('content-type')}`);
    check('CSP header on /', r.headers.get('content-security-policy') === CSP, r.headers.get('content-security-policy'));
    check('X-Frame-Options DENY', r.headers.get('x-frame-options') === 'DENY', r.headers.get('x-frame-options'));
    check('Referrer-Policy no-referrer', r.headers.get('referrer-policy') === 'no-referrer', r.headers.get('referrer-policy'));
    const etag = r.headers.get('etag');
    check('ETag on /', !!etag, 'none');
    const html = await r.text();
    check('index.html has no inline script/style', !/<script(?![^>]*\bsrc=)[^>]*>/i.test(html) && !/<style/i.test(html) && !/\sstyle=/i.test(html) && !/\son[a-z]+=/i.test(html), html.slice(0, 300));
    if (etag) {
      const r304 = await browserGet('/', { 'If-None-Match': etag });
      check('If-None-Match answers 304', r304.status === 304, r304.status);
    }
    const js = await fetch(base + '/ui/app.js');
    check('/ui/app.js is JavaScript', js.status === 200 && /javascript/.test(js.headers.get('content-type') || ''), `${js.status} ${js.headers.get('content-type')}`);
    // nosniff, the CSP with frame-ancestors 'none' and X-Frame-Options on the page, an asset,
    // API answers (plain, streamed, refused) and a 404
    const API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'";
    const hdrs = (res) => {
      try { res.body?.cancel().catch(() => {}); } catch { /* already read */ }
      return { status: res.status, nosniff: res.headers.get('x-content-type-options'), csp: res.headers.get('content-security-policy') || '', xfo: res.headers.get('x-frame-options') };
    };
    const targets = [
      ['GET /', hdrs(r), CSP],
      ['GET /ui/app.js', hdrs(js), CSP],
      ['GET /ui/style.css', hdrs(await browserGet('/ui/style.css')), CSP],
      ['GET /ui/nope.js (404)', hdrs(await fetch(base + '/ui/nope.js')), CSP],
      ['GET /api/v1/search', hdrs(await fetch(base + '/api/v1/search?q=*&limit=1', { headers: { Authorization: AUTH } })), API_CSP],
      ['GET /api/v1/fieldnames', hdrs(await fetch(base + '/api/v1/fieldnames', { headers: { Authorization: AUTH } })), API_CSP],
      ['GET /api/v1/export (streamed)', hdrs(await fetch(base + '/api/v1/export?q=host.name:dhcp1&format=ndjson', { headers: { Authorization: AUTH } })), API_CSP],
      ['GET /api/v1/search without login (401)', hdrs(await fetch(base + '/api/v1/search?q=*')), API_CSP],
    ];
    for (const [what, h, csp] of targets) {
      check(`${what}: nosniff, CSP with frame-ancestors 'none', X-Frame-Options DENY`,
        h.nosniff === 'nosniff' && h.csp === csp && /(^|; )frame-ancestors 'none'(;|$)/.test(h.csp) && h.xfo === 'DENY', JSON.stringify(h));
    }
    for (const bad of ['/ui/../server/api.cc', '/ui/%2e%2e/CMakeLists.txt', '/ui/nope.js', '/ui//app.js']) {
      const rb = await fetch(base + bad);
      check(`${bad} is refused`, rb.status === 404 || rb.status === 400 || rb.status === 401, rb.status);
    }
    const post = await fetch(base + '/', { method: 'POST', body: 'x', headers: { Accept: 'text/html' } });
    check('POST / is refused', post.status === 405 || post.status === 404 || post.status === 401, post.status);
  });

  await section('login', async () => {
    // An unauthenticated visitor gets the sign-in form and no data at all.
    const apiAnswers = [];
    const onResponse = (r) => { if (r.url().includes('/api/v1/') && !r.url().includes('/api/v1/me') && !r.url().includes('/api/v1/login')) apiAnswers.push(r.status()); };
    page.on('response', onResponse);
    await page.goto(base + '/?range=7d&q=' + encodeURIComponent('host.name:fw1'));
    await page.waitForSelector('#login-form', { state: 'visible' });
    check('anonymous visitor sees the login form', await page.isVisible('#login-form'), 'no form');
    check('no results shown before login', (await page.locator('#results tr, .row, .event').count()) === 0 && !(await page.textContent('body')).includes('fw1'),
      (await page.textContent('body')).slice(0, 200));
    check('no API data answered before login', apiAnswers.every((s) => s === 401), JSON.stringify(apiAnswers));
    const anon = await fetch(base + '/api/v1/search?q=*');
    check('anonymous API search is 401', anon.status === 401, anon.status);
    await page.fill('#login-user', 'admin');
    await page.fill('#login-password', 'wrong-password');
    await page.click('#login-submit');
    await page.waitForSelector('#login-error', { state: 'visible' });
    check('wrong password shows an error', /wrong/i.test(await page.textContent('#login-error')), await page.textContent('#login-error'));
    await page.fill('#login-password', ADMIN_PW);
    await page.click('#login-submit');
    await page.waitForSelector('#q', { state: 'visible' });
    check('login shows the app', await page.isVisible('#q') && !(await page.isVisible('#login-form').catch(() => false)), 'no query bar');
    check('whoami shows the user', (await page.textContent('#whoami')).includes('admin'), await page.textContent('#whoami'));
    const cookies = await context.cookies(base);
    const sc = cookies.find((c) => c.name === 'kamatama_session');
    check('session cookie is HttpOnly and SameSite=Strict', !!sc && sc.httpOnly && sc.sameSite === 'Strict', JSON.stringify(sc));
    // A state-changing request without the CSRF header is refused even with the cookie.
    const csrf = await page.evaluate(async () => (await fetch('/api/v1/logout', { method: 'POST', credentials: 'same-origin' })).status);
    check('POST without X-CSRF-Token is 403', csrf === 403, csrf);
    page.off('response', onResponse);
  });

  await section('search and histogram', async () => {
    await page.goto(base + '/?range=7d');
    await idle(page);
    check('query bar focused on load', await page.evaluate(() => document.activeElement?.id === 'q'), 'not focused');
    const hist = page.waitForResponse(forQuery('/api/v1/histogram', 'host.name:fw1'));
    await runQuery(page, 'host.name:fw1');
    const h = await (await hist).json();
    check(`matched = ${expect.hosts.fw1} for host.name:fw1`, (await matchedCount(page)) === expect.hosts.fw1, await page.textContent('#status'));
    const sum = (h.buckets || []).reduce((a, b) => a + b.count, 0);
    check('histogram buckets sum to the match count', sum === expect.hosts.fw1 && h.matched === expect.hosts.fw1, `sum ${sum} matched ${h.matched}`);
    const bars = await page.locator('#histogram svg rect.bar').count();
    check('histogram bars drawn', bars > 0 && bars <= (h.buckets || []).length, bars);
    const rows = await page.locator('#events tbody tr').count();
    check('first page of results shown (newest first)', rows === expect.hosts.fw1, rows);
    const times = await page.locator('#events tbody td.c-time').allTextContents();
    check('results sorted newest first', times.every((t, i) => i === 0 || times[i - 1] >= t), times.slice(0, 3).join(', '));
    const firstSum = await page.textContent('#events tbody tr:first-child td.c-sum');
    check('firewall summary "action tcp src:port → dst:port"', /^(deny|allow|drop) tcp 203\.0\.113\.\d+:\d+ → 10\.0\.0\.5:(22|443)/.test(firstSum), firstSum);
    const newestFw1 = Math.max(...expect.times.fw1);
    const firstRow = page.locator('#events tbody tr:first-child');
    const cellsOf = async (row) => ({ time: await row.locator('td.c-time').textContent(), host: await row.locator('td.c-host').textContent(), ds: await row.locator('td.c-ds').textContent() });
    const fr = await cellsOf(firstRow);
    check('newest fw1 event: time, host and dataset cells', fr.time === iso(newestFw1).replace('T', ' ').replace('Z', '') && fr.host === 'fw1' && fr.ds === 'firewall.iptables', JSON.stringify(fr));
    const hostsShown = new Set(await page.locator('#events tbody td.c-host').allTextContents());
    const dsShown = new Set(await page.locator('#events tbody td.c-ds').allTextContents());
    check('every row: host fw1, dataset firewall.iptables', hostsShown.size === 1 && hostsShown.has('fw1') && dsShown.size === 1 && dsShown.has('firewall.iptables'), `${[...hostsShown]} / ${[...dsShown]}`);
    await shot(page, '01-search');

    // paging: everything in 7 days, 100 per page
    const firstPage = page.waitForResponse((r) => r.url().includes('/api/v1/search?'));
    await runQuery(page, '');
    const firstEvents = (await (await firstPage).json()).events || [];
    check(`exact total ${expect.total} shown for an empty query`, (await matchedCount(page)) === expect.total, await page.textContent('#status'));
    // mixed hosts: each row's time, host and dataset are those of the event the API returned
    const rowCells = await page.locator('#events tbody tr').evaluateAll((rs) => rs.map((r) => ['c-time', 'c-host', 'c-ds'].map((c) => r.querySelector(`td.${c}`)?.textContent)));
    const wrongRows = rowCells.filter((c, i) => { const ev = firstEvents[i] || {}; return c[0] !== String(ev['@timestamp']).replace('T', ' ').replace('Z', '') || c[1] !== ev['host.name'] || c[2] !== ev['event.dataset']; });
    check('first page: each row shows its event\'s time, host and dataset', rowCells.length === 100 && firstEvents.length === 100 && wrongRows.length === 0 &&
      new Set(rowCells.map((c) => c[1])).size >= 5, JSON.stringify(wrongRows.slice(0, 3)));
    // infinite scroll: scrolling the list to its bottom loads the next (older) page by itself
    await page.hover('#results');
    const rowsNow = () => page.locator('#events tbody tr').count();
    for (let i = 0; i < 20 && (await rowsNow()) <= 100; i++) {
      await page.mouse.wheel(0, 4000);
      await sleep(100);
    }
    await page.waitForFunction(() => document.querySelectorAll('#events tbody tr').length > 100 && !/Loading/.test(document.querySelector('#more')?.textContent || ''), null, { timeout: 5000 }).catch(() => {});
    const scrolled = await page.locator('#events tbody tr').evaluateAll((rs) => rs.map((r) => r.querySelector('td.c-time').textContent + '|' + r.querySelector('td.c-sum').textContent));
    check('scrolling to the bottom loads older events (no click)', scrolled.length >= 200 && new Set(scrolled).size === scrolled.length &&
      scrolled.every((t, i) => i === 0 || scrolled[i - 1].split('|')[0] >= t.split('|')[0]), `${scrolled.length} rows, ${new Set(scrolled).size} distinct`);
    await shot(page, '01b-scrolled');
    for (let i = 0; i < 8; i++) {
      const before = await page.locator('#events tbody tr').count();
      const clicked = await page.evaluate(() => { const b = document.querySelector('#load-more'); if (b) b.click(); return !!b; });
      if (!clicked && !(await page.locator('#more', { hasText: 'Loading' }).count())) break;
      await page.waitForFunction((n) => document.querySelectorAll('#events tbody tr').length > n || /End of results/.test(document.querySelector('#more')?.textContent || ''), before, { timeout: 5000 }).catch(() => {});
    }
    await page.waitForFunction(() => !document.querySelector('#load-more') && /End of results/.test(document.querySelector('#more')?.textContent || ''), null, { timeout: 15000 }).catch(() => {});
    const all = await page.locator('#events tbody tr').count();
    check(`paging reaches all ${expect.total} events without duplicates or gaps`, all === expect.total, all);

    // paging when many events share the last timestamp of a page (to is exclusive)
    const tieTs = iso(NOW - 3600e3);
    await ingest(Array.from({ length: 130 }, (_, i) => JSON.stringify({ '@timestamp': tieTs, host: { name: 'tiehost' }, message: `tie ${i}` })));
    await runQuery(page, 'host.name:tiehost');
    // (scrolling may already have loaded the next page: click only if the button is still there)
    await page.evaluate(() => document.querySelector('#load-more')?.click());
    await page.waitForFunction(() => /End of results/.test(document.querySelector('#more')?.textContent || ''), null, { timeout: 10000 }).catch(() => {});
    const tieMsgs = await page.locator('#events tbody td.c-sum').allTextContents();
    check('paging through 130 events with one timestamp shows each once', tieMsgs.length === 130 && new Set(tieMsgs).size === 130, `${tieMsgs.length} rows, ${new Set(tieMsgs).size} distinct`);

    // drag-zoom on the histogram narrows the range
    await runQuery(page, 'host.name:fw1');
    const box = await page.locator('#histogram svg').boundingBox();
    await page.mouse.move(box.x + box.width * 0.5, box.y + 40);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.98, box.y + 40, { steps: 5 });
    const zoom = page.waitForResponse((r) => r.url().includes('/api/v1/search?'));
    await page.mouse.up();
    await zoom;
    await idle(page);
    const u = new URL(page.url());
    check('drag-zoom sets an absolute from/to in the URL', u.searchParams.get('from') && u.searchParams.get('to') && (await page.inputValue('#range')) === 'custom', page.url());
    const zoomed = await matchedCount(page);
    check('zoomed range has fewer matches', zoomed > 0 && zoomed < expect.hosts.fw1, zoomed);
    await shot(page, '02-zoomed');
    await page.goBack();
    await idle(page);
    check('back undoes the zoom', (await page.inputValue('#range')) === '7d' && (await matchedCount(page)) === expect.hosts.fw1, page.url());
  });

  await section('query errors', async () => {
    await page.fill('#q', 'a AND (b');
    await page.press('#q', 'Enter');
    await page.waitForSelector('.query-error:not([hidden])');
    const t = await page.textContent('.query-error');
    check('400 message and expected shown', /never closed/.test(t) && /expected/.test(t), t);
    check('error marker at the reported position', (await page.locator('.query-error mark.err-at').count()) === 1, 'no marker');
    await shot(page, '03-query-error');
  });

  await section('time picker', async () => {
    await page.goto(base + '/?range=7d&q=' + encodeURIComponent('host.name:fw1'));
    await idle(page);
    const opts = await page.locator('#range option').evaluateAll((os) => os.map((o) => o.value));
    check('picker offers 15m, 1h, 24h, 7d, 30d and a custom range', JSON.stringify(opts) === JSON.stringify(['15m', '1h', '24h', '7d', '30d', 'custom']), JSON.stringify(opts));
    const fw1 = expect.times.fw1;
    const inRange = (from, to) => fw1.filter((t) => t >= from && t < to).length;
    // each relative range: the search asks for exactly that span up to now, and the count is
    // the number of fw1 events the test put in it
    for (const [k, ms] of [['15m', 15 * 60e3], ['1h', 3600e3], ['24h', 86400e3], ['30d', 30 * 86400e3], ['7d', 7 * 86400e3]]) {
      const req = page.waitForRequest((r) => r.url().includes('/api/v1/search?'));
      await page.selectOption('#range', k);
      const u = new URL((await req).url());
      await idle(page);
      const from = Date.parse(u.searchParams.get('from')), to = Date.parse(u.searchParams.get('to'));
      const want = inRange(from, to);
      const shown = await matchedCount(page);
      check(`${k}: searches the last ${k} and shows its ${want} fw1 events`, to - from === ms && Math.abs(to - Date.now()) < 60e3 && shown === want &&
        new URL(page.url()).searchParams.get('range') === (k === '24h' ? null : k), `${u.searchParams.get('from')} → ${u.searchParams.get('to')}: ${shown} shown; ${page.url()}`);
    }
    // an absolute range typed into from/to (UTC, minutes): the URL holds it as typed, and the
    // results and the histogram count exactly the fw1 events in [from, to)
    const fromMs = Math.floor((NOW - 3 * 86400e3) / 60e3) * 60e3, toMs = Math.floor((NOW - 86400e3 - 7 * 3600e3) / 60e3) * 60e3;
    const typed = (ms) => iso(ms).slice(0, 16).replace('T', ' ');
    await page.selectOption('#range', 'custom');
    await page.waitForSelector('#from', { state: 'visible' });
    await page.fill('#from', typed(fromMs));
    await page.fill('#to', typed(toMs));
    const resp = page.waitForResponse((r) => r.url().includes('/api/v1/search?'));
    const hist = page.waitForResponse(forQuery('/api/v1/histogram', 'host.name:fw1'));
    await page.press('#to', 'Enter');
    await resp;
    await idle(page);
    const u = new URL(page.url());
    check('URL holds the typed from and to', u.searchParams.get('from') === typed(fromMs) && u.searchParams.get('to') === typed(toMs) && u.searchParams.get('q') === 'host.name:fw1' && !u.searchParams.has('range'), page.url());
    const want = inRange(fromMs, toMs);
    const shown = await matchedCount(page);
    check(`absolute range shows its ${want} fw1 events`, want > 0 && want < fw1.length && shown === want && (await page.locator('#events tbody tr').count()) === want, `${shown} shown, ${want} expected`);
    const hg = await (await hist).json();
    check('its histogram counts the same events', (hg.buckets || []).reduce((a, b) => a + b.count, 0) === want, JSON.stringify(hg).slice(0, 200));
    const times = await page.locator('#events tbody td.c-time').allTextContents();
    check('every row inside the range', times.every((t) => { const ms = Date.parse(t.replace(' ', 'T') + 'Z'); return ms >= fromMs && ms < toMs; }), times.join(', '));
    await shot(page, '02b-custom-range');
    await page.reload();
    await idle(page);
    check('the link reproduces the custom range', (await page.inputValue('#range')) === 'custom' && (await page.inputValue('#from')) === typed(fromMs) &&
      (await page.inputValue('#to')) === typed(toMs) && (await matchedCount(page)) === want, `${await page.inputValue('#range')} ${await page.inputValue('#from')} ${await page.inputValue('#to')}`);
    // From the keyboard only: a relative range first, then "Custom range…", the dates typed, and
    // Enter pressed in the query box (not in a date field, not the Search button): the typed
    // range is searched and the selector stays on it (it used to search the last 24 hours).
    await page.goto(base + '/?q=' + encodeURIComponent('host.name:fw1'));
    await idle(page);
    await page.selectOption('#range', 'custom');
    await page.waitForSelector('#from', { state: 'visible' });
    await page.fill('#from', typed(fromMs));
    await page.fill('#to', typed(toMs));
    await page.fill('#q', 'host.name:fw1');
    const kResp = page.waitForResponse((r) => r.url().includes('/api/v1/search?'));
    await page.press('#q', 'Enter');
    const ku = new URL((await kResp).url());
    await idle(page);
    check('Enter in the query box searches the typed custom range', Date.parse(ku.searchParams.get('from')) === fromMs && Date.parse(ku.searchParams.get('to')) === toMs &&
      (await page.inputValue('#range')) === 'custom' && (await matchedCount(page)) === want, `${ku.search} range=${await page.inputValue('#range')} shown=${await matchedCount(page)} want=${want}`);
  });

  await section('field sidebar', async () => {
    await page.goto(base + '/?range=7d&q=' + encodeURIComponent('host.name:fw1'));
    await idle(page);
    const val = (await sideValue(page, 'event.action', 'deny')).locator('button.value');
    await shot(page, '04-sidebar');
    await val.click();
    await idle(page);
    const q = await page.inputValue('#q');
    check('click on a value adds field:value', q === 'host.name:fw1 event.action:deny', q);
    check('new results for the added filter', (await matchedCount(page)) === expect.deny_fw1, `${await matchedCount(page)} vs ${expect.deny_fw1}`);
    // exclude: NOT field:value
    await (await sideValue(page, 'destination.port', '443')).locator('button.exclude').click();
    await idle(page);
    const q2 = await page.inputValue('#q');
    check('the − button adds NOT field:value', q2 === 'host.name:fw1 event.action:deny NOT destination.port:443', q2);
    // values that need quoting: a host name with spaces and quotes, via the API round trip
    await ingest([JSON.stringify({ '@timestamp': iso(NOW - 60e3), host: { name: 'odd "host" (x)' }, message: 'quoting test' })]);
    await runQuery(page, 'quoting');
    await (await sideValue(page, 'host.name', 'odd')).locator('button.value').click();
    await idle(page);
    const q3 = await page.inputValue('#q');
    check('a value with spaces and quotes is quoted', q3 === 'quoting host.name:"odd \\"host\\" (x)"', q3);
    check('the quoted filter matches that event', (await matchedCount(page)) === 1, await page.textContent('#status'));
    // click a field name: "| top 10 field"
    await runQuery(page, 'host.name:fw1');
    await page.locator('#sidebar details[data-field="source.ip"] button.field-name').click();
    await idle(page);
    const q4 = await page.inputValue('#q');
    check('click on a field runs | top 10 field', q4 === 'host.name:fw1 | top 10 source.ip', q4);
    check('top table shown', (await page.locator('#pipe-table tbody tr').count()) === 10, await page.locator('#pipe-table tbody tr').count());
  });

  await section('detail panel', async () => {
    await runQuery(page, 'host.name:bastion');
    await page.click('#events tbody tr:first-child td.c-sum');
    await page.waitForSelector('#detail:not([hidden])');
    const fields = await page.locator('#detail-fields th').allTextContents();
    check('every field listed', ['@timestamp', 'host.name', 'event.dataset', 'source.ip', 'user.name', 'event.ingested'].every((f) => fields.includes(f)), fields.join(','));
    const orig = await page.textContent('#detail-original');
    check('original line shown', /^<38>1 \S+ bastion sshd \d+ - - (Failed password|Accepted publickey)/.test(orig), orig.slice(0, 120));
    await shot(page, '05-detail');
    await page.keyboard.press('Escape');
    check('Esc closes the detail panel', await page.locator('#detail').isHidden(), 'still visible');
  });

  await section('permalinks and history', async () => {
    await page.selectOption('#range', '7d');
    await idle(page);
    await runQuery(page, 'host.name:dns1 OR host.name:dhcp1');
    const url = page.url();
    const n = await matchedCount(page);
    check('URL holds the query and range', new URL(url).searchParams.get('q') === 'host.name:dns1 OR host.name:dhcp1' && new URL(url).searchParams.get('range') === '7d', url);
    const p2 = watch(await context.newPage());
    await p2.goto(url);
    await idle(p2);
    check('pasted link reproduces the query', (await p2.inputValue('#q')) === 'host.name:dns1 OR host.name:dhcp1', await p2.inputValue('#q'));
    check('pasted link reproduces the range', (await p2.inputValue('#range')) === '7d', await p2.inputValue('#range'));
    check('pasted link reproduces the results', (await matchedCount(p2)) === n && n === expect.hosts.dns1 + expect.hosts.dhcp1, `${await matchedCount(p2)} vs ${n}`);
    await shot(p2, '06-permalink');
    await p2.close();
    await runQuery(page, 'host.name:proxy1');
    await page.goBack();
    await idle(page);
    check('back restores the previous query', (await page.inputValue('#q')) === 'host.name:dns1 OR host.name:dhcp1', await page.inputValue('#q'));
    await page.goForward();
    await idle(page);
    check('forward re-applies the next query', (await page.inputValue('#q')) === 'host.name:proxy1' && (await matchedCount(page)) === expect.hosts.proxy1, await page.inputValue('#q'));
  });

  await section('keyboard', async () => {
    await page.click('#status');
    await page.keyboard.press('/');
    check('/ focuses the query bar', await page.evaluate(() => document.activeElement?.id === 'q'), 'not focused');
    await page.fill('#q', 'host.n');
    await page.waitForSelector('#q-suggest:not([hidden]) li');
    const sugg = await page.locator('#q-suggest li').allTextContents();
    check('field-name completion offers host.name', sugg.includes('host.name'), sugg.join(','));
    await page.keyboard.press('Tab');
    check('Tab accepts the completion', (await page.inputValue('#q')) === 'host.name:', await page.inputValue('#q'));
    await page.keyboard.type('mx1');
    const resp = page.waitForResponse((r) => r.url().includes('/api/v1/search?'));
    await page.keyboard.press('Enter');
    await resp;
    await idle(page);
    check('Enter runs the query', (await matchedCount(page)) === expect.hosts.mx1, await page.textContent('#status'));
    // a word that is already a field name is complete: Enter runs the query as typed even while
    // longer names containing it (error.message) are offered
    await page.fill('#q', 'host.name:mx1 | stats count() by message');
    const offered = await page.locator('#q-suggest:not([hidden]) li').allTextContents();
    const resp2 = page.waitForResponse((r) => r.url().includes('/api/v1/search?'), { timeout: 5000 }).catch(() => null);
    await page.keyboard.press('Enter');
    const ran = await resp2;
    await idle(page);
    check('Enter after a complete field name runs the query as typed', ran && (await page.inputValue('#q')) === 'host.name:mx1 | stats count() by message' &&
      (await page.locator('#pipe-table thead th').allTextContents()).includes('message'), `offered ${offered.join(',')}; q=${await page.inputValue('#q')}`);
  });

  await section('pipes', async () => {
    await runQuery(page, '* | stats count() by host.name');
    const rows = await page.locator('#pipe-table tbody tr').count();
    const hosts = Object.keys(expect.hosts).length;
    check('stats table has one row per host', rows >= hosts, `${rows} rows for ${hosts} hosts`);
    const fw1 = await page.locator('#pipe-table tbody tr', { hasText: 'fw1' }).locator('td.num').first().textContent();
    check('stats count for fw1', Number(fw1.replace(/\D/g, '')) === expect.hosts.fw1, fw1);
    await page.waitForSelector('#chart svg', { timeout: 5000 }).catch(() => {});
    check('stats bar chart drawn', (await page.locator('#chart svg rect.bar').count()) === rows, await page.locator('#chart svg rect.bar').count());
    check('no histogram/sidebar fetch for pipes', await page.locator('#histogram svg').count() === 0, 'histogram shown');
    await shot(page, '07-stats');
    await runQuery(page, 'host.name:fw1 OR host.name:fw2 | timechart span=1d count() by host.name');
    await page.waitForSelector('#chart svg polyline', { timeout: 5000 }).catch(() => {});
    check('timechart draws lines', (await page.locator('#chart svg polyline.line').count()) === 2, await page.locator('#chart svg polyline.line').count());
    check('timechart table shown', (await page.locator('#pipe-table tbody tr').count()) > 0, 'no rows');
    await shot(page, '08-timechart');
  });

  await section('export', async () => {
    await runQuery(page, 'host.name:dhcp1');
    const nd = await page.getAttribute('#export-ndjson', 'href');
    const csv = await page.getAttribute('#export-csv', 'href');
    check('export links carry the query and range', /^\/api\/v1\/export\?/.test(nd) && new URL(base + nd).searchParams.get('q') === 'host.name:dhcp1' && new URL(base + nd).searchParams.get('format') === 'ndjson', nd);
    const r = await page.request.get(base + nd);
    const text = await r.text();
    const lines = text.split('\n').filter((l) => l.trim());
    check('NDJSON export: 200 attachment', r.status() === 200 && /attachment/.test(r.headers()['content-disposition'] || ''), `${r.status()} ${r.headers()['content-disposition']}`);
    let parsed = 0;
    for (const l of lines) { try { if (JSON.parse(l)['host.name'] === 'dhcp1') parsed++; } catch { /* counted below */ } }
    check(`NDJSON export has the ${expect.hosts.dhcp1} events`, parsed === expect.hosts.dhcp1 && lines.length === parsed, `${parsed}/${lines.length}`);
    const rc = await page.request.get(base + csv);
    const ctext = await rc.text();
    const clines = ctext.split(/\r?\n/).filter((l) => l.trim());
    check('CSV export: header + one row per event', rc.status() === 200 && clines.length === expect.hosts.dhcp1 + 1 && /timestamp/.test(clines[0]), `${rc.status()} ${clines.length} lines; ${clines[0]}`);
  });

  await section('live tail', async () => {
    await runQuery(page, 'host.name:tailhost');
    await page.click('#tail-toggle');
    await page.waitForFunction(() => /live/.test(document.querySelector('#tail-status')?.textContent || ''), null, { timeout: 10000 });
    await ingest([`<38>1 ${iso(Date.now())} tailhost sshd 4242 - - Failed password for tailuser1 from 192.0.2.77 port 4444 ssh2`,
      `<38>1 ${iso(Date.now())} otherhost sshd 4243 - - Failed password for nottail from 192.0.2.78 port 4444 ssh2`]);
    await page.waitForSelector('#events tbody tr:has-text("tailuser1")', { timeout: 10000 });
    check('a new matching event appears', true);
    check('a non-matching event does not', (await page.locator('#events tbody tr', { hasText: 'nottail' }).count()) === 0, 'shown');
    await page.click('#tail-pause');
    await ingest([`<38>1 ${iso(Date.now())} tailhost sshd 4244 - - Failed password for tailuser2 from 192.0.2.77 port 4445 ssh2`]);
    await page.waitForFunction(() => /1 waiting/.test(document.querySelector('#tail-waiting')?.textContent || ''), null, { timeout: 10000 }).catch(() => {});
    check('paused: the event waits', /1 waiting/.test(await page.textContent('#tail-waiting')) && (await page.locator('#events tbody tr', { hasText: 'tailuser2' }).count()) === 0, await page.textContent('#tail-status'));
    await shot(page, '09-tail-paused');
    await page.click('#tail-pause');
    await page.waitForSelector('#events tbody tr:has-text("tailuser2")', { timeout: 5000 });
    check('resume shows the waiting event', true);
    await page.click('#tail-toggle');
  });

  await section('sources', async () => {
    const srcResp = page.waitForResponse((r) => new URL(r.url()).pathname === '/api/v1/sources');
    await page.click('#nav-sources');
    const src = await (await srcResp).json();
    await page.waitForSelector('#sources-table', { timeout: 10000 });
    const fams = await page.locator('#sources-table tr.family-row td.fam-name').allTextContents();
    check('every family listed', ['firewall', 'proxy', 'mail', 'dns', 'dhcp', 'antivirus', 'auth', 'sysmon', 'other'].every((f) => fams.includes(f)), fams.join(','));
    const hostRows = await page.locator('#sources-table tr.host-row').evaluateAll((rs) => rs.map((r) => `${r.dataset.family}/${r.dataset.host}`));
    check('hosts under their families', ['firewall/fw1', 'firewall/fw2', 'auth/bastion', 'dns/dns1', 'dhcp/dhcp1', 'proxy/proxy1', 'mail/mx1'].every((h) => hostRows.includes(h)), hostRows.join(','));
    const fw1 = await page.locator('#sources-table tr.host-row[data-host="fw1"] td.num').first().textContent();
    check('fw1 event count', Number(fw1.replace(/\D/g, '')) === expect.hosts.fw1, fw1);
    check('disk cards shown', (await page.locator('#disk .card').count()) >= 4, 'no cards');
    check('URL says view=sources', new URL(page.url()).searchParams.get('view') === 'sources', page.url());
    await checkSourceValues(page, src);
    await shot(page, '10-sources');
    await page.locator('#sources-table tr.host-row[data-host="dhcp2"]').scrollIntoViewIfNeeded();
    await page.locator('#sources-table tr.host-row[data-host="dhcp2"] td.last-seen').hover();
    await shot(page, '10b-sources-silent');
    await page.goBack();
    await page.waitForSelector('#events, #pipe-table');
    check('back returns to the search', new URL(page.url()).searchParams.get('view') !== 'sources', page.url());
  });

  await section('themes and widths', async () => {
    await page.goto(base + '/?range=7d&q=' + encodeURIComponent('host.name:bastion'));
    await idle(page);
    const bg = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    await page.emulateMedia({ colorScheme: 'dark' });
    const dark = await bg();
    await page.emulateMedia({ colorScheme: 'light' });
    const light = await bg();
    check('prefers-color-scheme switches the theme', dark !== light, `${dark} / ${light}`);
    await shot(page, '11-light');
    await page.click('#theme'); // auto -> dark
    check('toggle forces dark', (await page.getAttribute('html', 'data-theme')) === 'dark' && (await bg()) === dark, await page.getAttribute('html', 'data-theme'));
    await page.setViewportSize({ width: 1920, height: 1080 });
    await page.click('#events tbody tr:first-child');
    await shot(page, '12-wide-dark-detail');
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth);
    check('no horizontal overflow at 1920', !overflow, 'overflows');
    await page.keyboard.press('Escape');
    await page.setViewportSize({ width: 1280, height: 800 });
    check('no horizontal overflow at 1280', !(await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth)), 'overflows');
    await page.click('#theme'); // dark -> light
    await page.click('#theme'); // light -> auto
  });

  // Nothing from the data became markup on the page as it is now.
  async function markupCheck(where) {
    const dom = await page.evaluate(() => ({
      imgs: document.querySelectorAll('img').length,
      scripts: [...document.querySelectorAll('script')].map((s) => s.getAttribute('src')),
      handlers: [...document.querySelectorAll('*')].flatMap((e) => [...e.attributes].filter((a) => /^on/i.test(a.name)).map((a) => a.name)),
      hrefs: [...document.querySelectorAll('[href]')].map((e) => e.getAttribute('href')).filter((h) => !/^\/(ui\/|api\/|\?|$)/.test(h)),
      styles: document.querySelectorAll('style').length,
      svgsInData: document.querySelectorAll('#events svg, #detail svg, #sidebar svg, #pipe-table svg, .query-error svg').length,
      // chart SVGs hold only the elements the chart code draws
      chartTags: [...new Set([...document.querySelectorAll('#chart svg *, #histogram svg *')].map((e) => e.tagName.toLowerCase()))]
        .filter((t) => !['rect', 'text', 'title', 'line', 'polyline', 'circle', 'g', 'path'].includes(t)),
    }));
    check(`${where}: nothing became markup (no <img>, only the app script, no on* attributes, no foreign links, no <style> or svg from data)`,
      dom.imgs === 0 && dom.scripts.length === 1 && dom.scripts[0] === '/ui/app.js' && dom.handlers.length === 0 && dom.hrefs.length === 0 &&
      dom.styles === 0 && dom.svgsInData === 0 && dom.chartTags.length === 0, JSON.stringify(dom));
  }

  await section('xss and control characters', async () => {
    const big = 'A'.repeat(100 * 1024 - 7) + 'THE-END';
    const t = iso(Date.now() - 5e3);
    const evil = [
      JSON.stringify({ '@timestamp': t, host: { name: '<img src=x onerror=alert(2)>' }, message: '<script>alert(1)</script> xsscase', event: { dataset: 'firewall.evil' }, source: { ip: '"><img src=x onerror=alert(1)>' }, 'destination.port': 443 }),
      JSON.stringify({ '@timestamp': t, host: { name: 'evilhost' }, message: 'xsscase link', url: { original: 'javascript:alert(1)' }, event: { dataset: 'proxy.evil' }, 'user.name': '"><svg onload=alert(3)>' }),
      JSON.stringify({ '@timestamp': t, host: { name: 'evilhost' }, message: 'xsscase \u001b[31mRED\u001b[0m ansi and rtl \u202egnp.exe', 'file.name': 'invoice\u202efdp.exe' }),
      JSON.stringify({ '@timestamp': t, host: { name: 'evilhost' }, message: 'xsscase big', 'big.field': big }),
      `<38>1 ${t} evilhost sshd 1 - - xsscase Failed password for <script>alert(4)</script> from 192.0.2.1 port 1 ssh2`,
    ];
    const r = await ingest(evil);
    check('xss lines ingested', r.accepted === evil.length, JSON.stringify(r).slice(0, 200));
    await page.goto(base + '/?range=1h&q=xsscase');
    await idle(page);
    await page.waitForSelector('#sidebar details');
    const rowsText = await page.locator('#events tbody').textContent();
    check('script tag shown as text', rowsText.includes('<script>alert(4)</script>'), rowsText.slice(0, 300));
    check('attribute-breaking payload shown as text', rowsText.includes('"><img src=x onerror=alert(1)>') && rowsText.includes('"><svg onload=alert(3)>'), rowsText.slice(0, 300));
    check('ANSI escape shown visibly', rowsText.includes('\\x1b[31mRED'), 'no \\x1b');
    check('RTL override shown visibly', rowsText.includes('\\u202egnp.exe'), 'no \\u202e');
    await shot(page, '13-xss-results');
    const side = await page.locator('#sidebar').textContent();
    check('sidebar shows payloads as text', side.includes('<img src=x onerror=alert(2)>'), side.slice(0, 300));
    await shot(page, '14-xss-sidebar');
    // detail of each event
    const n = await page.locator('#events tbody tr').count();
    for (let i = 0; i < n; i++) {
      await page.locator('#events tbody tr').nth(i).click();
      await page.waitForSelector('#detail:not([hidden])');
      const dt = await page.textContent('#detail');
      if (dt.includes('big')) {
        check('100 KB value is cut with a "show all" control', dt.length < 20000 && (await page.locator('#detail .show-all').count()) > 0, dt.length);
        await shot(page, '15-xss-detail-big');
        await page.locator('#detail tr[data-field="big.field"] .show-all').click();
        const full = await page.textContent('#detail tr[data-field="big.field"] td.dval');
        check('show all reveals the whole value', full.length >= big.length && full.includes('THE-END'), full.length);
      }
      if (dt.includes('javascript:alert(1)')) {
        // The only links in a detail are the app's own (entity pages: "/?view=entity&..."), built
        // with URLSearchParams; a value from the log never becomes an href of its own.
        const hrefs = await page.locator('#detail a').evaluateAll((as) => as.map((a) => a.getAttribute('href') || ''));
        check('javascript: URL shown as text, not a link', hrefs.every((h) => h.startsWith('/?')), JSON.stringify(hrefs));
        await shot(page, '16-xss-detail');
      }
      await page.keyboard.press('Escape');
    }
    // pipes: hostile values as table cells, bar labels and line-chart legends
    await runQuery(page, 'xsscase | stats count() by host.name', { range: '1h' });
    await page.waitForSelector('#chart svg text.label', { timeout: 5000 });
    const cellTexts = await page.locator('#pipe-table tbody td').allTextContents();
    check('stats table shows the hostile host name as text', cellTexts.includes('<img src=x onerror=alert(2)>') && cellTexts.includes('evilhost'), cellTexts.join(' | '));
    // a bar label's own text (its <title> child holds the uncut label)
    const labelsOf = () => page.locator('#chart svg text.label').evaluateAll((ts) => ts.map((t) => t.firstChild?.nodeValue ?? ''));
    const barLabels = await labelsOf();
    check('bar chart labels show it as text', barLabels.includes('<img src=x onerror=alert(2)>'), barLabels.join(' | '));
    await markupCheck('stats by host.name');
    await shot(page, '16b-xss-stats');
    await runQuery(page, 'xsscase | stats count() by user.name');
    await page.waitForSelector('#chart svg text.label', { timeout: 5000 });
    const userCells = await page.locator('#pipe-table tbody td').allTextContents();
    const userLabels = await labelsOf();
    check('attribute-breaking value in the table and chart as text', ['"><svg onload=alert(3)>'].every((v) => userCells.includes(v) && userLabels.includes(v)),
      `${userCells.join(' | ')} || ${userLabels.join(' | ')}`);
    await markupCheck('stats by user.name');
    await runQuery(page, 'xsscase | stats count() by message');
    await page.waitForSelector('#chart svg text.label', { timeout: 5000 });
    const msgCells = (await page.locator('#pipe-table tbody').textContent());
    const msgLabels = (await page.locator('#chart svg').textContent());
    check('ANSI and RTL escapes visible in the table and chart', ['\\x1b[31mRED', '\\u202egnp.exe', '<script>alert(1)</script> xsscase'].every((v) => msgCells.includes(v) && msgLabels.includes(v)) &&
      !/[\u001b\u202e]/.test(msgCells + msgLabels), `${msgCells.slice(0, 300)} || ${msgLabels.slice(0, 300)}`);
    await markupCheck('stats by message');
    await runQuery(page, 'xsscase | timechart span=1h count() by host.name');
    await page.waitForSelector('#chart .legend-item', { timeout: 5000 });
    const legend = await page.locator('#chart .legend-item').allTextContents();
    const lineTitles = await page.locator('#chart svg polyline.line title').allTextContents();
    check('line chart legend and series titles show the hostile name as text', legend.includes('<img src=x onerror=alert(2)>') && lineTitles.includes('<img src=x onerror=alert(2)>'), `${legend.join(' | ')} || ${lineTitles.join(' | ')}`);
    await markupCheck('timechart by host.name');
    await shot(page, '16c-xss-timechart');

    // the query-error view with hostile query text: the snippet and the message are text
    for (const [what, q, payload] of [['an <img> and U+202E in an unclosed query', '"<img src=x onerror=alert(6)>\u202e" AND (', '<img src=x onerror=alert(6)>\\u202e'],
      ['a <script> as a pipe command', 'xsscase | <script>alert(7)</script>', '<script>alert(7)</script>']]) {
      await page.fill('#q', q);
      const resp = page.waitForResponse((r) => r.url().includes('/api/v1/search?'));
      await page.press('#q', 'Enter');
      await resp;
      await page.waitForSelector('.query-error:not([hidden])');
      const errText = await page.textContent('.query-error');
      const errDom = await page.locator('.query-error').evaluate((e) => [...e.querySelectorAll('*')].map((c) => c.tagName.toLowerCase()));
      check(`query error with ${what}: shown as text`, errText.includes(payload) && !errText.includes('\u202e') && errDom.every((t) => ['span', 'div', 'mark'].includes(t)),
        `${errText} | ${errDom.join(',')}`);
      check('status says query error', /error/i.test(await page.textContent('#status')), await page.textContent('#status'));
      await markupCheck(`query error with ${what}`);
      await shot(page, `16d-xss-query-error-${q.startsWith('xsscase') ? 'pipe' : 'unclosed'}`);
    }

    // sidebar values and the sources page with hostile host names
    await page.click('#nav-sources');
    await page.waitForSelector('#sources-table');
    // the server caches the sources summary for a while: Refresh asks for a fresh one
    const fresh = page.waitForResponse((r) => r.url().includes('/api/v1/sources?refresh=1'));
    await page.click('#sources-reload');
    await fresh;
    await page.waitForTimeout(200);
    const st = await page.locator('#sources-table').textContent();
    check('sources page shows the hostile host name as text', st.includes('<img src=x onerror=alert(2)>'), 'missing');
    await shot(page, '17-xss-sources');
    // tail with a hostile line
    await page.goto(base + '/?range=1h&q=xsstail');
    await idle(page);
    await page.click('#tail-toggle');
    await page.waitForFunction(() => /live/.test(document.querySelector('#tail-status')?.textContent || ''), null, { timeout: 10000 });
    await ingest([JSON.stringify({ '@timestamp': iso(Date.now()), host: { name: 'evilhost' }, message: 'xsstail <img src=x onerror=alert(5)> \u202e\u001b[1m' })]);
    await page.waitForSelector('#events tbody tr:has-text("xsstail")', { timeout: 10000 });
    const tailText = await page.locator('#events tbody tr', { hasText: 'xsstail' }).first().textContent();
    check('tail event shown literally', tailText.includes('<img src=x onerror=alert(5)>') && tailText.includes('\\u202e') && tailText.includes('\\x1b[1m'), tailText);
    await shot(page, '18-xss-tail');
    await page.click('#tail-toggle');

    // nothing from the data became markup
    await markupCheck('live tail page');
  });

  await section('page integrity (all pages)', async () => {
    h.checkPageIntegrity();
    const ui = uiResponses.filter((r) => r.url === '/' || r.url.startsWith('/?') || r.url.startsWith('/ui/'));
    const noCsp = ui.filter((r) => r.csp !== CSP || r.xfo !== 'DENY');
    check(`CSP and X-Frame-Options on every UI response (${ui.length})`, ui.length > 0 && noCsp.length === 0, JSON.stringify(noCsp.slice(0, 5)));
    const api = uiResponses.filter((r) => r.url.startsWith('/api/'));
    const apiNoCsp = api.filter((r) => !r.csp);
    check(`CSP on every API response (${api.length})`, apiNoCsp.length === 0, `${apiNoCsp.length} without, e.g. ${JSON.stringify(apiNoCsp.slice(0, 3))}`);
    const sniffable = uiResponses.filter((r) => r.status !== 101 && r.nosniff !== 'nosniff');
    check(`X-Content-Type-Options: nosniff on every response the browser got (${uiResponses.length})`, uiResponses.length > 0 && sniffable.length === 0, JSON.stringify(sniffable.slice(0, 5)));
    const notJson = api.filter((r) => r.status !== 101 && r.status !== 304 && !/json|ndjson|csv|text\/plain/.test(r.ct));
    check('API responses are data, never HTML', notJson.length === 0, JSON.stringify(notJson.slice(0, 3)));
    const nf = pageProblems.filter((p) => p.kind === 'console' && /Failed to load resource/.test(p.text));
    if (nf.length) console.log('  note: failed resource loads:', JSON.stringify(nf.slice(0, 8)));
  });

}

await h.run(main);
