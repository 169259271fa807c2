// tests/ui/investigate_e2e.mjs: the investigation pages in Chromium (issue 22). The real Windows
// events of ../shared/attack/empire_launcher_vbs (NXLog JSON from WORKSTATION5: explorer.exe ->
// wscript.exe launcher.vbs -> powershell.exe -enc -> 10.10.10.5:80) plus DHCP, DNS, proxy and
// firewall lines written here for WORKSTATION5 (172.18.39.5), with the same address leased later
// to LAPTOP7. From a search for 10.10.10.5 the analyst reaches the PC, the user and the process
// chain with the decoded command in three clicks (the event, its destination, the process tree).
// Screenshots of the entity page and the tree go to --out (copied to docs/img by hand).
import fs from 'node:fs';
import path from 'node:path';
import { harness } from './lib.mjs';

const h = harness('investigate_e2e');
const here = path.dirname(new URL(import.meta.url).pathname);
const EMPIRE = path.join(here, '..', '..', '..', 'shared', 'attack', 'empire_launcher_vbs', 'empire_launcher_vbs_2020-09-04160940.json');

const lines = [
  // DHCP (dnsmasq): WORKSTATION5 holds 172.18.39.5 during the attack, releases it; LAPTOP7 gets it later.
  '<30>1 2020-09-04T08:00:00Z dhcp01 dnsmasq-dhcp 812 - - DHCPACK(eth0) 172.18.39.5 00:15:5d:0a:27:05 WORKSTATION5',
  '<30>1 2020-09-05T10:00:00Z dhcp01 dnsmasq-dhcp 812 - - DHCPRELEASE(eth0) 172.18.39.5 00:15:5d:0a:27:05 WORKSTATION5',
  '<30>1 2020-09-07T09:00:00Z dhcp01 dnsmasq-dhcp 812 - - DHCPACK(eth0) 172.18.39.5 00:15:5d:0a:27:99 LAPTOP7',
  '<30>1 2020-09-07T09:05:00Z fw01 kernel - - - [99.1] FWD-ACCEPT IN=eth1 OUT=eth0 SRC=172.18.39.5 DST=192.0.2.80 LEN=52 TTL=127 PROTO=TCP SPT=51000 DPT=443 SYN',
  // DNS server, proxy and firewall around the stager's connection.
  '<30>1 2020-09-04T20:09:58Z dns01 dnsmasq 900 - - query[A] news.example.org from 172.18.39.5',
  '<30>1 2020-09-04T20:09:58Z dns01 dnsmasq 900 - - reply news.example.org is 10.10.10.5',
  '<30>1 2020-09-04T20:09:59Z proxy01 squid 77 - - 1599250199.700    120 172.18.39.5 TCP_MISS/200 4120 GET http://10.10.10.5/news.php - HIER_DIRECT/10.10.10.5 text/html',
  '<4>1 2020-09-04T20:09:59Z fw01 kernel - - - [12345.678] FWD-ACCEPT IN=eth1 OUT=eth0 SRC=172.18.39.5 DST=10.10.10.5 LEN=52 TTL=127 PROTO=TCP SPT=50699 DPT=80 SYN',
];

