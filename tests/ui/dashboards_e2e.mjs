// tests/ui/dashboards_e2e.mjs: saved searches and dashboards in Chromium (issue 25). The real
// server stores firewall denies this test sends (fw-1: 6, fw-2: 4, web-1: 5 of another action).
// In the browser: a search saved from the Search page (shared), found on the Saved page, opened
// by its link, by its permalink and by completion in the search bar ('$' and part of its name);
// a dashboard built from that saved search plus a time chart and a number, whose panels show the
// counts the test sent; the dashboard filter narrowing every panel to one host; a click on the
// number opening the search behind it with the same count; the dashboard exported and imported
// back as a copy; light and dark screenshots; a hostile saved-search name shown as text; and a
// viewer who reads the shared dashboard but is offered neither Save nor Edit. Expectations come
// from what the test sent and from the API, not from the UI.
import fs from 'node:fs';
import path from 'node:path';
import { harness, iso } from './lib.mjs';

const h = harness('dashboards_e2e');
const SAVED_QUERY = 'event.action:deny | stats count() by host.name';
const EVIL_NAME = '<img src=x onerror="window.__pwned=1">evil';

function events() {
  const now = Date.now();
  const lines = [];
  const add = (host, action, n) => {
    for (let i = 0; i < n; i++) {
      lines.push(JSON.stringify({ '@timestamp': iso(now - (lines.length + 1) * 60e3), 'event.dataset': 'firewall.test', 'host.name': host,
        'event.action': action, 'source.ip': `10.0.0.${i + 1}`, message: `${action} from 10.0.0.${i + 1}` }));
    }
  };
  add('fw-1', 'deny', 6);
  add('fw-2', 'deny', 4);
  add('web-1', 'allow', 5);
  return lines;
}

// Waits until every panel of the dashboard has its answer.
async function panelsDrawn(page) {
  await page.waitForSelector('#dash-grid');
  await page.waitForFunction(() => !document.querySelector('.dash-panel.loading'), null, { timeout: 15000 });
}

