// tests/ui/shipped_dashboards_e2e.mjs: the shipped dashboards (web/dashboards/, issue 25) in
// Chromium, on real data. The real server (with kamatama's own rules, so that alerts exist) stores
// every family of ../shared/corpus as a forwarder would send it: a line per record (an XML
// <Event> on one line, Wazuh's .ini "log N pass =" lines). Each shipped dashboard is opened over
// the period its panels' events cover (a fixed range in the URL: the corpus holds logs from 2001
// to today); every panel must draw data (a chart, a table, events, or a number above 0), with
// whole-number ticks on its count axes, an axis title and a legend on time charts. Then a copy of
// one is edited in place: a panel resized and moved by dragging, moved with the keyboard and
// retitled, saved, and the API shows the new layout.
//
// Pictures: with KMT_WRITE_SCREENSHOTS=1 a PNG of every dashboard (light theme) and one in the dark
// theme are written to docs/img/ (so CI never changes the tree); they are always written to --out.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { harness, sleep } from './lib.mjs';

const h = harness('shipped_dashboards_e2e');
const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, '../..');
const CORPUS = path.resolve(REPO, '../shared/corpus');
const DOCS_IMG = path.join(REPO, 'docs', 'img');
const WRITE_DOCS = process.env.KMT_WRITE_SCREENSHOTS === '1';
const VIEWPORT = { width: 1280, height: 1040 };

// The records of one corpus file, one per line, as a forwarder sends them.
function records(file) {
  const text = fs.readFileSync(file, 'utf8');
  if (file.endsWith('.xml')) return [...text.matchAll(/<Event[\s>][\s\S]*?<\/Event>/g)].map((m) => m[0].replace(/\r?\n\s*/g, ' '));
  const lines = text.split(/\r?\n/).filter((l) => l.trim());
  if (file.endsWith('.ini')) return lines.map((l) => /^log \d+ (?:pass|fail) = (.*)$/.exec(l)?.[1]).filter(Boolean);
  return lines;
}

// The log files of the corpus (not the peers' expected outputs, CSV tables or notes).
function corpusFiles(dir) {
  const out = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...corpusFiles(p));
    else if (/(\.log|_input\.txt|secure-rhel7\.txt|\.xml|\.ini|\.json)$/.test(e.name) && !/_expected\.json$/.test(e.name)) out.push(p);
  }
  return out.sort();
}

// The filter of a panel's query (what comes before its first pipe).
const filterOf = (q) => q.split('|')[0].trim() || '*';

// The days holding events of every panel of a dashboard: [first day, last day + 1) over all time.
async function periodOf(board) {
  let lo = Infinity, hi = -Infinity;
  for (const p of board.panels) {
    const q = `${filterOf(p.query)} | timechart span=1d count()`;
    const r = await h.api(`/api/v1/search?${new URLSearchParams({ q, from: '2000-01-01T00:00:00Z', to: 'now' })}`);
    for (const [t] of r.body?.rows || []) {
      lo = Math.min(lo, Date.parse(t));
      hi = Math.max(hi, Date.parse(t) + 86400e3);
    }
  }
  return { from: new Date(lo).toISOString(), to: new Date(hi).toISOString() };
}

async function panelsDone(page) {
  await page.waitForSelector('#dash-grid .dash-panel');
  await page.waitForFunction(() => !document.querySelector('.dash-panel.loading'), null, { timeout: 30000 });
}

// What each panel of the open dashboard shows.
function describePanels(page) {
  return page.$$eval('#dash-grid .dash-panel', (panels) => panels.map((p) => {
    const axes = [...p.querySelectorAll('svg.lines, svg.stacked')].flatMap((s) => [...s.querySelectorAll('text.axis:not(.title)')]
      .filter((t) => t.getAttribute('text-anchor') === 'end' && Number(t.getAttribute('x')) < 60).map((t) => t.textContent));
    return {
      title: p.querySelector('header')?.textContent || '',
      state: ['drawn', 'failed', 'empty'].find((c) => p.classList.contains(c)) || 'none',
      error: p.querySelector('.error')?.textContent || '',
      number: p.querySelector('.dash-number')?.textContent ?? null,
      marks: p.querySelectorAll('rect.bar, rect.stack, polyline.line, table tbody tr').length,
      yTicks: axes,
      yTitle: p.querySelector('svg.lines text.axis.title, svg.stacked text.axis.title')?.textContent || '',
      legend: p.querySelectorAll('.legend-item').length,
      timechart: p.classList.contains('type-timechart'),
      overflowing: p.querySelector('.dash-chart') ? p.querySelector('.dash-chart').scrollHeight > p.querySelector('.dash-chart').clientHeight + 2 : false,
    };
  }));
}