await h.run(async () => {
  if (!fs.existsSync(EMPIRE)) { h.check('../shared/attack is beside the checkout', false, EMPIRE); return; }
  await h.startServer();
  const empire = fs.readFileSync(EMPIRE, 'utf8').split('\n').filter((l) => l.trim());
  await h.ingest(empire);
  await h.ingest(lines);
  const { page } = await h.browser();
  let clicks = 0;

  await h.section('login and search for 10.10.10.5', async () => {
    await page.goto(h.base + '/?q=destination.ip%3A10.10.10.5&from=2020-09-04T00%3A00%3A00Z&to=2020-09-06T00%3A00%3A00Z');
    await page.waitForSelector('#login-form', { state: 'visible' });
    await page.fill('#login-user', 'admin');
    await page.fill('#login-password', h.ADMIN_PW);
    await page.click('#login-submit');
    await page.waitForSelector('#q', { state: 'visible' });
    await h.idle(page);
    await page.waitForSelector('#results tr.ev', { timeout: 15000 });
    const rows = await page.locator('#results tr.ev').count();
    h.check('the search finds the connection from every source', rows >= 4, rows);
  });

  await h.section('click 1: the Sysmon connection event', async () => {
    const row = page.locator('#results tr.ev', { hasText: 'powershell.exe' }).first();
    await row.click();
    clicks++;
    await page.waitForSelector('#detail-fields', { state: 'visible' });
    const link = page.locator('#detail-fields tr[data-field="destination.ip"] a.entity-link');
    h.check('destination.ip links to its entity page', (await link.count()) === 1, await link.count());
    const note = page.locator('#detail-fields tr[data-field="source.ip"] .owner-note');
    await note.filter({ hasText: 'WORKSTATION5' }).waitFor({ timeout: 10000 }).catch(() => {});
    h.check('the internal source address says whose it was then', /WORKSTATION5 at that time/.test(await note.textContent()), await note.textContent());
  });

  await h.section('click 2: the entity page of 10.10.10.5', async () => {
    await page.click('#detail-fields tr[data-field="destination.ip"] a.entity-link');
    clicks++;
    await page.waitForSelector('#entity-timeline li', { timeout: 15000 });
    const hosts = await page.textContent('#entity-related [data-relation="hosts"]');
    h.check('the PC: WORKSTATION5', /WORKSTATION5\.theshire\.local/.test(hosts), hosts);
    const users = await page.textContent('#entity-related [data-relation="users"]');
    h.check('the user: pgustavo', /pgustavo/.test(users), users);
    const sources = page.locator('#entity-related [data-relation="sources"] .owner-note');
    await sources.filter({ hasText: 'WORKSTATION5' }).first().waitFor({ timeout: 10000 }).catch(() => {});
    h.check('its source 172.18.39.5 was WORKSTATION5 at that time (DHCP)', /WORKSTATION5 at that time/.test(await sources.first().textContent()), await sources.first().textContent());
    const domains = await page.textContent('#entity-related [data-relation="domains resolved to it"]').catch(() => '');
    h.check('the domain resolved to it (DNS server answer)', /news\.example\.org/.test(domains), domains);
    const timeline = await page.textContent('#entity-timeline');
    h.check('timeline in sentences', timeline.includes("pgustavo's powershell.exe connected to 10.10.10.5:80 from 172.18.39.5:50699 on WORKSTATION5"), timeline.slice(0, 500));
    h.check('proxy and firewall lines in the timeline', /GET http:\/\/10\.10\.10\.5\/news\.php/.test(timeline) && /firewall\.iptables/.test(timeline), timeline.slice(0, 800));
    await page.locator('#entity-timeline .raw-toggle').first().click();
    h.check('the raw event one click away', /"event.original"/.test(await page.textContent('#entity-timeline pre.raw-event')), 'no raw event');
    await page.locator('#entity-timeline .raw-toggle').first().click();
    await h.shot(page, 'investigate-entity');
  });

  await h.section('click 3: the process tree', async () => {
    const item = page.locator('#entity-timeline li', { hasText: "pgustavo's powershell.exe connected" }).first();
    await item.locator('a.tree-link').click();
    clicks++;
    await page.waitForSelector('.proc-tree li.proc', { timeout: 15000 });
    const chain = await page.evaluate(() => {
      const ps = document.querySelector('.proc-tree li.proc.focus');
      const names = [];
      for (let n = ps; n && n.matches('li.proc'); n = n.parentElement.closest('li.proc')) names.unshift(n.dataset.name);
      return names;
    });
    h.check('explorer -> wscript -> powershell', JSON.stringify(chain) === JSON.stringify(['explorer.exe', 'wscript.exe', 'powershell.exe']), JSON.stringify(chain));
    const decoded = await page.textContent('.proc-tree li.proc.focus > .proc-node pre.decoded-command');
    h.check('the decoded command beside it', decoded.startsWith('If($PSVERSiOnTaBlE.PSVErSIOn.MajOR -gE 3)'), decoded.slice(0, 120));
    const kids = await page.$$eval('.proc-tree li.proc.focus > ul > li.proc', (l) => l.map((n) => n.dataset.name).sort());
    h.check('what it started: conhost, whoami', JSON.stringify(kids) === '["conhost.exe","whoami.exe"]', JSON.stringify(kids));
    const net = await page.textContent('.proc-tree li.proc.focus > .proc-node details[data-kind="network"]');
    h.check('its connection to 10.10.10.5 beside it', /10\.10\.10\.5:80/.test(net), net);
    h.check('reached in at most three clicks', clicks <= 3, clicks);
    await h.shot(page, 'investigate-tree');
  });

  await h.section('the same address leased later to another machine', async () => {
    await page.goto(h.base + '/?view=entity&type=ip&value=172.18.39.5&from=2020-09-07T00%3A00%3A00Z&to=2020-09-08T00%3A00%3A00Z');
    const owner = page.locator('#entity-owner .owner-note');
    await owner.filter({ hasText: 'LAPTOP7' }).waitFor({ timeout: 10000 }).catch(() => {});
    h.check('after the change it is LAPTOP7', /LAPTOP7 at that time/.test(await owner.textContent()), await owner.textContent());
    await page.goto(h.base + '/?view=entity&type=ip&value=172.18.39.5&from=2020-09-04T00%3A00%3A00Z&to=2020-09-05T00%3A00%3A00Z');
    await owner.filter({ hasText: 'WORKSTATION5' }).waitFor({ timeout: 10000 }).catch(() => {});
    h.check('before it, WORKSTATION5', /WORKSTATION5 at that time/.test(await owner.textContent()), await owner.textContent());
  });

  await h.section('page integrity', async () => { h.checkPageIntegrity(); });
});
