// bench/ui_timing.mjs: the web UI's speed in headless Chromium, against a running server.
//   search mode: from pressing Enter in the query bar to the first result row drawn.
//   dashboard mode (--dashboard ID): from navigation to every panel of the dashboard drawn (issue
//     25), the dashboard opened at a fixed period (--from, --to) each run; also when each panel
//     was drawn and how many of its /api/v1/search requests were in flight at once.
// Usage: node bench/ui_timing.mjs --url http://127.0.0.1:PORT --password PW --node-modules DIR
//        [--chromium PATH] [--runs 5] (--query Q [--range 30d] | --dashboard ID --from T --to T)
// Prints one JSON object: the runs' times in ms and their median.
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
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kmt-ui-timing-'));
const browser = await chromium.launchPersistentContext(userDir, {
  executablePath: args.chromium || '/usr/bin/chromium',
  headless: true,
  viewport: { width: 1280, height: 1040 },
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

async function searchRuns() {
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
  return { query: args.query, runs, ms: times, median_ms: median(times) };
}

// One dashboard load: navigation to the last panel drawn, in the page's own clock (performance.now()
// counts from the navigation's start); each panel's drawn time; the most searches in flight at once.
async function dashboardRun(url) {
  let inFlight = 0, most = 0;
  const isSearch = (r) => r.url().includes('/api/v1/search?');
  const start = (r) => { if (isSearch(r)) most = Math.max(most, ++inFlight); };
  const end = (r) => { if (isSearch(r)) inFlight--; };
  page.on('request', start);
  page.on('requestfinished', end);
  page.on('requestfailed', end);
  await page.goto(url);
  const handle = await page.waitForFunction(() => {
    const panels = [...document.querySelectorAll('#dash-grid .dash-panel')];
    if (!panels.length || panels.some((p) => p.classList.contains('loading'))) return null;
    return { total: performance.now(), panels: panels.map((p) => ({ title: p.querySelector('header')?.textContent || '',
      state: ['drawn', 'failed', 'empty'].find((c) => p.classList.contains(c)) || 'none', ms: Number(p.dataset.drawnMs || 0) })) };
  }, null, { timeout: 120000, polling: 'raf' });
  const r = await handle.jsonValue();
  page.off('request', start);
  page.off('requestfinished', end);
  page.off('requestfailed', end);
  return { ...r, most };
}

async function dashboardRuns() {
  const url = `${args.url}/?view=dashboards&id=${encodeURIComponent(args.dashboard)}&from=${encodeURIComponent(args.from)}&to=${encodeURIComponent(args.to)}`;
  const all = [];
  for (let i = 0; i < runs; i++) all.push(await dashboardRun(url));
  const last = all[all.length - 1];
  return {
    dashboard: args.dashboard, from: args.from, to: args.to, runs, panels: last.panels.length,
    ms: all.map((r) => Math.round(r.total)), median_ms: Math.round(median(all.map((r) => r.total))),
    panels_not_drawn: last.panels.filter((p) => p.state !== 'drawn').map((p) => `${p.title}: ${p.state}`),
    // When each panel of the last run was drawn (ms from navigation): each as its answer came.
    panel_drawn_ms_last_run: last.panels.map((p) => [p.title, p.ms]),
    max_parallel_searches: Math.max(...all.map((r) => r.most)),
  };
}

const result = args.dashboard ? await dashboardRuns() : await searchRuns();
await browser.close();
fs.rmSync(userDir, { recursive: true, force: true });
console.log(JSON.stringify(result));
