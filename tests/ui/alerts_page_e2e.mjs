// tests/ui/alerts_page_e2e.mjs: the Alerts and Rules pages in Chromium (issue 21). The real server
// runs rules this test writes (one of them hostile: markup, javascript: and data: URLs in its
// title, author, description and references; one unsupported, one invalid, one Windows rule no
// source feeds); events go in through /api/v1/ingest. In the browser: the Alerts page's counts,
// histogram and list; an alert's detail to its matching event (in Search and raw) and back to
// its rule; acknowledge, assign and comment; an exclusion made from the alert, after which the
// next matching event raises nothing (while the same event on another host still does); the Rules
// page with the unsupported rule and its reason, the coverage naming the missing source, a rule
// switched off that stops raising, and "run over the last N days" opening the Hunt page with the
// rule preselected. Nothing from the hostile rule or events may execute or become a link of its
// own. Expectations come from what the test wrote and sent, and from the API, not from the UI.
import fs from 'node:fs';
import path from 'node:path';
import { harness, iso } from './lib.mjs';

const h = harness('alerts_page_e2e');

const WORD_ID = '0b1c2d3e-0000-4000-8000-000000000001';
const PIN_ID = '0b1c2d3e-0000-4000-8000-000000000002';
const EVIL_ID = '0b1c2d3e-0000-4000-8000-000000000003';
const WIN_ID = '0b1c2d3e-0000-4000-8000-000000000004';
const WORD_RULE = `title: Word needle seen
id: ${WORD_ID}
status: test
description: The word needle was written.
author: kamatama tests
level: medium
references:
  - https://example.org/needle
tags:
  - attack.execution
  - attack.t1059.001
logsource:
  product: kmt
  service: words
detection:
  selection:
    kmt.word: needle
  condition: selection
`;
const PIN_RULE = `title: Word pin seen
id: ${PIN_ID}
author: kamatama tests
level: low
logsource:
  product: kmt
  service: words
detection:
  selection:
    kmt.word: pin
  condition: selection
`;
// Everything a rule file can carry that a careless UI would run or follow.
const EVIL_TITLE = '<img src=x onerror="window.__pwned=1">Evil rule';
const EVIL_RULE = `title: '${EVIL_TITLE}'
id: ${EVIL_ID}
author: '<script>window.__pwned=2</script>'
description: '<svg onload="window.__pwned=3"></svg> see javascript:window.__pwned=4'
level: high
references:
  - 'javascript:window.__pwned=5'
  - 'data:text/html,<script>window.__pwned=6</script>'
  - 'https://example.org/ok?q=<script>x</script>'
tags:
  - attack.t1059
logsource:
  product: kmt
  service: words
detection:
  selection:
    kmt.word|contains: evil
  condition: selection
`;
const WIN_RULE = `title: Windows process nobody sends
id: ${WIN_ID}
level: high
tags:
  - attack.execution
  - attack.t1204
logsource:
  product: windows
  category: process_creation
detection:
  selection:
    Image|endswith: '\\nothing-like-this.exe'
  condition: selection
`;
const UNSUPPORTED_RULE = `title: Counted words
id: 0b1c2d3e-0000-4000-8000-000000000005
logsource:
  product: kmt
  service: words
detection:
  selection:
    kmt.word: needle
  condition: selection | count() > 5
`;
const INVALID_RULE = 'title: broken\nlogsource:\n  product: kmt\n';

const t0 = Date.now() - 10 * 60e3;  // events ten minutes ago, a minute apart
const at = (min) => iso(t0 + min * 60e3);
const ev = (ts, host, word, extra = {}) => JSON.stringify({ '@timestamp': ts, 'event.dataset': 'kmt.words', 'host.name': host, 'kmt.word': word, message: `the word is ${word}`, ...extra });
const NEEDLE = ev(at(2), 'ws-17', 'needle');
const EVIL_HOST = '<b onmouseover="window.__pwned=7">evil-host</b>';
const EVIL_EVENT = ev(at(3), EVIL_HOST, 'evil<img src=x onerror="window.__pwned=8">', { message: '<script>window.__pwned=9</script> javascript:window.__pwned=10' });

