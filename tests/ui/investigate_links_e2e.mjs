// tests/ui/investigate_links_e2e.mjs: the investigation's joins in Chromium (issue 22). The real
// events of ../shared/attack/empire_launcher_vbs (NXLog JSON from WORKSTATION5), a 4624 written
// here for pgustavo's RDP logon, firewall/proxy lines with skewed clocks and a DNS answer for the
// stager's connection (172.18.39.5:50699 -> 10.10.10.5:80), WORKSTATION5's real 4688s again as a
// machine without Sysmon (WS-SEC), and a Sigma rule that raises an alert on the encoded
// PowerShell. Checks: every host/user/ip/process/hash/domain value in search results, pipe tables,
// the detail and the alert pages links to its entity page (and every link is '/?...' built with
// URLSearchParams); the process tree shows the logon behind a process; a connection shows how far
// apart the sources' clocks were and the DNS answer before it (on the tree and on the IP page);
// the tree from Security 4688 alone.
import fs from 'node:fs';
import path from 'node:path';
import { harness } from './lib.mjs';

const h = harness('investigate_links_e2e');
const here = path.dirname(new URL(import.meta.url).pathname);
const EMPIRE = path.join(here, '..', '..', '..', 'shared', 'attack', 'empire_launcher_vbs', 'empire_launcher_vbs_2020-09-04160940.json');
const RANGE = 'from=2020-09-04T00%3A00%3A00Z&to=2020-09-06T00%3A00%3A00Z';

const nxlog = (id, host, ts, data) => JSON.stringify({ EventID: id, SourceName: 'Microsoft-Windows-Security-Auditing', Channel: 'Security',
  Hostname: host, EventType: 'AUDIT_SUCCESS', '@timestamp': ts, ...data });
const lines = [
  nxlog(4624, 'WORKSTATION5.theshire.local', '2020-09-04T20:01:00.000Z', { SubjectLogonId: '0x3e7', TargetUserName: 'pgustavo',
    TargetDomainName: 'THESHIRE', TargetLogonId: '0x2d5a4b', LogonType: '10', IpAddress: '172.18.39.20', IpPort: '0' }),
  nxlog(4634, 'WORKSTATION5.theshire.local', '2020-09-04T21:00:00.000Z', { TargetUserName: 'pgustavo', TargetDomainName: 'THESHIRE',
    TargetLogonId: '0x2d5a4b', LogonType: '10' }),
  // The firewall's clock is 95 s fast, the proxy's 40 s slow.
  '<4>1 2020-09-04T20:11:34.700Z fw01 kernel - - - [12345.678] OUTBOUND IN=eth1 OUT=eth0 SRC=172.18.39.5 DST=10.10.10.5 LEN=52 TTL=127 PROTO=TCP SPT=50699 DPT=80 SYN',
  '1599250159.600    250 172.18.39.5 TCP_MISS/200 4521 GET http://10.10.10.5/news.php - HIER_DIRECT/10.10.10.5 text/html',
  '<30>1 2020-09-04T20:09:50Z dns01 dnsmasq 900 - - reply news.theshire-cdn.example is 10.10.10.5',
];
const RULE = `title: Encoded PowerShell started
id: 0b1c2d3e-0000-4000-8000-0000000000e1
level: high
logsource:
  product: windows
  category: process_creation
detection:
  selection:
    CommandLine|contains: ' -enc '
  condition: selection
`;

// Every href on the page is the app's own ('/?...', '/ui/...', the export links '/api/...'):
// nothing from a log becomes a URL.
const foreignHrefs = (page) => page.$$eval('[href]', (as) => as.map((a) => a.getAttribute('href')).filter((x) => !/^\/(\?|ui\/|api\/|$)/.test(x)));

