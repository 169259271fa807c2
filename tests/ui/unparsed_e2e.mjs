// tests/ui/unparsed_e2e.mjs: the Unparsed page and its parser builder in Chromium (issue 23). The
// test sends syslog lines over TCP to the real server: 5 of an appliance ("acmegw") no parser
// knows, 2 from another host whose text is an HTML injection, and 3 sshd failures that the
// built-in parser takes (they must not be listed). Expectations come from what was sent: the
// API's counts per source and shape, the page listing the same, the injected <img onerror> shown
// as text (no <img> element, no script run), and the builder: a definition proposed from a
// sample that, tried on the samples, takes all three with the addresses and ports the lines hold;
// an edit with a broken regex reported with its position; the injected lines tried as text.
import fs from 'node:fs';
import path from 'node:path';
import { harness, sendSyslog, sleep } from './lib.mjs';

const h = harness('unparsed_e2e');
const EVIL = '<img src=x onerror="window.__pwned=1">';

function lines() {
  const out = [];
  for (let i = 0; i < 5; i++) {
    out.push(`<134>Dec  7 10:15:3${i} gw1 acmegw[211]: blocked connection from 203.0.113.4${i} port 5231${i} to 198.51.100.2 port 3389`);
  }
  out.push(`<134>Dec  7 10:16:00 evilhost x[1]: ${EVIL} hello`);
  out.push(`<134>Dec  7 10:16:01 evilhost x[1]: ${EVIL} hello`);
  for (let i = 0; i < 3; i++) out.push(`<38>Dec  7 10:17:0${i} srv1 sshd[99]: Failed password for root from 192.0.2.${i + 1} port 4000${i} ssh2`);
  return out;
}

// Polls the API until the server has stored the unparsed lines sent (group commit).
async function unparsedStored(want) {
  for (let i = 0; i < 200; i++) {
    const r = await h.api('/api/v1/unparsed');
    if (r.status === 200 && r.body.scanned >= want) return r.body;
    await sleep(100);
  }
  return (await h.api('/api/v1/unparsed')).body;
}

