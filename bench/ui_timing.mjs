// bench/ui_timing.mjs: time to first results of a search in the browser (headless Chromium),
// against a running server: from pressing Enter in the query bar to the first result row drawn.
// Usage: node bench/ui_timing.mjs --url http://127.0.0.1:PORT --password PW --query Q [--runs 5]
//        [--range 30d] --node-modules DIR
import { createRequire } from 'node:module';
import path from 'node:path';
import fs from 'node:fs';
import os from 'node:os';

const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) => {
  if (a.startsWith('--')) acc.push([a.slice(2), all[i + 1]]);
  return acc;
}, []));
const require = createRequire(path.join(path.resolve(args['node-modules']), 'x.js'));
const { chromium } = require('playwright-core');
const runs = Number(args.runs || 5);
const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kmt-ui-timing-'));
const browser = await chromium.launchPersistentContext(userDir, {
  executablePath: '/usr/bin/chromium',
  headless: true,
  viewport: { width: 1280, height: 800 },
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
         '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const page = await browser.newPage();
await page.goto(args.url + '/');
await page.waitForSelector('#login-form', { state: 'visible' });
await page.fill('#login-user', 'admin');
await page.fill('#login-password', args.password);
await page.click('#login-submit');
await page.waitForSelector('#q', { state: 'visible' });
if (args.range) await page.selectOption('select', { value: args.range }).catch(() => {});
const times = [];
for (let i = 0; i < runs; i++) {
  // Clear the results, then time Enter -> first row.
  await page.fill('#q', `zz_nothing_${i}_${Date.now()}`);
  await page.press('#q', 'Enter');
  await page.waitForFunction(() => document.querySelectorAll('#events tbody tr').length === 0 ||
    /No events|0 matched/.test(document.body.textContent), null, { timeout: 60000 }).catch(() => {});
  // Let the previous search's histogram and field summary finish: they would compete with the
  // timed search for the server's cores.
  await page.waitForFunction(() => document.querySelector('.busy') === null, null, { timeout: 60000 }).catch(() => {});
  await page.fill('#q', args.query);
  const t0 = Date.now();
  await page.press('#q', 'Enter');
  await page.waitForFunction(() => document.querySelectorAll('#events tbody tr td').length > 0, null, { timeout: 60000 });
  times.push(Date.now() - t0);
}
await browser.close();
fs.rmSync(userDir, { recursive: true, force: true });
times.sort((a, b) => a - b);
console.log(JSON.stringify({ query: args.query, runs, ms: times, median_ms: times[Math.floor(times.length / 2)] }));