await h.run(async () => {
  if (!fs.existsSync(EMPIRE)) { h.check('../shared/attack is beside the checkout', false, EMPIRE); return; }
  const rules = path.join(h.tmp, 'rules');
  fs.mkdirSync(rules);
  fs.writeFileSync(path.join(rules, 'enc.yml'), RULE);
  await h.startServer({ config: `detection:\n  rules: [${JSON.stringify(rules)}]\n` });
  const empire = fs.readFileSync(EMPIRE, 'utf8').split('\n').filter((l) => l.trim());
  // WORKSTATION5's 4688/4689 as a machine that has Security auditing and no Sysmon.
  const sec = empire.filter((l) => /"EventID": ?468[89],/.test(l) && l.includes('"WORKSTATION5.theshire.local"'))
    .map((l) => l.replace('"Hostname": "WORKSTATION5.theshire.local"', '"Hostname": "WS-SEC.theshire.local"').replace('"Hostname":"WORKSTATION5.theshire.local"', '"Hostname":"WS-SEC.theshire.local"'));
  await h.ingest(empire);
  await h.ingest([...lines, ...sec]);
  const { page } = await h.browser();
  await h.section('login', () => h.login(page));

  await h.section('search results and pipe tables link entity values', async () => {
    await page.goto(`${h.base}/?q=destination.ip%3A10.10.10.5&${RANGE}`);
    await page.waitForSelector('#results tr.ev', { timeout: 15000 });
    const hostLinks = await page.$$eval('#results tr.ev td.c-host a.entity-link', (as) => as.map((a) => a.getAttribute('href')));
    h.check('the host of each result is a link to its page', hostLinks.length >= 2 && hostLinks.every((x) => x.startsWith('/?') && x.includes('view=entity') && x.includes('type=host')), JSON.stringify(hostLinks));
    await page.locator('#results tr.ev td.c-host a.entity-link', { hasText: 'WORKSTATION5' }).first().click();
    await page.waitForSelector('#entity-related', { timeout: 15000 });
    h.check('a click on it opens the host page (not the detail)', /WORKSTATION5/.test(await page.textContent('.entity-head h2')), await page.textContent('.entity-head h2'));
    await page.goto(`${h.base}/?q=${encodeURIComponent('destination.ip:10.10.10.5 | stats count() by source.ip, host.name')}&${RANGE}`);
    await page.waitForSelector('#pipe-table tbody tr', { timeout: 15000 });
    const types = await page.$$eval('#pipe-table tbody a.entity-link', (as) => [...new Set(as.map((a) => a.dataset.etype))].sort());
    h.check('a stats table links its address and host columns', JSON.stringify(types) === '["host","ip"]', JSON.stringify(types));
    const bad = await foreignHrefs(page);
    h.check('every link is the app\u2019s own', bad.length === 0, JSON.stringify(bad));
  });

  await h.section('the detail links every entity field', async () => {
    await page.goto(`${h.base}/?q=${encodeURIComponent('event.code:1 process.name:powershell.exe')}&${RANGE}`);
    await page.waitForSelector('#results tr.ev', { timeout: 15000 });
    await page.locator('#results tr.ev td.c-sum').first().click();
    await page.waitForSelector('#detail-fields', { state: 'visible' });
    const linked = await page.$$eval('#detail-fields tr', (trs) => trs.filter((tr) => tr.querySelector('a.entity-link')).map((tr) => tr.dataset.field).sort());
    const want = ['host.name', 'process.entity_id', 'process.hash.md5', 'process.hash.sha1', 'process.hash.sha256', 'process.parent.entity_id', 'process.pe.imphash', 'user.name'];
    h.check('host, user, process ids and hashes link to their pages', want.every((f) => linked.includes(f)), JSON.stringify(linked));
    const bad = await foreignHrefs(page);
    h.check('every link is the app\u2019s own', bad.length === 0, JSON.stringify(bad));
  });

  await h.section('alerts link their host and values', async () => {
    await page.goto(`${h.base}/?view=alerts`);
    await page.waitForSelector('#alerts-table tr.alert-row', { timeout: 15000 });
    const row = page.locator('#alerts-table tr.alert-row', { hasText: 'WORKSTATION5' });
    const host = row.locator('td.alert-host a.entity-link');
    h.check('the alert list links the host', (await host.count()) === 1 && /WORKSTATION5/.test(await host.textContent()), await page.textContent('#alerts-table'));
    await row.locator('a.alert-open').click();
    await page.waitForSelector('#alert-host a.entity-link', { timeout: 15000 }).catch(async () => { await h.shot(page, 'alert-detail-failed'); });
    h.check('the alert links its host', (await page.locator('#alert-host a.entity-link').count()) === 1, await page.textContent('#alert-host'));
    const bad = await foreignHrefs(page);
    h.check('every link is the app\u2019s own', bad.length === 0, JSON.stringify(bad));
    await page.click('#alert-host a.entity-link');
    await page.waitForSelector('#entity-sessions', { timeout: 15000 });
    const sessions = await page.textContent('#entity-sessions');
    h.check('the host page says who was logged on: pgustavo over RDP from 172.18.39.20', /pgustavo/.test(sessions) && /RemoteInteractive/.test(sessions) && /172\.18\.39\.20/.test(sessions), sessions);
  });

  await h.section('the tree: the logon behind a process, a connection across sources', async () => {
    const ps = '{860ba2e3-9f13-5f52-2703-000000000400}';
    await page.goto(`${h.base}/?${new URLSearchParams({ view: 'tree', host: 'WORKSTATION5', entity_id: ps })}`);
    await page.waitForSelector('.proc-tree li.proc.focus', { timeout: 15000 });
    const logon = await page.textContent('.proc-tree li.proc.focus > .proc-node .proc-logon');
    h.check('powershell.exe ran in pgustavo\u2019s RDP logon from 172.18.39.20', /pgustavo/.test(logon) && /RemoteInteractive from 172\.18\.39\.20/.test(logon), logon);
    const net = page.locator('.proc-tree li.proc.focus > .proc-node details[data-kind="network"]');
    await net.locator('summary').click();
    await net.locator('button.join-toggle').first().click();
    await net.locator('.conn-join .join-sightings li').first().waitFor({ timeout: 15000 });
    const sightings = await net.locator('.conn-join .join-sightings li').evaluateAll((ls) => ls.map((l) => `${l.dataset.dataset} ${l.querySelector('.offset').textContent}`));
    h.check('the firewall saw it 95.1 s later (its clock), the proxy 40.0 s earlier', sightings.includes('firewall.iptables +95.1 s') && sightings.includes('proxy.squid −40.0 s'), JSON.stringify(sightings));
    const dns = await net.locator('.conn-join .join-dns').textContent();
    h.check('the DNS answer before it', /news\.theshire-cdn\.example/.test(dns), dns);
    await h.shot(page, 'investigate-connection');
  });

  await h.section('the IP page: a connection across sources', async () => {
    await page.goto(`${h.base}/?view=entity&type=ip&value=10.10.10.5&${RANGE}`);
    await page.waitForSelector('#entity-timeline li', { timeout: 15000 });
    const item = page.locator('#entity-timeline li', { hasText: "pgustavo's powershell.exe connected" }).first();
    await item.locator('button.join-toggle').click();
    await item.locator('.conn-join .join-sightings li').first().waitFor({ timeout: 15000 });
    const n = await item.locator('.conn-join .join-sightings li').count();
    h.check('Sysmon, 5156, firewall and proxy: one connection', n === 4, await item.locator('.conn-join').textContent());
  });

  await h.section('the tree from Security 4688 alone, from the event', async () => {
    await page.goto(`${h.base}/?q=${encodeURIComponent('host.name:"WS-SEC.theshire.local" event.code:4688 process.name:powershell.exe')}&${RANGE}`);
    await page.waitForSelector('#results tr.ev', { timeout: 15000 });
    await page.locator('#results tr.ev td.c-sum').first().click();
    await page.waitForSelector('#detail-tree a.tree-link', { timeout: 15000 });
    const href = await page.getAttribute('#detail-tree a.tree-link', 'href');
    h.check('the 4688 links its tree by host, pid and time', /^\/\?view=tree&host=WS-SEC\.theshire\.local&pid=2316&at=/.test(href), href);
    await page.click('#detail-tree a.tree-link');
    await page.waitForSelector('.proc-tree li.proc.focus', { timeout: 15000 });
    const chain = await page.evaluate(() => {
      const names = [];
      for (let n = document.querySelector('.proc-tree li.proc.focus'); n && n.matches('li.proc'); n = n.parentElement.closest('li.proc')) names.unshift(n.dataset.name);
      return names;
    });
    h.check('explorer -> wscript -> powershell from pids', JSON.stringify(chain) === JSON.stringify(['explorer.exe', 'wscript.exe', 'powershell.exe']), JSON.stringify(chain));
    const kids = await page.$$eval('.proc-tree li.proc.focus > ul > li.proc', (l) => l.map((n) => n.dataset.name).sort());
    h.check('what it started: conhost, whoami', JSON.stringify(kids) === '["conhost.exe","whoami.exe"]', JSON.stringify(kids));
    const bad = await foreignHrefs(page);
    h.check('every link is the app\u2019s own', bad.length === 0, JSON.stringify(bad));
    await h.shot(page, 'investigate-tree-4688');
  });

  await h.section('page integrity', async () => { h.checkPageIntegrity(); });
});