await h.run(async () => {
  await h.startServer();
  const log = fs.readFileSync(path.join(h.OUT, 'server.log'), 'utf8');
  const tcp = /syslog tcp listening on (\S+)/.exec(log)[1];
  await sendSyslog(tcp, lines().join('\n') + '\n');
  const data = await unparsedStored(7);

  await h.section('the API lists the unparsed sources and shapes', async () => {
    const src = (host, program) => data.sources.find((s) => s.host === host && s.program === program);
    h.check('7 unparsed lines scanned (the sshd lines were parsed)', data.scanned === 7, JSON.stringify(data).slice(0, 800));
    h.check('gw1/acmegw: 5 lines', src('gw1', 'acmegw')?.count === 5, JSON.stringify(data.sources));
    h.check('evilhost/x: 2 lines', src('evilhost', 'x')?.count === 2, JSON.stringify(data.sources));
    h.check('no sshd source', !data.sources.some((s) => s.program === 'sshd'), JSON.stringify(data.sources));
    const shape = data.shapes.find((s) => s.program === 'acmegw');
    h.check('the acmegw lines are one shape of 5 with 3 samples', shape?.count === 5 && shape.samples.length === 3, JSON.stringify(shape));
    h.check('its shape hides the addresses and numbers', /from <IP> port <N> to <IP> port <N>/.test(shape?.shape || ''), shape?.shape);
    const evil = data.shapes.find((s) => s.host === 'evilhost');
    h.check('the injected sample comes back verbatim in JSON', evil?.samples[0].includes(EVIL), JSON.stringify(evil));
  });

  const { page } = await h.browser();
  await h.login(page);

  await h.section('the Unparsed page', async () => {
    await page.click('#nav-unparsed');
    await page.waitForSelector('#unparsed-shapes .unparsed-shape');
    const table = await page.textContent('#unparsed-sources-table');
    h.check('the sources table names gw1 acmegw and evilhost', table.includes('gw1') && table.includes('acmegw') && table.includes('evilhost'), table);
    const shapes = await page.$$eval('#unparsed-shapes .unparsed-shape', (n) => n.length);
    h.check('one block per shape (2)', shapes === 2, String(shapes));
    const text = await page.textContent('#unparsed-shapes');
    h.check('the injected line is shown as text', text.includes(EVIL), text.slice(0, 500));
    h.check('no <img> element came from a log line', (await page.$$eval('main img, #unparsed-shapes img', (n) => n.length)) === 0, 'an img exists');
    h.check('the URL is ?view=unparsed', page.url().endsWith('/?view=unparsed'), page.url());
    await h.shot(page, 'unparsed-page');
  });

  await h.section('the parser builder', async () => {
    const idx = data.shapes.findIndex((s) => s.program === 'acmegw');
    await page.click(`#unparsed-shapes button.build-parser[data-shape="${idx}"]`);
    await page.waitForFunction(() => document.querySelector('#builder-definition')?.value.includes('parser:'), null, { timeout: 15000 });
    const def = await page.inputValue('#builder-definition');
    h.check('the proposal names the program and a grok step', def.includes("program: 'acmegw'") && def.includes('grok:'), def);
    await page.click('#builder-test');
    await page.waitForSelector('#builder-summary');
    const summary = await page.textContent('#builder-summary');
    h.check('the proposal takes the 3 samples', summary.includes('3 of 3 lines taken') && summary.includes('1 loaded, 0 invalid'), summary);
    const result = await page.textContent('#builder-result');
    const sample = data.shapes[idx].samples[0];
    const [, ip, port] = /from (\S+) port (\d+)/.exec(sample);
    h.check('the fields hold the first sample\'s source address and port', result.includes(`source.ip${ip}`) && result.includes(`source.port${port}`), result.slice(0, 600));
    h.check('and the destination', result.includes('destination.ip198.51.100.2') && result.includes('destination.port3389'), result.slice(0, 600));
    // The same answer through the API, from the definition as the page holds it.
    const api = await h.api('/api/v1/unparsed/test', { method: 'POST', body: { definition: def, lines: data.shapes[idx].samples } });
    h.check('the API agrees: every sample taken with its source.ip', api.status === 200 && api.body.results.every((r, i) =>
      r.declarative && r.event['source.ip'] === /from (\S+)/.exec(data.shapes[idx].samples[i])[1]), api.text.slice(0, 600));
    await page.fill('#builder-definition', def.replace(/grok: '.*'/, "regex: '(unclosed'"));
    await page.click('#builder-test');
    await page.waitForSelector('.problem');
    const problem = await page.textContent('#builder-result');
    h.check('a broken regex is reported with its line and column', /definition:\d+:\d+: /.test(problem) && problem.includes('0 loaded, 1 invalid'), problem.slice(0, 400));
    await h.shot(page, 'unparsed-builder');
  });

  await h.section('an injected line through the builder stays text', async () => {
    const idx = data.shapes.findIndex((s) => s.host === 'evilhost');
    await page.click(`#unparsed-shapes button.build-parser[data-shape="${idx}"]`);
    await page.waitForFunction(() => document.querySelector('#builder-definition')?.value.includes('parser:'), null, { timeout: 15000 });
    await page.click('#builder-test');
    await page.waitForSelector('#builder-summary');
    const result = await page.textContent('#builder-result');
    h.check('the result shows the line as text', result.includes(EVIL), result.slice(0, 400));
    h.check('no <img> element anywhere in the page', (await page.$$eval('img', (n) => n.length)) === 0, 'an img exists');
    h.check('window.__pwned was never set', (await page.evaluate(() => window.__pwned)) === undefined, 'set');
  });

  await h.section('page integrity', async () => h.checkPageIntegrity());
});