async function shoot(page, name) {
  await h.shot(page, name);
  if (WRITE_DOCS) await page.screenshot({ path: path.join(DOCS_IMG, `${name}.png`) });
}

async function setTheme(page, theme) {
  await page.evaluate((t) => localStorage.setItem('kamatama.theme', t), theme);
}

await h.run(async () => {
  if (!fs.existsSync(CORPUS)) throw new Error(`the corpus is not beside the checkout (${CORPUS})`);
  await h.startServer({
    config: `detection:\n  rules: [${JSON.stringify(path.join(REPO, 'rules', 'kamatama'))}]\n  placeholders:\n    kmt_dhcp_servers: [10.0.0.2]\n`,
  });
  const families = fs.readdirSync(CORPUS, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).sort();

  await h.section('the corpus is stored, family by family', async () => {
    for (const fam of families) {
      const lines = corpusFiles(path.join(CORPUS, fam)).flatMap(records);
      const r = await h.ingest(lines);
      h.check(`${fam}: ${lines.length} records stored`, r.accepted === lines.length, JSON.stringify(r).slice(0, 300));
    }
    // Alerts are raised as the events arrive and stored a moment later.
    let alerts = 0;
    for (let i = 0; i < 100 && !alerts; i++) {
      const r = await h.api(`/api/v1/search?${new URLSearchParams({ q: 'event.dataset:kamatama.alert | stats count()', from: '2000-01-01T00:00:00Z', to: 'now' })}`);
      alerts = r.body?.rows?.[0]?.[0] || 0;
      if (!alerts) await sleep(100);
    }
    h.check('kamatama\'s rules raised alerts on it', alerts > 0, alerts);
  });

  const list = (await h.api('/api/v1/dashboards')).body?.items || [];
  const shipped = list.filter((d) => d.builtin);
  const { page } = await h.browser();
  await page.setViewportSize(VIEWPORT);
  await h.login(page);
  if (WRITE_DOCS) fs.mkdirSync(DOCS_IMG, { recursive: true });

  await h.section('the shipped dashboards are listed', async () => {
    h.check('nine or more, one per family', shipped.length >= 9, shipped.map((d) => d.id).join(', '));
    await setTheme(page, 'light');
    await page.goto(`${h.base}/?view=dashboards`);
    await page.waitForSelector('#dash-table');
    const text = await page.textContent('#dash-table');
    h.check('each by its title, as built-in', shipped.every((d) => text.includes(d.title)) && text.includes('built-in'), text.slice(0, 400));
  });

  for (const d of shipped) {
    await h.section(`${d.id}: every panel draws data`, async () => {
      const period = await periodOf(d);
      await page.goto(`${h.base}/?view=dashboards&id=${d.id}&from=${period.from}&to=${period.to}`);
      await panelsDone(page);
      const panels = await describePanels(page);
      h.check(`${d.panels.length} panels`, panels.length === d.panels.length, panels.length);
      for (const p of panels) {
        const data = p.number !== null ? Number(p.number.replace(/[^\d]/g, '')) > 0 : p.marks > 0;
        h.check(`"${p.title}" drew data`, p.state === 'drawn' && !p.error && data, JSON.stringify(p));
        if (p.timechart) {
          h.check(`"${p.title}": whole-number ticks`, p.yTicks.length >= 2 && p.yTicks.every((t) => /^\d+$|^\d+(\.\d)?[kMG]$/.test(t)), p.yTicks.join(' '));
          h.check(`"${p.title}": an axis title and a legend`, p.yTitle.length > 0 && p.legend > 0, `${p.yTitle} / ${p.legend}`);
        }
        h.check(`"${p.title}" fits its panel`, !p.overflowing || p.marks > 8, JSON.stringify(p));
      }
      h.check('Edit is not offered, Copy is', (await page.isHidden('#dash-edit')) && (await page.isVisible('#dash-copy')), 'buttons');
      await shoot(page, `dashboard-${d.id.replace(/^shipped-/, '')}`);
    });
  }

  await h.section('one in the dark theme', async () => {
    await setTheme(page, 'dark');
    const d = shipped.find((x) => x.id === 'shipped-firewall') || shipped[0];
    const period = await periodOf(d);
    await page.goto(`${h.base}/?view=dashboards&id=${d.id}&from=${period.from}&to=${period.to}`);
    await panelsDone(page);
    const panels = await describePanels(page);
    h.check('every panel drawn', panels.every((p) => p.state === 'drawn'), JSON.stringify(panels.filter((p) => p.state !== 'drawn')));
    const [fg, bg] = await page.evaluate(() => {
      const t = document.querySelector('.dash-panel svg text.label, .dash-panel svg text.axis');
      return [getComputedStyle(t).fill, getComputedStyle(document.querySelector('.dash-panel')).backgroundColor];
    });
    h.check('labels are light on a dark panel', fg !== bg && /rgb\((1[5-9]\d|2\d\d)/.test(fg), `${fg} on ${bg}`);
    await shoot(page, 'dashboard-firewall-dark');
    await setTheme(page, 'light');
  });

  await h.section('a copy is edited: resized and moved by dragging, moved by keyboard, retitled', async () => {
    await page.goto(`${h.base}/?view=dashboards&id=shipped-firewall`);
    await page.waitForSelector('#dash-copy');
    await page.click('#dash-copy');
    await page.waitForSelector('#dash-layout .dash-layout-box');
    const copyId = new URL(page.url()).searchParams.get('id');
    h.check('the copy is a dashboard of its own', /^[0-9a-f]{16}$/.test(copyId || ''), page.url());
    const box = (i) => page.locator(`#dash-layout .dash-layout-box[data-index="${i}"]`);
    const cell = await page.evaluate(() => {
      const g = document.getElementById('dash-layout');
      const cs = getComputedStyle(g);
      const gap = parseFloat(cs.columnGap);
      return { w: (g.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight) - gap * 11) / 12 + gap, h: parseFloat(cs.gridAutoRows) + parseFloat(cs.rowGap) };
    });
    // Panel 0 (8 wide, 4 high): its corner dragged 4 columns left and 2 rows down.
    const corner = await box(0).locator('.dl-resize').boundingBox();
    await page.mouse.move(corner.x + 5, corner.y + 5);
    await page.mouse.down();
    await page.mouse.move(corner.x + 5 - 2 * cell.w, corner.y + 5 + cell.h, { steps: 4 });
    await page.mouse.move(corner.x + 5 - 4 * cell.w, corner.y + 5 + 2 * cell.h, { steps: 4 });
    await page.mouse.up();
    // Panel 6 (the event list at the bottom): dragged by its title bar to the top.
    const grip = await box(6).locator('.dl-handle').boundingBox();
    await page.mouse.move(grip.x + 3, grip.y + 3);
    await page.mouse.down();
    await page.mouse.move(grip.x + 3, grip.y + 3 - 6 * cell.h, { steps: 5 });
    await page.mouse.move(grip.x + 3, grip.y + 3 - 30 * cell.h, { steps: 5 });
    await page.mouse.up();
    // Panel 1 moved one column left with the keyboard, then retitled in place.
    await box(1).focus();
    await page.keyboard.press('ArrowLeft');
    await box(1).locator('.dl-title').fill('Denies (number)');
    h.check('the form follows the title', (await page.inputValue('.dash-panel-edit[data-index="1"] .pe-title')) === 'Denies (number)', 'form');
    await h.shot(page, 'edit-layout');
    await page.click('#dash-save');
    await page.waitForSelector('#dash-grid');
    const saved = (await h.api(`/api/v1/dashboards/${copyId}`)).body;
    const [p0, p1] = saved.panels;
    const p6 = saved.panels[6];
    h.check('panel 0 is 4 wide and 6 high', p0.w === 4 && p0.h === 6, JSON.stringify(p0));
    h.check('the event list moved to the top row', p6.y === 0, JSON.stringify(p6));
    h.check('panel 1 moved left and was retitled', p1.title === 'Denies (number)' && p1.x === 7, JSON.stringify(p1));
    const overlap = saved.panels.some((a, i) => saved.panels.some((b, j) => i < j && a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h));
    h.check('no two panels overlap', !overlap, JSON.stringify(saved.panels.map((p) => [p.x, p.y, p.w, p.h])));
    await panelsDone(page);
    h.check('the grid shows the new places', (await page.$$eval('#dash-grid .dash-panel', (ps) => ps.map((p) => p.style.gridColumn)))[0] === '1 / span 4', 'grid');
  });

  await h.section('page integrity', async () => h.checkPageIntegrity());
});
