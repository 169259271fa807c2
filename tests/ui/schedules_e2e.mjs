// tests/ui/schedules_e2e.mjs: the Schedules page in Chromium (issue 25). The real server stores
// the events this test sends (3 with kmt.word "sched"); a saved search with a hostile name is
// made over the API. In the browser: a schedule made from that saved search with the form (an
// alert when more than 1 result, every hour), listed with its saved search's name as text; Run
// now; the history shows the run's outcome "alert" and the 3 results, and the API has the alert
// under the schedule's rule id; Disable turns it off (checked through the API). Expectations
// come from what the test sent and from the API, not from the UI.
import { harness, iso } from './lib.mjs';

const h = harness('schedules_e2e');
const EVIL_NAME = '<img src=x onerror="window.__pwned=1">sched';

await h.run(async () => {
  await h.startServer({ config: 'schedules:\n  min_interval: 1s\n  lag: 200ms\n' });
  const now = Date.now();
  await h.ingest([0, 1, 2].map((i) => JSON.stringify({ '@timestamp': iso(now - (i + 1) * 1000), 'event.dataset': 'kmt.sched',
    'host.name': `pc-${i}`, 'kmt.word': 'sched', message: `scheduled ${i}` })));
  const saved = await h.api('/api/v1/saved-searches', { method: 'POST', body: { name: EVIL_NAME, query: 'kmt.word:sched', shared: true } });
  h.check('a saved search is made', saved.status === 201, saved.text);
  const { page } = await h.browser();
  await h.login(page);
  let id = '';

  await h.section('a schedule made with the form', async () => {
    await page.goto(`${h.base}/?view=schedules`);
    await page.waitForSelector('#sched-new');
    await page.click('#sched-new');
    await page.fill('#sched-name', 'more than one');
    await page.selectOption('#sched-search', saved.body.id);
    await page.fill('#sched-when-value', '1h');
    await page.selectOption('#sched-action', 'alert');
    await page.fill('#sched-threshold', '1');
    await page.selectOption('#sched-level', 'high');
    await page.click('#sched-create');
    await page.waitForSelector('#sched-table tbody tr');
    const list = (await h.api('/api/v1/schedules')).body;
    const s = list.items.find((x) => x.name === 'more than one');
    id = s?.id || '';
    h.check('the API has it as the form said', s && s.saved_search === saved.body.id && s.every === '1h' && s.action === 'alert' &&
      s.threshold === 1 && s.level === 'high' && s.enabled === true, JSON.stringify(list));
    const row = await page.textContent(`#sched-table tr[data-id="${id}"]`);
    h.check('the row names the saved search as text and the schedule', row.includes(EVIL_NAME) && row.includes('every 1h') &&
      row.includes('more than 1'), row);
  });

  await h.section('run now and its history', async () => {
    await page.click(`#sched-table tr[data-id="${id}"] button[data-action="run"]`);
    await page.waitForFunction(() => [...document.querySelectorAll('#sched-runs tbody tr')].some((r) => r.textContent.includes('alert')),
      null, { timeout: 30000 });
    const cells = await page.$$eval('#sched-runs tbody tr:first-child td', (tds) => tds.map((t) => t.textContent));
    h.check('the run: manual, alert, 3 results', cells[2] === 'manual' && cells[3] === 'alert' && cells[4] === '3', JSON.stringify(cells));
    const alerts = (await h.api(`/api/v1/alerts?rule=schedule-${id}`)).text;
    h.check('the alert is on the Alerts API with the schedule\'s rule id and level', alerts.includes(`schedule-${id}`) && alerts.includes('"high"'), alerts);
    await h.shot(page, 'schedules');
  });

  await h.section('disable', async () => {
    await page.click(`#sched-table tr[data-id="${id}"] button[data-action="toggle"]`);
    await page.waitForFunction((sid) => document.querySelector(`#sched-table tr[data-id="${sid}"]`)?.textContent.includes('Enable'), id);
    const s = (await h.api(`/api/v1/schedules/${id}`)).body;
    h.check('the API has it off', s.enabled === false, JSON.stringify(s));
    h.check('window.__pwned was never set', (await page.evaluate(() => window.__pwned)) === undefined, 'set');
  });

  await h.section('page integrity', async () => { h.checkPageIntegrity(); });
});