const pwned = (page) => page.evaluate(() => window.__pwned);

await h.run(async () => {
  const rules = path.join(h.tmp, 'rules');
  fs.mkdirSync(rules);
  for (const [f, text] of [['word.yml', WORD_RULE], ['pin.yml', PIN_RULE], ['evil.yml', EVIL_RULE], ['win.yml', WIN_RULE],
    ['counted.yml', UNSUPPORTED_RULE], ['broken.yml', INVALID_RULE]]) fs.writeFileSync(path.join(rules, f), text);
  // A cap of 2 new alerts per rule per hour, so that the needle rule reaches it.
  await h.startServer({ config: `detection:\n  rules: [${JSON.stringify(rules)}]\n  alerts:\n    per_rule_cap: 2\n` });
  // ws-17: coffee, needle, tea a minute apart (the needle's neighbours); pin on ws-20, and on
  // ws-30 three days ago; the evil one.
  await h.ingest([ev(at(1), 'ws-17', 'coffee'), NEEDLE, ev(at(3), 'ws-17', 'tea'), ev(at(2), 'ws-20', 'pin'), EVIL_EVENT, ev(at(2), 'ws-99', 'coffee'),
    ev(iso(t0 - 3 * 86400e3), 'ws-30', 'pin')]);
  const alertsOf = async (rule) => (await h.api(`/api/v1/alerts?rule=${rule}`)).body;
  const ruleOf = async (id) => (await h.api(`/api/v1/rules/${id}`)).body;
  const { page } = await h.browser();

  await h.section('login', () => h.login(page));

  await h.section('the Alerts page: counts, histogram, list, filters', async () => {
    await page.click('#nav-alerts');
    await page.waitForSelector('#alerts-table');
    const rows = page.locator('#alerts-table tr.alert-row');
    h.check('four alerts listed (needle, two pins, evil; coffee and tea match nothing)', (await rows.count()) === 4, await rows.count());
    const levels = await page.$$eval('#alerts-by-level button', (bs) => bs.map((b) => `${b.dataset.level}=${b.querySelector('b').textContent}`).sort().join(' '));
    h.check('counts by level: the rules\' levels', levels === 'high=1 low=2 medium=1', levels);
    const byRule = await page.textContent('#alerts-by-rule');
    h.check('counts by rule name every rule that fired', byRule.includes('Word needle seen') && byRule.includes('Word pin seen') && byRule.includes(EVIL_TITLE), byRule);
    const bars = await page.$$eval('#alerts-histogram svg rect', (rs) => rs.length);
    h.check('a histogram is drawn', bars > 0, bars);
    h.check('the evil title is text in the list', (await page.locator('#alerts-table td.rule', { hasText: EVIL_TITLE }).count()) === 1, await page.textContent('#alerts-table'));
    await page.selectOption('#alerts-level', 'medium');
    await page.waitForFunction(() => document.querySelectorAll('#alerts-table tr.alert-row').length === 1);
    h.check('the level filter leaves the medium alert', (await rows.first().textContent()).includes('Word needle seen'), await rows.first().textContent());
    h.check('the filter is in the URL', new URL(page.url()).searchParams.get('level') === 'medium', page.url());
    await page.click('#alerts-reset');
    await page.waitForFunction(() => document.querySelectorAll('#alerts-table tr.alert-row').length === 4);
    await page.selectOption('#alerts-range', '24h');
    await page.waitForFunction(() => document.querySelectorAll('#alerts-table tr.alert-row').length === 3);
    h.check('the last 24 hours leave out the pin of three days ago', (await page.locator('#alerts-table tr.alert-row', { hasText: 'ws-30' }).count()) === 0,
      await page.textContent('#alerts-table'));
    await page.fill('#alerts-host', 'ws-20');
    await page.press('#alerts-host', 'Enter');
    await page.waitForFunction(() => document.querySelectorAll('#alerts-table tr.alert-row').length === 1);
    h.check('the host filter leaves the pin alert', (await rows.first().textContent()).includes('Word pin seen'), await rows.first().textContent());
    await page.click('#alerts-reset');
    await page.waitForFunction(() => document.querySelectorAll('#alerts-table tr.alert-row').length === 4);
    await h.shot(page, 'alerts-page');
  });

  const needle = (await alertsOf(WORD_ID)).alerts[0];
  await h.section('an alert\'s detail: values, rule, neighbours, the event and back to the rule', async () => {
    await page.click(`#alerts-table tr.alert-row[data-id="${needle.id}"] a.alert-open`);
    await page.waitForSelector('#alert-rule-title');
    await page.waitForSelector('#alert-around-table');
    await page.waitForSelector('#alert-event .event-summary');
    const values = await page.textContent('#alert-values');
    h.check('the values that matched: kmt.word needle', values.includes('kmt.word') && values.includes('needle'), values);
    h.check('the rule\'s author', (await page.textContent('#alert-rule-author')) === 'kamatama tests', await page.textContent('#alert-rule-author'));
    h.check('the rule\'s YAML as written', (await page.textContent('#alert-yaml')) === WORD_RULE, await page.textContent('#alert-yaml'));
    const tech = await page.$$eval('#alert-techniques a', (as) => as.map((a) => [a.textContent, a.getAttribute('href'), a.getAttribute('rel')]));
    h.check('the ATT&CK id links to its technique page, rel=noopener', tech.length === 1 && tech[0][0] === 'T1059.001' &&
      tech[0][1] === 'https://attack.mitre.org/techniques/T1059/001/' && /noopener/.test(tech[0][2]), JSON.stringify(tech));
    const refs = await page.$$eval('#alert-references a', (as) => as.map((a) => [a.getAttribute('href'), a.getAttribute('rel'), a.getAttribute('target')]));
    h.check('the reference is an http(s) link with rel=noopener', refs.length === 1 && refs[0][0] === 'https://example.org/needle' && /noopener/.test(refs[0][1]) && refs[0][2] === '_blank', JSON.stringify(refs));
    h.check('one matching event, no dedup', (await page.textContent('#alert-count')).startsWith('1 matching event'), await page.textContent('#alert-count'));
    const around = await page.$$eval('#alert-around-table tr', (trs) => trs.map((t) => [t.className, t.textContent]));
    h.check('the events of ws-17 around it: coffee, needle, tea (not ws-20, not ws-99)', around.length === 3 &&
      ['coffee', 'needle', 'tea'].every((w) => around.some(([, text]) => text.includes(`the word is ${w}`))) && !around.some(([, t]) => t.includes('pin')), JSON.stringify(around));
    h.check('the matched one is marked', around.filter(([c, t]) => c.includes('matched') && t.includes('needle')).length === 1, JSON.stringify(around));
    await page.click('#alert-event-raw');
    const raw = await page.textContent('#alert-event pre.raw-event');
    h.check('raw: one click shows the whole stored event', raw.includes('"kmt.word": "needle"') && raw.includes('the word is needle') && raw.includes('"host.name": "ws-17"'), raw.slice(0, 400));
    await h.shot(page, 'alert-detail');

    const resp = page.waitForResponse((r) => r.url().includes('/api/v1/search?'), { timeout: 15000 });
    await page.click('#alert-event-link');
    await resp;
    await h.idle(page);
    const found = page.locator('#results tr.ev');
    h.check('Search shows exactly the matching event', (await found.count()) === 1, await found.count());
    await found.first().click();
    await page.waitForSelector('#detail-original', { state: 'visible' });
    h.check('it is the needle line', (await page.textContent('#detail-original')).includes('"kmt.word":"needle"'), await page.textContent('#detail-original'));
    await page.goBack();
    await page.waitForSelector('#alert-rule-link');
    h.check('back in the alert\'s detail', new URL(page.url()).searchParams.get('alert') === String(needle.id), page.url());
    await page.click('#alert-rule-link');
    await page.waitForSelector('#rule-detail-title');
    h.check('the rule link opens the rule on the Rules page', (await page.textContent('#rule-detail-title')).includes('Word needle seen') &&
      (await page.textContent('#rule-yaml')) === WORD_RULE, await page.textContent('#rule-detail'));
    await page.goBack();
    await page.waitForSelector('#alert-ack');
  });

  await h.section('acknowledge, assign, comment', async () => {
    await page.click('#alert-ack');
    await page.waitForFunction(() => document.querySelector('#alert-status')?.textContent === 'acknowledged');
    await page.fill('#alert-assignee', 'alice');
    await page.click('#alert-assign');
    await page.waitForSelector('#alert-assignee-now');
    await page.fill('#alert-comment', 'checked <b>ws-17</b>');
    await page.click('#alert-comment-add');
    await page.waitForSelector('#alert-history li.comment');
    const a = (await h.api(`/api/v1/alerts/${needle.id}`)).body;
    h.check('the server has it acknowledged and assigned to alice', a.status === 'acknowledged' && a.assignee === 'alice', JSON.stringify(a));
    const history = await page.textContent('#alert-history');
    h.check('the history shows who acknowledged, assigned and commented', /admin\s*set status to acknowledged/.test(history) &&
      /admin\s*assigned to alice/.test(history) && history.includes('commented: checked <b>ws-17</b>'), history);
    h.check('the comment is text, not markup', (await page.locator('#alert-history b', { hasText: 'ws-17' }).count()) === 0, 'a <b> element was made');
  });

  await h.section('an exclusion from the alert: the next matching event raises nothing', async () => {
    const q = await page.inputValue('#alert-exclusion-query');
    h.check('the exclusion is prefilled from the alert\'s values and host', q.includes('kmt.word:needle') && q.includes('host.name:ws-17'), q);
    await page.click('#alert-exclusion-add');
    await page.waitForSelector('#alert-exclusion-done');
    const rule = await ruleOf(WORD_ID);
    h.check('the rule has the exclusion as prefilled', rule.exclusions.length === 1 && rule.exclusions[0] === q, JSON.stringify(rule.exclusions));
    await h.ingest([ev(at(4), 'ws-17', 'needle'), ev(at(4), 'ws-18', 'needle')]);
    const after = await alertsOf(WORD_ID);
    const again = after.alerts.find((x) => x.id === needle.id);
    h.check('ws-17\'s next needle raised nothing and was not folded into the alert', again && again.count === 1, JSON.stringify(again));
    h.check('the same event on ws-18 still raises an alert (the rule is live)', after.total === 2 && after.alerts.some((x) => x.host === 'ws-18'), JSON.stringify(after.alerts.map((x) => x.host)));
    h.check('the rule counts one excluded match', (await ruleOf(WORD_ID)).hits.excluded === 1, JSON.stringify((await ruleOf(WORD_ID)).hits));
    await page.click('#alert-back');
    await page.waitForFunction(() => document.querySelectorAll('#alerts-table tr.alert-row').length === 5);
    const ws17 = await page.locator('#alerts-table tr.alert-row', { hasText: 'ws-17' }).count();
    h.check('the Alerts page lists one alert for ws-17 (acknowledged) and the new one for ws-18', ws17 === 1 &&
      (await page.locator('#alerts-table tr.alert-row', { hasText: 'ws-18' }).count()) === 1, ws17);
  });

  await h.section('the dedup count and the per-rule cap in the detail', async () => {
    // ws-18 again within the window: folded into its alert; ws-19: a third alert this hour, over the cap.
    await h.ingest([ev(at(5), 'ws-18', 'needle'), ev(at(5), 'ws-19', 'needle')]);
    const after = await alertsOf(WORD_ID);
    const ws18 = after.alerts.find((x) => x.host === 'ws-18');
    h.check('the API: ws-18 counts 2, ws-19 raised nothing (cap)', ws18?.count === 2 && after.total === 2 && (await ruleOf(WORD_ID)).hits.capped === 1, JSON.stringify(after.alerts));
    await page.click(`#alerts-table tr.alert-row[data-id="${ws18.id}"] a.alert-open`);
    await page.waitForSelector('#alert-cap');
    const count = await page.textContent('#alert-count');
    h.check('the detail says 2 matching events, 1 deduplicated', count.startsWith('2 matching events') && count.includes('1 deduplicated'), count);
    const cap = await page.textContent('#alert-cap');
    h.check('the detail says the rule hit its cap of 2 and held 1 match back', cap.includes('cap of 2 new alerts per hour') && cap.includes('1 of its matches raised no alert'), cap);
    await page.click('#alert-back');
    await page.waitForSelector('#alerts-table');
  });

  await h.section('bulk: close two alerts at once', async () => {
    const pinId = (await alertsOf(PIN_ID)).alerts.find((x) => x.host === 'ws-20').id;
    const ws18 = (await alertsOf(WORD_ID)).alerts.find((x) => x.host === 'ws-18').id;
    await page.check(`#alerts-table input.alert-select[data-id="${pinId}"]`);
    await page.check(`#alerts-table input.alert-select[data-id="${ws18}"]`);
    await page.click('#alerts-close');
    await page.waitForSelector('#alerts-bulk-done');
    const closed = (await h.api('/api/v1/alerts?status=closed')).body;
    h.check('exactly the two selected are closed', closed.total === 2 && closed.alerts.every((x) => [pinId, ws18].includes(x.id)), JSON.stringify(closed.alerts.map((x) => x.id)));
    h.check('the list shows them closed', (await page.locator('#alerts-table tr.status-closed').count()) === 2, await page.locator('#alerts-table tr.status-closed').count());
  });

  await h.section('the Rules page: unsupported with reason, coverage, off stops alerts, hunt', async () => {
    await page.click('#nav-rules');
    await page.waitForSelector('#rules-table');
    await page.waitForSelector('#coverage-total');
    h.check('4 loaded, 1 unsupported, 1 invalid', (await page.textContent('#rules-loaded')) === '4' && (await page.textContent('#rules-unsupported')) === '1' &&
      (await page.textContent('#rules-invalid')) === '1', await page.textContent('#rules-summary'));
    const unsupported = await page.textContent('#rules-not-loaded-table tr.unsupported');
    h.check('the unsupported rule with its reason', unsupported.includes('counted.yml') && unsupported.includes('aggregation expressions'), unsupported);
    h.check('the invalid file is named', (await page.textContent('#rules-not-loaded-table tr.invalid')).includes('broken.yml'), await page.textContent('#rules-not-loaded-table'));
    const tech = await page.textContent('#coverage-techniques');
    h.check('coverage: T1204 blind for want of windows/process_creation', /T1204\s*1\s*windows\/process_creation/.test(tech), tech);
    h.check('coverage: T1059 (kmt/words is sending) is not blind', !tech.includes('T1059'), tech);
    const row = (id) => page.locator(`#rules-table tr.rule-row[data-id="${id}"]`);
    const hits = async (id, k) => row(id).locator('td.hit-' + k).textContent();
    h.check('hits of the needle rule: 5 matches, 2 alerts, 1 dedup, 1 excluded, 1 capped', (await hits(WORD_ID, 'matches')) === '5' &&
      (await hits(WORD_ID, 'raised')) === '2' && (await hits(WORD_ID, 'deduplicated')) === '1' && (await hits(WORD_ID, 'excluded')) === '1' &&
      (await hits(WORD_ID, 'capped')) === '1',
    await row(WORD_ID).textContent());
    await h.shot(page, 'rules-page');
    await row(PIN_ID).locator('input.rule-enabled').uncheck();
    await page.waitForSelector('#rules-saved');
    h.check('the server has the pin rule off', (await ruleOf(PIN_ID)).enabled === false, JSON.stringify(await ruleOf(PIN_ID)));
    await h.ingest([ev(at(5), 'ws-21', 'pin')]);
    const pins = await alertsOf(PIN_ID);
    h.check('a pin on another host raises nothing while the rule is off', pins.total === 2 && !pins.alerts.some((x) => x.host === 'ws-21'), JSON.stringify(pins.alerts.map((x) => x.host)));
    await row(EVIL_ID).locator('select.rule-level').selectOption('critical');
    await page.waitForFunction((id) => document.querySelector(`#rules-table tr.rule-row[data-id="${id}"] select.rule-level`)?.value === 'critical', EVIL_ID);
    h.check('a level override is saved', (await ruleOf(EVIL_ID)).effective_level === 'critical', JSON.stringify(await ruleOf(EVIL_ID)));
    h.check('the match is counted as "while off"', (await ruleOf(PIN_ID)).hits.disabled === 1, JSON.stringify((await ruleOf(PIN_ID)).hits));
    await page.click(`#rules-table tr.rule-row[data-id="${WORD_ID}"] a.rule-open`);
    await page.waitForSelector('#rule-hunt');
    await page.fill('#rule-exclusion-new', 'host.name:build-*');
    await page.click('#rule-exclusion-add');
    await page.waitForFunction(() => document.querySelectorAll('#rule-exclusions li.exclusion').length === 2);
    h.check('an exclusion added on the Rules page', JSON.stringify((await ruleOf(WORD_ID)).exclusions.slice(1)) === '["host.name:build-*"]', JSON.stringify((await ruleOf(WORD_ID)).exclusions));
    await page.locator('#rule-exclusions li.exclusion', { hasText: 'build-*' }).locator('button.exclusion-remove').click();
    await page.waitForFunction(() => document.querySelectorAll('#rule-exclusions li.exclusion').length === 1);
    const left = (await ruleOf(WORD_ID)).exclusions;
    h.check('and removed again (the alert\'s stays)', left.length === 1 && left[0].includes('host.name:ws-17'), JSON.stringify(left));
    await page.fill('#rule-hunt-days', '2');
    await page.click('#rule-hunt');
    await page.waitForSelector('#hunt-ids');
    h.check('the Hunt page has the rule preselected over 2 days', (await page.inputValue('#hunt-source')) === 'ids' &&
      (await page.inputValue('#hunt-ids')) === WORD_ID && (await page.inputValue('#hunt-days')) === '2', page.url());
    await page.click('#hunt-run');
    await page.waitForSelector('#hunt-done', { timeout: 30000 });
    const done = await page.textContent('#hunt-done');
    h.check('the hunt finds the five needle events stored', /^5 matches/.test(done), done);
  });

  await h.section('a hostile rule and event execute nothing', async () => {
    const evil = (await alertsOf(EVIL_ID)).alerts[0];
    await page.goto(`${h.base}/?view=alerts&alert=${evil.id}`);
    await page.waitForSelector('#alert-rule-title');
    await page.waitForSelector('#alert-around-table');
    await page.waitForSelector('#alert-event .event-summary');
    await page.click('#alert-event-raw');
    await page.click('#alert-around-table .raw-toggle');
    h.check('the title is shown as text', (await page.textContent('#alert-rule-title')) === EVIL_TITLE, await page.textContent('#alert-rule-title'));
    h.check('the author is shown as text', (await page.textContent('#alert-rule-author')) === '<script>window.__pwned=2</script>', await page.textContent('#alert-rule-author'));
    h.check('the host is shown as text', (await page.textContent('#alert-host')) === EVIL_HOST, await page.textContent('#alert-host'));
    const bad = await page.$$eval('#alert-detail img, #alert-detail script, #alert-detail svg, #alert-detail iframe, #alert-detail [onerror], #alert-detail [onload], #alert-detail [onmouseover]', (x) => x.length);
    h.check('no element from the data (img, script, svg, handlers)', bad === 0, bad);
    const hrefs = await page.$$eval('#alert-detail a[href]', (as) => as.map((a) => [a.getAttribute('href'), a.getAttribute('rel') || '']));
    h.check('every link is the app\'s own or http(s) with rel=noopener', hrefs.length > 0 && hrefs.every(([u, rel]) => u.startsWith('/?') ||
      (/^https?:\/\//.test(u) && /noopener/.test(rel))), JSON.stringify(hrefs));
    const refs = await page.$$eval('#alert-references li', (lis) => lis.map((li) => [li.textContent, li.querySelector('a')?.getAttribute('href') || null]));
    h.check('javascript: and data: references are text, the https one a link', refs.length === 3 && refs[0][1] === null && refs[1][1] === null &&
      refs[0][0] === 'javascript:window.__pwned=5' && /^https:\/\/example\.org\/ok\?q=/.test(refs[2][1] || ''), JSON.stringify(refs));
    await page.hover('#alert-host');
    await h.shot(page, 'alert-detail-hostile');
    // The exclusion prefilled from hostile values is a query the server takes, and it holds.
    await page.click('#alert-exclusion-add');
    await page.waitForSelector('#alert-exclusion-done, #alert-exclusion-error');
    h.check('the prefilled exclusion of hostile values is accepted', (await page.locator('#alert-exclusion-done').count()) === 1,
      await page.textContent('#alert-exclusion'));
    await h.ingest([EVIL_EVENT.replace(at(3), at(6))]);
    const evilRule = await ruleOf(EVIL_ID);
    h.check('and the same hostile event again is excluded, not raised', evilRule.hits.excluded === 1 && (await alertsOf(EVIL_ID)).total === 1, JSON.stringify(evilRule.hits));
    await page.click('#nav-rules');
    await page.waitForSelector('#rules-table');
    await page.click(`#rules-table tr.rule-row[data-id="${EVIL_ID}"] a.rule-open`);
    await page.waitForSelector('#rule-yaml');
    h.check('the Rules page shows the evil rule as text too', (await page.textContent('#rule-detail-title')).includes(EVIL_TITLE), await page.textContent('#rule-detail-title'));
    const badRules = await page.$$eval('.rules-page img, .rules-page script, .rules-page iframe, .rules-page [onerror], .rules-page [onload]', (x) => x.length);
    h.check('no element from the rule on the Rules page', badRules === 0, badRules);
    h.check('window.__pwned was never set', (await pwned(page)) === undefined, await pwned(page));
  });

  await h.section('a viewer reads alerts and rules but the controls to change them are off', async () => {
    const made = await h.api('/api/v1/users', { method: 'POST', body: { name: 'viewer1', role: 'viewer', password: 'viewer1-password' } });
    h.check('a viewer is created', made.status === 201, made.text);
    await page.click('#logout');
    await page.waitForSelector('#login-user');
    await page.fill('#login-user', 'viewer1');
    await page.fill('#login-password', 'viewer1-password');
    await page.click('#login-submit');
    await page.waitForSelector('#nav-alerts', { state: 'visible' });  // back on the page the admin left
    h.check('signed in as the viewer', (await page.textContent('#whoami')).startsWith('viewer1'), await page.textContent('#whoami'));
    await page.click('#nav-alerts');
    await page.waitForSelector('#alerts-table');
    h.check('the viewer sees the alerts', (await page.locator('#alerts-table tr.alert-row').count()) === 5, await page.locator('#alerts-table tr.alert-row').count());
    h.check('bulk acknowledge and close are off', (await page.isDisabled('#alerts-ack')) && (await page.isDisabled('#alerts-close')), 'enabled');
    await page.click(`#alerts-table tr.alert-row[data-id="${needle.id}"] a.alert-open`);
    await page.waitForSelector('#alert-exclusion-add');
    h.check('triage and exclusion controls are off, with the reason', (await page.isDisabled('#alert-close')) && (await page.isDisabled('#alert-comment-add')) &&
      (await page.isDisabled('#alert-exclusion-add')) && /admins/.test(await page.getAttribute('#alert-exclusion-add', 'title')), 'enabled');
    await page.click('#nav-rules');
    await page.waitForSelector('#rules-table');
    const enabled = await page.$$eval('#rules-table input.rule-enabled, #rules-table select.rule-level', (cs) => cs.filter((c) => !c.disabled).length);
    h.check('rule switches and level overrides are off', enabled === 0, enabled);
  });

  await h.section('page integrity', async () => { h.checkPageIntegrity(); });
});
