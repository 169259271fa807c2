// tests/ui/intel_e2e.mjs: the Threat intel page (issue 28) in headless Chromium against the real
// server. Events are ingested first; an admin uploads a CSV list through the page's form (a
// real file input) and sees the hunt's hits for the indicators the stored events hold, with
// their counts, and the live alert after a matching event arrives. A hostile indicator
// description from the file is shown as text, never run.
import fs from 'node:fs';
import path from 'node:path';
import { harness, iso } from './lib.mjs';

const h = harness('intel_e2e');

await h.run(async () => {
  await h.startServer({ config: 'intel:\n  alert_dedup: 0s\n' });
  const now = Date.now();
  // Three events from 203.0.113.50, one DNS query under evil.example, and noise.
  const ev = (t, fields) => JSON.stringify({ '@timestamp': iso(t), host: { name: 'fw1' }, message: 'e', ...fields });
  await h.ingest([
    ev(now - 3600e3, { source: { ip: '203.0.113.50' } }),
    ev(now - 1800e3, { source: { ip: '203.0.113.50' } }),
    ev(now - 600e3, { destination: { ip: '203.0.113.50' } }),
    ev(now - 300e3, { dns: { question: { name: 'cdn.evil.example' } } }),
    ev(now - 200e3, { source: { ip: '198.51.100.1' } }),
  ]);
  const csv = path.join(h.tmp, 'bulletin.csv');
  fs.writeFileSync(csv, 'value,type,source,description\n203.0.113.50,ip,CERT-UI,scanner\nevil.example,domain,CERT-UI,"<img src=x onerror=alert(1)>"\n192.0.2.99,ip,CERT-UI,never seen\n');

  const { page } = await h.browser();
  await h.section('sign in and open the page', async () => {
    await page.goto(h.base + '/?view=lists');
    await page.fill('#login-user', 'admin');
    await page.fill('#login-password', h.ADMIN_PW);
    await page.press('#login-password', 'Enter');
    await page.waitForSelector('#lists-table', { timeout: 15000 });
    h.check('the Threat intel tab is active', await page.isVisible('#nav-lists.active'));
    h.check('the upload form is shown to an admin', await page.isVisible('#list-form'));
  });

  await h.section('upload a list and see its hunt hits', async () => {
    await page.fill('#list-name', 'cert-ui');
    await page.selectOption('#list-type', 'text/csv');
    await page.setInputFiles('#list-file', csv);
    await page.click('#list-upload');
    await page.waitForSelector('#upload-result', { timeout: 30000 });
    const result = await page.textContent('#upload-result');
    h.check('the upload reports 3 accepted', /3 accepted/.test(result), result);
    await page.waitForSelector('#hunt-hits tbody tr', { timeout: 15000 });
    const rows = await page.$$eval('#hunt-hits tbody tr', (trs) => trs.map((tr) => [...tr.cells].map((c) => c.textContent)));
    const byValue = Object.fromEntries(rows.map((r) => [r[0], r]));
    h.check('two indicators were seen in the history', rows.length === 2, JSON.stringify(rows));
    h.check('203.0.113.50 in 3 events', byValue['203.0.113.50'] && byValue['203.0.113.50'][3] === '3', JSON.stringify(rows));
    h.check('evil.example in 1 event (a name under it)', byValue['evil.example'] && byValue['evil.example'][3] === '1', JSON.stringify(rows));
    h.check('the source is shown', byValue['203.0.113.50'] && byValue['203.0.113.50'][2] === 'CERT-UI', JSON.stringify(rows));
    const listRow = await page.$$eval('#lists tbody tr', (trs) => trs.map((tr) => [...tr.cells].map((c) => c.textContent)));
    h.check('the list is in the table with its size and version', listRow.some((r) => r[0] === 'cert-ui' && r[1] === '1' && r[2] === '3'), JSON.stringify(listRow));
    await h.shot(page, 'intel-upload');
  });

  await h.section('a live hit appears under the list', async () => {
    await h.ingest([ev(Date.now(), { source: { ip: '203.0.113.50' } })]);
    await page.click('#lists tbody tr[data-list="cert-ui"] .list-hits');
    await page.waitForSelector('#live-hits tbody tr', { timeout: 15000 });
    const live = await page.$$eval('#live-hits tbody tr', (trs) => trs.map((tr) => [...tr.cells].map((c) => c.textContent)));
    h.check('one live alert for 203.0.113.50', live.length === 1 && live[0][0] === '203.0.113.50' && live[0][1] === '1', JSON.stringify(live));
    await h.shot(page, 'intel-hits');
  });

  await h.section('a refused upload says why', async () => {
    const bad = path.join(h.tmp, 'bad.txt');
    fs.writeFileSync(bad, '192.0.2.1\n0.0.0.0/0\n');
    await page.fill('#list-name', 'zero');
    await page.selectOption('#list-type', 'text/plain');
    await page.setInputFiles('#list-file', bad);
    await page.click('#list-upload');
    await page.waitForSelector('#upload-error', { timeout: 15000 });
    const text = await page.textContent('#upload-error');
    h.check('the error names the line and the /0 network', /line 2/.test(text) && /\/0 network/.test(text), text);
  });

  h.checkPageIntegrity();
});
