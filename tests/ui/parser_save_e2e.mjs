// tests/ui/parser_save_e2e.mjs: the parser builder saves (issue 23), in Chromium. Lines no parser
// knows are sent over TCP to the real server; their text is an HTML injection written by an
// attacker (an <img onerror> in the message and in the value a definition captures). From the
// Unparsed page an admin builds a parser for them, tests it, saves it with an example that does
// not hold (refused: the problem quotes the attacker's value, shown as text), then saves it right:
// the next line sent is parsed by it with no restart (the API finds it under the new dataset) and
// the page still shows every line as text: no <img> element, no script run.
import fs from 'node:fs';
import path from 'node:path';
import { harness, sendSyslog, sleep } from './lib.mjs';

const h = harness('parser_save_e2e');
const EVIL = '<img src=x onerror="window.__pwned=1">';
const line = (i) => `<134>Dec  7 10:15:3${i} gw9 badapp[7]: login refused for ${EVIL}${i} (deny)`;

async function until(fn) {
  for (let i = 0; i < 200; i++) {
    const v = await fn();
    if (v) return v;
    await sleep(100);
  }
  return fn();
}

// A definition for the lines, its example's expectation as given.
const definition = (expectUser) => `parser: badapp
dataset: custom.badapp
when: {program: badapp}
extract:
  - regex: '^login refused for (?P<user>.*) \\((?P<action>\\w+)\\)$'
fields:
  user.name: user
  event.action: action
examples:
  - line: '${line(0).replace(/'/g, "''")}'
    expect: {user.name: '${expectUser.replace(/'/g, "''")}', event.action: deny}
`;

await h.run(async () => {
  await h.startServer();
  const log = fs.readFileSync(path.join(h.OUT, 'server.log'), 'utf8');
  const tcp = /syslog tcp listening on (\S+)/.exec(log)[1];
  await sendSyslog(tcp, [0, 1, 2].map(line).join('\n') + '\n');
  const data = await until(async () => {
    const r = await h.api('/api/v1/unparsed');
    return r.status === 200 && r.body.scanned >= 3 ? r.body : null;
  });
  h.check('3 unparsed lines from badapp', data?.sources?.some((s) => s.program === 'badapp' && s.count === 3), JSON.stringify(data).slice(0, 400));

  const { page } = await h.browser();
  await h.login(page);
  await page.click('#nav-unparsed');
  await page.waitForSelector('#unparsed-shapes .unparsed-shape');
  const idx = data.shapes.findIndex((s) => s.program === 'badapp');
  await page.click(`#unparsed-shapes button.build-parser[data-shape="${idx}"]`);
  await page.waitForFunction(() => document.querySelector('#builder-definition')?.value.includes('parser:'), null, { timeout: 15000 });

  await h.section('a save refused for an example that does not hold shows the attacker value as text', async () => {
    await page.fill('#builder-definition', definition('someone else'));
    await page.click('#builder-test');
    await page.waitForSelector('#builder-summary');
    const summary = await page.textContent('#builder-summary');
    h.check('the definition takes the 3 samples', summary.includes('3 of 3 lines taken'), summary);
    await page.click('#builder-save');
    await page.waitForSelector('#builder-saved .error');
    const saved = await page.textContent('#builder-saved');
    h.check('refused: an example does not hold', saved.includes('Not saved: an example does not hold'), saved);
    h.check('the problem quotes the captured value as text', saved.includes(`got '${EVIL}0'`), saved.slice(0, 400));
    h.check('no <img> element', (await page.$$eval('img', (n) => n.length)) === 0, 'an img exists');
    const api = await h.api('/api/v1/search?q=' + encodeURIComponent('event.dataset:custom.badapp'));
    h.check('nothing was activated', api.status === 200 && api.body.events.length === 0, api.text.slice(0, 300));
  });

  await h.section('saved: active for the next line, no restart', async () => {
    await page.fill('#builder-definition', definition(`${EVIL}0`));
    await page.click('#builder-save');
    await page.waitForSelector('#builder-saved .ok');
    const saved = await page.textContent('#builder-saved');
    h.check('the page says it is saved and active', saved.includes('Saved badapp') && saved.includes('active now'), saved);
    await sendSyslog(tcp, line(3) + '\n');
    const found = await until(async () => {
      const r = await h.api('/api/v1/search?q=' + encodeURIComponent('event.dataset:custom.badapp'));
      return r.status === 200 && r.body.events.length === 1 ? r.body.events[0] : null;
    });
    h.check('the next line is parsed by the saved definition', found?.['user.name'] === `${EVIL}3` && found?.['event.action'] === 'deny',
      JSON.stringify(found).slice(0, 400));
    await h.shot(page, 'parser-saved');
  });

  await h.section('the Unparsed page still shows the attacker lines as text', async () => {
    await page.click('#unparsed-refresh');
    await page.waitForSelector('#unparsed-shapes .unparsed-shape');
    const text = await page.textContent('#unparsed-shapes');
    h.check('the old lines are listed, as text', text.includes(`${EVIL}1`), text.slice(0, 400));
    h.check('no <img> element anywhere', (await page.$$eval('img', (n) => n.length)) === 0, 'an img exists');
    h.check('window.__pwned was never set', (await page.evaluate(() => window.__pwned)) === undefined, 'set');
  });

  await h.section('page integrity', async () => h.checkPageIntegrity());
});