await h.run(async () => {
  await h.startServer();
  await h.ingest(events());
  const { page } = await h.browser();
  await h.login(page);
  let savedId = '';
  let dashId = '';

  await h.section('a search saved from the Search page', async () => {
    await h.runQuery(page, SAVED_QUERY);
    await page.click('#save-search');
    await page.fill('#save-name', 'Denies by host');
    await page.check('#save-shared');
    await page.click('#save-ok');
    await page.waitForSelector('#save-link');
    const list = (await h.api('/api/v1/saved-searches')).body;
    const s = list.items.find((x) => x.name === 'Denies by host');
    savedId = s?.id || '';
    h.check('the API has it with the query, the range and shared', s && s.query === SAVED_QUERY && s.from === '-24h' && s.to === 'now' && s.shared === true, JSON.stringify(list));
    h.check('the permalink names it', (await page.getAttribute('#save-link', 'href')) === `/?view=saved&id=${savedId}`, await page.getAttribute('#save-link', 'href'));
  });

  await h.section('opened from the Saved page, by permalink and by completion', async () => {
    const made = await h.api('/api/v1/saved-searches', { method: 'POST', body: { name: EVIL_NAME, query: 'message:"<script>"', shared: true } });
    h.check('a hostile name is accepted by the API (it is text)', made.status === 201, made.text);
    await page.click('#nav-saved');
    await page.waitForSelector('#saved-table');
    h.check('both saved searches are listed', (await page.locator('#saved-table tbody tr').count()) === 2, await page.locator('#saved-table tbody tr').count());
    h.check('the hostile name is shown as text', (await page.textContent('#saved-table')).includes(EVIL_NAME), await page.textContent('#saved-table'));
    h.check('no element came from it', (await page.$$eval('.saved-page img, .saved-page script, .saved-page [onerror]', (x) => x.length)) === 0, 'an element');
    await page.click(`#saved-table tr[data-id="${savedId}"] a.saved-open`);
    await page.waitForSelector('#pipe-table');
    await h.idle(page);
    h.check('its link opens the search', (await page.inputValue('#q')) === SAVED_QUERY, await page.inputValue('#q'));
    const rows = await page.$$eval('#pipe-table tbody tr', (trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent)));
    h.check('with the counts the test sent', JSON.stringify(rows.sort()) === JSON.stringify([['fw-1', '6'], ['fw-2', '4']]), JSON.stringify(rows));
    await page.goto(`${h.base}/`);
    await page.waitForSelector('#q');
    await page.goto(`${h.base}/?view=saved&id=${savedId}`);
    await page.waitForSelector('#pipe-table');
    h.check('the permalink opens it', (await page.inputValue('#q')) === SAVED_QUERY && new URL(page.url()).searchParams.get('q') === SAVED_QUERY, page.url());
    await page.fill('#q', '');
    await page.type('#q', '$enies by');
    await page.waitForSelector('#q-suggest:not([hidden]) li');
    h.check('"$" and part of the name lists it', (await page.textContent('#q-suggest')).includes('Denies by host'), await page.textContent('#q-suggest'));
    await page.press('#q', 'ArrowDown');
    await page.press('#q', 'Enter');
    await page.waitForFunction((q) => document.querySelector('#q').value === q, SAVED_QUERY);
    h.check('choosing it opens the saved search', (await page.inputValue('#q')) === SAVED_QUERY, await page.inputValue('#q'));
  });

  await h.section('a column chosen from the field list is saved and comes back', async () => {
    await h.runQuery(page, 'event.action:deny host.name:fw-2');
    await page.click('#sidebar details.field[data-field="source.ip"] .col-toggle');
    await page.waitForSelector('#events th.c-col');
    await h.idle(page);
    h.check('the column is in the URL', new URL(page.url()).searchParams.get('cols') === 'source.ip', page.url());
    const cells = await page.$$eval('#events tbody td.c-col', (tds) => tds.map((td) => td.textContent).sort());
    h.check('it shows each event\'s source.ip', JSON.stringify(cells) === JSON.stringify(['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4']), JSON.stringify(cells));
    await page.click('#save-search');
    await page.fill('#save-name', 'fw-2 denies with source');
    await page.click('#save-ok');
    await page.waitForSelector('#save-link');
    const s = (await h.api('/api/v1/saved-searches')).body.items.find((x) => x.name === 'fw-2 denies with source');
    h.check('the saved search keeps the column', s && JSON.stringify(s.columns) === '["source.ip"]' && s.shared === false, JSON.stringify(s));
    await page.goto(`${h.base}/`);
    await page.waitForSelector('#q');
    await page.goto(`${h.base}/?view=saved&id=${s?.id}`);
    await page.waitForSelector('#events th.c-col');
    h.check('its permalink shows the column again', (await page.textContent('#events th.c-col')) === 'source.ip', await page.textContent('#events thead'));
  });

  await h.section('a dashboard built from the saved search', async () => {
    await page.click('#nav-dashboards');
    await page.click('#dash-new');
    await page.waitForSelector('#dash-editor');
    await page.fill('#dash-edit-title', 'Firewall');
    await page.check('#dash-edit-shared');
    await page.selectOption('#dash-add-saved', savedId);
    await page.click('#dash-add-panel');
    await page.fill('.dash-panel-edit[data-index="1"] .pe-title', 'Denies over time');
    await page.fill('.dash-panel-edit[data-index="1"] .pe-query', 'event.action:deny | timechart span=5m count() by host.name');
    await page.check('.dash-panel-edit[data-index="1"] .pe-stacked');
    await page.click('#dash-add-panel');
    await page.fill('.dash-panel-edit[data-index="2"] .pe-title', 'Denies');
    await page.fill('.dash-panel-edit[data-index="2"] .pe-query', 'event.action:deny');
    await page.selectOption('.dash-panel-edit[data-index="2"] .pe-type', 'number');
    await page.click('#dash-save');
    await panelsDrawn(page);
    dashId = new URL(page.url()).searchParams.get('id') || '';
    const d = (await h.api(`/api/v1/dashboards/${dashId}`)).body;
    h.check('the API has it: three panels, shared', d && d.title === 'Firewall' && d.shared === true && d.panels.length === 3 &&
      d.panels[0].query === SAVED_QUERY && d.panels[0].type === 'bar' && d.panels[1].options?.stacked === true && d.panels[2].type === 'number', JSON.stringify(d));
    h.check('three panels are drawn', (await page.locator('.dash-panel').count()) === 3, await page.locator('.dash-panel').count());
    h.check('the bar panel has a bar per firewall', (await page.locator('.dash-panel[data-index="0"] rect.bar').count()) === 2, await page.locator('.dash-panel[data-index="0"] rect.bar').count());
    // Stacked bars: each segment's tooltip is "host\ntime: count"; together the 10 denies of fw-1 and fw-2.
    const segments = await page.$$eval('.dash-panel[data-index="1"] rect.stack title', (ts) => ts.map((t) => t.textContent));
    const sum = segments.reduce((a, t) => a + Number(t.split(': ').pop()), 0);
    const hosts = [...new Set(segments.map((t) => t.split('\n')[0]))].sort();
    h.check('the stacked time chart holds the 10 denies of both firewalls', sum === 10 && JSON.stringify(hosts) === '["fw-1","fw-2"]', JSON.stringify(segments));
    h.check('with a legend per firewall', (await page.locator('.dash-panel[data-index="1"] .legend-item').count()) === 2, await page.locator('.dash-panel[data-index="1"] .legend-item').count());
    h.check('the number is the 10 denies', (await page.textContent('.dash-panel[data-index="2"] .dash-number')) === '10', await page.textContent('.dash-panel[data-index="2"] .dash-number'));
    await h.shot(page, 'dashboard');
  });

  await h.section('one filter narrows every panel; a click opens the search behind it', async () => {
    await page.fill('#dash-filter', 'host.name:fw-1');
    await page.press('#dash-filter', 'Enter');
    await panelsDrawn(page);
    h.check('the number is fw-1\'s 6', (await page.textContent('.dash-panel[data-index="2"] .dash-number')) === '6', await page.textContent('.dash-panel[data-index="2"] .dash-number'));
    h.check('one bar is left', (await page.locator('.dash-panel[data-index="0"] rect.bar').count()) === 1, await page.locator('.dash-panel[data-index="0"] rect.bar').count());
    await page.click('.dash-panel[data-index="2"] .dash-number');
    await page.waitForSelector('#events');
    await h.idle(page);
    h.check('the search behind the number', (await page.inputValue('#q')) === '(host.name:fw-1) AND (event.action:deny)', await page.inputValue('#q'));
    h.check('matches the same 6 events', (await page.textContent('#matched')) === '6', await page.textContent('#matched'));
    await page.goBack();
    await panelsDrawn(page);
    await page.click('.dash-panel[data-index="0"] rect.bar');
    await page.waitForSelector('#events');
    await h.idle(page);
    h.check('a bar opens its group', (await page.inputValue('#q')) === '(host.name:fw-1) AND (event.action:deny) host.name:fw-1' && (await page.textContent('#matched')) === '6', await page.inputValue('#q'));
    await page.goBack();
    await panelsDrawn(page);
  });

  await h.section('export and import', async () => {
    const href = await page.getAttribute('#dash-export', 'href');
    h.check('the export link is the API export', href === `/api/v1/dashboards/${dashId}/export`, href);
    const exported = await h.api(href);
    h.check('the export is a file with the format marker', exported.status === 200 && exported.body?.format === 'kamatama.dashboard.v1' &&
      /attachment/.test(exported.headers.get('content-disposition') || ''), exported.text);
    const file = path.join(h.tmp, 'dashboard.json');
    fs.writeFileSync(file, exported.text);
    await page.click('#nav-dashboards');
    await page.waitForSelector('#dash-import');
    await page.setInputFiles('#dash-import-file', file);
    await page.waitForFunction((id) => { const u = new URL(location.href); return u.searchParams.get('view') === 'dashboards' && u.searchParams.get('id') && u.searchParams.get('id') !== id; }, dashId);
    await panelsDrawn(page);
    const all = (await h.api('/api/v1/dashboards')).body.items.filter((x) => !x.builtin);  // not the shipped ones
    const copy = all.find((x) => x.id !== dashId);
    h.check('a private copy with the same panels was imported', all.length === 2 && copy.shared === false && copy.title === 'Firewall' && copy.panels.length === 3, JSON.stringify(all));
    h.check('and is drawn', (await page.textContent('.dash-panel[data-index="2"] .dash-number')) === '10', await page.textContent('.dash-panel[data-index="2"] .dash-number'));
  });

  await h.section('light and dark themes', async () => {
    const bg = () => page.evaluate(() => getComputedStyle(document.querySelector('.dash-panel')).backgroundColor);
    const colours = {};
    for (let i = 0; i < 3; i++) {
      const theme = await page.evaluate(() => document.documentElement.getAttribute('data-theme') || 'auto');
      colours[theme] = await bg();
      if (theme !== 'auto') await h.shot(page, `dashboard-${theme}`);
      await page.click('#theme');
    }
    h.check('the panels follow the theme', colours.dark && colours.light && colours.dark !== colours.light, JSON.stringify(colours));
  });

  await h.section('a viewer reads the shared dashboard, without Save or Edit', async () => {
    const made = await h.api('/api/v1/users', { method: 'POST', body: { name: 'viewer1', role: 'viewer', password: 'viewer1-password' } });
    h.check('a viewer is created', made.status === 201, made.text);
    await h.loginAs(page, 'viewer1', 'viewer1-password');
    await page.goto(`${h.base}/?view=dashboards`);
    await page.waitForSelector('#dash-table');
    // The shipped dashboards are listed too (first); of the users' ones, only the shared one.
    const own = page.locator('#dash-table tbody tr:not([data-id^="shipped-"])');
    h.check('only the shared dashboard is listed', (await own.count()) === 1, await own.count());
    h.check('no New or Import', (await page.isHidden('#dash-new')) && (await page.isHidden('#dash-import')), 'shown');
    await own.locator('a.dash-open').click();
    await panelsDrawn(page);
    h.check('the viewer sees its panels', (await page.textContent('.dash-panel[data-index="2"] .dash-number')) === '10', await page.textContent('.dash-panel[data-index="2"] .dash-number'));
    h.check('no Edit', await page.isHidden('#dash-edit'), 'shown');
    // With the session's CSRF token, so that only the ownership rule can refuse it.
    const patched = await page.evaluate(async (id) => {
      const me = await (await fetch('/api/v1/me')).json();
      const r = await fetch(`/api/v1/dashboards/${id}`, { method: 'PATCH', headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': me.csrf }, body: '{"title":"x"}' });
      return [r.status, await r.text()];
    }, dashId);
    h.check('and the API refuses the viewer\'s change: a viewer writes nothing', patched[0] === 403 && /needs the 'triage' permission/.test(patched[1]), JSON.stringify(patched));
    await page.goto(`${h.base}/`);
    await page.waitForSelector('#q');
    h.check('no Save on the Search page', await page.isHidden('#save-search'), 'shown');
    h.check('window.__pwned was never set', (await page.evaluate(() => window.__pwned)) === undefined, 'set');
  });

  await h.section('page integrity', async () => { h.checkPageIntegrity(); });
});
