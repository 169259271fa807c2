// tests/ui/alerts_e2e.mjs: alerts and hunts in Chromium (issue 20). The real server with two
// SigmaHQ rules (copied at test time from ../shared/sigma, never vendored), the regression events
// that fire them posted; then, in the browser: search event.dataset:kamatama.alert, open the
// alert, follow its link to the event that raised it; and on the Hunt page, paste a rule the
// server does not run, hunt over the last 400 days, see its count and reach the matching event.
// The expected rules, hosts and command lines come from the regression data, not from the UI.
import fs from 'node:fs';
import path from 'node:path';
import { harness } from './lib.mjs';

const h = harness('alerts_e2e');
const REPO = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');
const SIGMA = path.join(REPO, '..', 'shared', 'sigma');
const BITSADMIN = 'rules/windows/process_creation/proc_creation_win_bitsadmin_download';
const AMSI = 'rules/windows/process_creation/proc_creation_win_amsi_registry_tampering';

// The regression case's JSON event on one line (pretty-printed JSON has no raw newline in strings).
function regressionLine(rule) {
  const dir = path.join(SIGMA, 'regression_data', rule);
  const file = fs.readdirSync(dir).find((f) => f.endsWith('.json'));
  return fs.readFileSync(path.join(dir, file), 'utf8').replace(/[\r\n]/g, ' ');
}
const ruleField = (yaml, key) => (new RegExp(`^${key}: (.*)$`, 'm').exec(yaml) || [])[1] || '';

await h.run(async () => {
  if (!fs.existsSync(SIGMA)) {
    h.check('the SigmaHQ snapshot is beside the checkout (../shared/sigma)', false, SIGMA);
    return;
  }
  const rules = path.join(h.tmp, 'rules');
  fs.mkdirSync(rules);
  fs.copyFileSync(path.join(SIGMA, BITSADMIN + '.yml'), path.join(rules, 'bitsadmin.yml'));
  const bitsYaml = fs.readFileSync(path.join(SIGMA, BITSADMIN + '.yml'), 'utf8');
  const amsiYaml = fs.readFileSync(path.join(SIGMA, AMSI + '.yml'), 'utf8');
  await h.startServer({ config: `detection:\n  rules: [${JSON.stringify(rules)}]\n` });
  await h.ingest([regressionLine(BITSADMIN), regressionLine(AMSI)]);
  const { page } = await h.browser();

  await h.section('login', async () => {
    await page.goto(h.base + '/');
    await page.fill('#login-user', 'admin');
    await page.fill('#login-password', h.ADMIN_PW);
    await page.click('#login-submit');
    await page.waitForSelector('#q', { state: 'visible' });
    h.check('logged in', await page.isVisible('#q'), 'no query bar');
  });

  await h.section('an alert leads to its event', async () => {
    await h.runQuery(page, 'event.dataset:kamatama.alert', { range: '24h' });
    const rows = page.locator('#results tr.ev');
    h.check('one alert found (the server runs only the bitsadmin rule)', (await rows.count()) === 1, await rows.count());
    await rows.first().click();
    await page.waitForSelector('#detail-fields', { state: 'visible' });
    const fields = await page.textContent('#detail-fields');
    h.check('the alert names its rule', fields.includes(ruleField(bitsYaml, 'title')), fields.slice(0, 300));
    h.check('the alert names the rule author (DRL)', fields.includes(ruleField(bitsYaml, 'author')), fields.slice(0, 300));
    h.check('the alert names the host', fields.includes('swachchhanda'), fields.slice(0, 300));
    await h.shot(page, 'alert-detail');
    const link = page.locator('#detail-matched');
    h.check('the alert has a link to its event', (await link.count()) === 1, 'no #detail-matched');
    const resp = page.waitForResponse((r) => r.url().includes('/api/v1/search?'), { timeout: 15000 });
    await link.click();
    await resp;
    await h.idle(page);
    const url = new URL(page.url());
    h.check('the link searches the event\'s time, not the alert\'s', (url.searchParams.get('from') || '').startsWith('2025-12-10T04:33:20'), page.url());
    const found = page.locator('#results tr.ev');
    h.check('exactly the raising event is shown', (await found.count()) === 1, await found.count());
    await found.first().click();
    await page.waitForSelector('#detail-original', { state: 'visible' });
    const original = await page.textContent('#detail-original');
    h.check('it is the bitsadmin download, not the alert', original.includes('/transfer n https://www.atomicredteam.io') && !original.includes('kamatama.alert'), original.slice(0, 300));
    await h.shot(page, 'alert-matched-event');
  });

  await h.section('hunt pasted YAML over the last 400 days', async () => {
    await page.click('#nav-hunt');
    await page.waitForSelector('#hunt-yaml', { state: 'visible' });
    await page.fill('#hunt-yaml', amsiYaml);
    await page.fill('#hunt-days', '400');
    await page.click('#hunt-run');
    await page.waitForSelector('#hunt-done', { timeout: 30000 });
    const table = await page.textContent('#hunt-count-table');
    h.check('the count per rule names the pasted rule', table.includes(ruleField(amsiYaml, 'title')), table);
    const events = page.locator('#hunt-events tr.hunt-match');
    h.check('one matching event (the AMSI case)', (await events.count()) === 1, await events.count());
    h.check('the status says 1 match', /^1 matches/.test(await page.textContent('#hunt-done')), await page.textContent('#hunt-done'));
    await h.shot(page, 'hunt-result');
    const resp = page.waitForResponse((r) => r.url().includes('/api/v1/search?'), { timeout: 15000 });
    await events.first().locator('a.hunt-event').click();
    await resp;
    await h.idle(page);
    const found = page.locator('#results tr.ev');
    h.check('the match opens the event in Search', (await found.count()) === 1, await found.count());

    // A rule that does not load: the reason, not a stack trace.
    await page.click('#nav-hunt');
    await page.fill('#hunt-yaml', 'title: broken\ndetection: [unclosed\n');
    await page.click('#hunt-run');
    await page.waitForSelector('#hunt-error', { timeout: 15000 });
    const err = await page.textContent('#hunt-error');
    h.check('a broken rule shows why', /invalid/i.test(err), err);
  });

  await h.section('page integrity', async () => { h.checkPageIntegrity(); });
});
