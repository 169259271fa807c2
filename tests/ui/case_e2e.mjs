// tests/ui/case_e2e.mjs: cases in Chromium (issue 22). An analyst's path: a new case from the
// Cases page; "Add to case…" from a search result's detail (an event whose line holds markup), from
// a user's entity page and from an alert's detail; a note with hostile text; the case's permalink
// opened again after a reload (everything still there, nothing from a log or a note executed or
// became an element); the four exports downloaded and read. The case page's screenshot goes to
// --out as case.png (copied to docs/img by hand).
import fs from 'node:fs';
import { harness, iso } from './lib.mjs';

const h = harness('case_e2e');
const NOW = Date.now();
const HOSTILE = '<img src=x onerror="window.__pwned=1"> <script>window.__pwned=2</script> [x](javascript:alert(1))';
const NOTE = 'pgustavo opened the attachment.\n<img src=y onerror="window.__pwned=3"><b>not bold</b>\n=HYPERLINK("http://evil.example")';
const RULE = `title: Case UI needle
id: 0b1c2d3e-0000-4000-8000-00000000ca5e
level: high
logsource:
  product: kmt
  service: words
detection:
  selection:
    kmt.word: needle
  condition: selection
`;

// A page that ran nothing: no flag set by an injected handler, no element from the data.
const untouched = (page) => page.evaluate(() => window.__pwned === undefined &&
  !document.querySelector('#app img, #app script, #app [onerror]') &&
  ![...document.querySelectorAll('#app b')].some((b) => b.textContent === 'not bold'));

// "Add to case…" -> the open case -> Add; the status line's text.
async function addToCase(page, id) {
  await page.click(`#${id}`);
  await page.waitForSelector(`#${id}-pick option[value="1"]`, { state: 'attached' });
  await page.selectOption(`#${id}-pick`, '1');
  await page.click(`#${id}-go`);
  await page.waitForFunction((sel) => /case #1/.test(document.querySelector(sel)?.textContent || ''), `#${id}-msg`);
  return page.textContent(`#${id}-msg`);
}

async function download(page, sel) {
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click(sel)]);
  return { name: dl.suggestedFilename(), text: fs.readFileSync(await dl.path(), 'utf8') };
}

await h.run(async () => {
  const rules = `${h.tmp}/rules`;
  fs.mkdirSync(rules);
  fs.writeFileSync(`${rules}/needle.yml`, RULE);
  await h.startServer({ config: `detection:\n  rules: [${JSON.stringify(rules)}]\n` });
  await h.ingest([
    JSON.stringify({ '@timestamp': iso(NOW - 3600e3), 'event.dataset': 'kmt.words', 'host.name': 'WORKSTATION5', 'user.name': 'pgustavo',
      'kmt.word': 'needle', message: HOSTILE }),
    JSON.stringify({ '@timestamp': iso(NOW - 3500e3), 'event.dataset': 'kmt.words', 'host.name': 'WORKSTATION5', 'user.name': 'pgustavo',
      message: 'a later, harmless line' }),
  ]);
  const { page } = await h.browser();
  await h.login(page);

  await h.section('a new case from the Cases page', async () => {
    await page.click('#nav-cases');
    await page.fill('#case-new-title', 'Phishing on WORKSTATION5');
    await page.fill('#case-new-desc', 'The attachment launcher.vbs');
    await page.click('#case-create');
    await page.waitForSelector('#case-title');
    h.check('the case page opened at its permalink', new URL(page.url()).search === '?view=case&case=1', page.url());
    h.check('title shown', (await page.textContent('#case-title')).includes('Phishing on WORKSTATION5'));
  });

  await h.section('pin an event from the search detail', async () => {
    await page.click('#nav-search');
    await h.runQuery(page, 'event.dataset:kmt.words kmt.word:needle');
    await page.click('#results tbody tr >> nth=0');
    await page.waitForSelector('#detail-add-to-case');
    const msg = await addToCase(page, 'detail-add-to-case');
    h.check('event added', /added to case #1/.test(msg), msg);
    h.check('nothing from the line ran', await untouched(page));
  });

  await h.section('pin an entity from its page and an alert from its detail', async () => {
    await page.goto(`${h.base}/?view=entity&type=user&value=pgustavo`);
    await page.waitForSelector('#entity-add-to-case');
    h.check('entity added', /added to case #1/.test(await addToCase(page, 'entity-add-to-case')));
    const alerts = await h.api('/api/v1/alerts');
    const alertId = alerts.body?.alerts?.[0]?.id;
    h.check('the rule raised an alert', Number.isInteger(alertId), alerts.text.slice(0, 300));
    await page.goto(`${h.base}/?view=alerts&alert=${alertId}`);
    await page.waitForSelector('#alert-add-to-case');
    h.check('alert added', /added to case #1/.test(await addToCase(page, 'alert-add-to-case')));
  });

  await h.section('a note with hostile text, the permalink after a reload', async () => {
    await page.goto(`${h.base}/?view=case&case=1`);
    await page.waitForSelector('#case-note-text');
    await page.fill('#case-note-text', NOTE);
    await page.click('#case-note-add');
    await page.waitForSelector('#case-notes .case-note');
    await page.reload();
    await page.waitForSelector('#case-notes .case-note');
    const note = await page.textContent('#case-notes .case-note .case-text');
    h.check('the note is its text, lines kept', note === NOTE, JSON.stringify(note));
    const summary = await page.textContent('#case-events td.summary');
    h.check('the pinned event shows its line as text', summary.includes('<img src=x onerror="window.__pwned=1">'), summary);
    h.check('one event, one entity, one alert pinned',
      (await page.$$('#case-events tr')).length === 1 && (await page.$$('#case-entities li')).length === 1 &&
      (await page.$$('#case-alerts li')).length === 1);
    h.check('the entity links to its page', (await page.getAttribute('#case-entities a', 'href')) === '/?view=entity&type=user&value=pgustavo');
    h.check('nothing from a note or a line ran or became an element', await untouched(page));
    await h.shot(page, 'case');
  });

  await h.section('exports', async () => {
    const html = await download(page, '#case-export-html');
    h.check('HTML report named case-1.html', html.name === 'case-1.html', html.name);
    h.check('HTML report holds the line escaped', html.text.includes('&lt;img src=x onerror=&quot;window.__pwned=1&quot;&gt;') &&
      !html.text.includes('<img') && !/<script/i.test(html.text), html.text.slice(0, 400));
    const md = await download(page, '#case-export-md');
    h.check('Markdown report has the note, escaped', md.name === 'case-1.md' && md.text.includes('\\<img src\\=y onerror') &&
      !/(^|[^\\])</m.test(md.text), md.text.slice(0, 400));
    const csv = await download(page, '#case-export-csv');
    h.check('CSV has a header and the event', csv.text.startsWith('@timestamp,event.dataset,host.name,') && csv.text.includes('WORKSTATION5'), csv.text.slice(0, 300));
    const json = JSON.parse((await download(page, '#case-export-json')).text);
    h.check('JSON has every pinned kind', json.events.length === 1 && json.entities.length === 1 && json.alerts.length === 1 && json.notes[0].text === NOTE);
    const head = await h.api('/api/v1/cases/1/export?format=html');
    h.check('served as an attachment', /^attachment; filename="case-1.html"$/.test(head.headers.get('content-disposition') || ''), head.headers.get('content-disposition'));
  });

  h.checkPageIntegrity();
});
