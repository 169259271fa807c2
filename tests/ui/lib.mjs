// tests/ui/lib.mjs: the harness every Chromium test of the web UI shares.
//
// A test file does:
//   import { harness } from './lib.mjs';
//   const h = harness('alerts_e2e');            // reads --binary --out --node-modules --chromium --timeout
//   await h.run(async () => {
//     await h.startServer({ config: 'detection:\n  rules: [...]\n' });
//     const { page } = await h.browser();
//     await h.section('...', async () => { h.check('...', ok, detail); });
//   });                                          // prints the summary and exits 0 or 1
//
// The server is the real `kamatama serve` on free loopback ports with a fresh data directory and
// an admin whose password the harness knows (h.AUTH is its Basic header); Chromium is the
// system's, driven by playwright-core from --node-modules (installed by the ui_e2e_setup fixture).
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export const iso = (ms) => new Date(ms).toISOString();

// Sends `text` to a syslog TCP listener at HOST:PORT and resolves once the connection is closed.
export function sendSyslog(address, text) {
  const [host, port] = [address.slice(0, address.lastIndexOf(':')), Number(address.slice(address.lastIndexOf(':') + 1))];
  return new Promise((resolve, reject) => {
    const s = net.connect({ host, port }, () => s.end(text));
    s.on('close', resolve);
    s.on('error', reject);
  });
}

// The Content-Security-Policy the server sends with every UI response.
export const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

export function harness(name) {
  const args = {};
  for (let i = 2; i < process.argv.length; i += 2) args[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
  const BINARY = args.binary || process.env.KMT_BINARY;
  if (!BINARY) { console.error(`usage: ${name}.mjs --binary PATH --out DIR --node-modules DIR`); process.exit(2); }
  const OUT = path.resolve(args.out || `${name}-output`);
  const NODE_MODULES = path.resolve(args['node-modules'] || path.join(path.dirname(new URL(import.meta.url).pathname), 'node_modules'));
  const CHROMIUM = args.chromium || '/usr/bin/chromium';
  const TIMEOUT_S = Number(args.timeout || 240);
  fs.mkdirSync(OUT, { recursive: true });
  // Packages come from --node-modules; playwright-core is loaded only by tests that open a
  // browser (h.browser), so tests of other npm peers (tests/clients) share this harness.
  const require = createRequire(path.join(NODE_MODULES, 'noop.js'));

  const h = {
    name, args, BINARY, OUT, CHROMIUM, TIMEOUT_S, require,
    tmp: fs.mkdtempSync(path.join(os.tmpdir(), `kmt_${name}_`)),
    base: '',
    server: null,
    ADMIN_PW: 'kmt-ui-admin-pw',
    results: [],
    current: 'setup',
    pageProblems: [], // {kind, text, url}
    uiResponses: [], // {url, status, csp, xfo, ct, nosniff}
    context: null,
  };
  h.AUTH = 'Basic ' + Buffer.from('admin:' + h.ADMIN_PW).toString('base64');

  // ---- results --------------------------------------------------------------------------
  h.check = (what, ok, detail = '') => {
    h.results.push({ section: h.current, name: what, ok: !!ok, detail: ok ? '' : String(detail) });
    console.log(`${ok ? '  ok  ' : '  FAIL'} [${h.current}] ${what}${ok ? '' : ' -- ' + detail}`);
    return !!ok;
  };
  h.section = async (title, fn) => {
    h.current = title;
    console.log(`\n== ${title}`);
    try {
      await fn();
    } catch (e) {
      h.check('section ran to the end', false, (e && e.stack) || e);
    }
  };

  // ---- server ---------------------------------------------------------------------------
  // config: the YAML text of kamatama.yaml; extraArgs: more `serve` flags.
  h.startServer = ({ config = '', extraArgs = [], env = {} } = {}) => {
    const cfg = path.join(h.tmp, 'kamatama.yaml');
    fs.writeFileSync(cfg, config);
    const logPath = path.join(h.OUT, 'server.log');
    const log = fs.openSync(logPath, 'w');
    h.server = spawn(h.BINARY, ['serve', '--config', cfg, '--data-dir', path.join(h.tmp, 'data'),
      '--syslog-udp', '127.0.0.1:0', '--syslog-tcp', '127.0.0.1:0', '--http', '127.0.0.1:0', ...extraArgs],
    { stdio: ['ignore', log, log], env: { ...process.env, KAMATAMA_ADMIN_PASSWORD: h.ADMIN_PW, ...env } });
    const deadline = Date.now() + 30000;
    return new Promise((resolve, reject) => {
      const poll = () => {
        const text = fs.readFileSync(logPath, 'utf8');
        const m = /http listening on (\S+)/.exec(text);
        if (m) { h.base = `http://${m[1]}`; return resolve(h.base); }
        if (h.server.exitCode !== null) return reject(new Error('server exited during start-up:\n' + text));
        if (Date.now() > deadline) return reject(new Error('server did not start:\n' + text));
        setTimeout(poll, 50);
      };
      poll();
    });
  };

  // Stops the server and waits for it to exit (it syncs and flushes its store on SIGTERM:
  // removing the data directory before that races with its last writes). SIGKILL after 60 s.
  h.stopServer = () => {
    const s = h.server;
    if (!s || s.exitCode !== null || s.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      const kill = setTimeout(() => s.kill('SIGKILL'), 60000);
      s.once('exit', () => { clearTimeout(kill); resolve(); });
      s.kill('SIGTERM');
    });
  };

  // POST /api/v1/ingest as the admin; throws unless every line was accepted.
  h.ingest = async (lines) => {
    const res = await fetch(`${h.base}/api/v1/ingest`, { method: 'POST', headers: { 'Content-Type': 'application/x-ndjson', Authorization: h.AUTH }, body: lines.join('\n') + '\n' });
    const body = await res.json();
    if (res.status !== 200 || body.rejected) throw new Error(`ingest: ${res.status} ${JSON.stringify(body).slice(0, 500)}`);
    return body;
  };

  // An API call as the admin: {status, body (parsed JSON or null), headers}.
  h.api = async (p, { method = 'GET', body, headers = {} } = {}) => {
    const init = { method, headers: { Authorization: h.AUTH, ...headers } };
    if (body !== undefined) {
      init.body = typeof body === 'string' ? body : JSON.stringify(body);
      if (!init.headers['Content-Type']) init.headers['Content-Type'] = 'application/json';
    }
    const res = await fetch(h.base + p, init);
    const text = await res.text();
    let parsed = null;
    try { parsed = JSON.parse(text); } catch { parsed = null; }
    return { status: res.status, body: parsed, text, headers: res.headers };
  };
  h.apiJson = (p) => h.api(p);

  // ---- browser --------------------------------------------------------------------------
  h.watch = (page) => {
    page.on('dialog', async (d) => { h.pageProblems.push({ kind: 'dialog', text: d.message(), url: page.url() }); await d.dismiss().catch(() => {}); });
    page.on('pageerror', (e) => h.pageProblems.push({ kind: 'pageerror', text: String(e), url: page.url() }));
    page.on('console', (m) => { if (m.type() === 'error') h.pageProblems.push({ kind: 'console', text: m.text(), url: page.url() }); });
    page.on('response', (r) => {
      const u = new URL(r.url());
      if (u.origin !== h.base) return;
      const hd = r.headers();
      h.uiResponses.push({ url: u.pathname + u.search, status: r.status(), csp: hd['content-security-policy'] || '', xfo: hd['x-frame-options'] || '', ct: hd['content-type'] || '', nosniff: hd['x-content-type-options'] || '' });
    });
    return page;
  };

  // A persistent headless Chromium context and a watched page in it.
  h.browser = async () => {
    const { chromium } = require('playwright-core');
    const userDataDir = fs.mkdtempSync(path.join(h.tmp, 'chromium-'));
    h.context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: h.CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
        '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
      viewport: { width: 1280, height: 800 },
      timeout: 60000,
    });
    h.context.setDefaultTimeout(10000);
    const page = h.watch(await h.context.newPage());
    return { context: h.context, page };
  };

  h.shot = async (page, file) => {
    await page.screenshot({ path: path.join(h.OUT, `${file}.png`), fullPage: false }).catch((e) => console.log('screenshot failed', file, e.message));
  };

  // Signs in as the admin through the login form; a check says whether the search page came up.
  h.login = async (page) => {
    await page.goto(h.base + '/');
    await page.fill('#login-user', 'admin');
    await page.fill('#login-password', h.ADMIN_PW);
    await page.click('#login-submit');
    await page.waitForSelector('#q', { state: 'visible' });
    h.check('logged in', await page.isVisible('#q'), 'no query bar');
  };

  // Signs out, then in as another user through the login form; waits until the header names them.
  h.loginAs = async (page, user, password) => {
    await page.click('#logout');
    await page.waitForSelector('#login-user');
    await page.fill('#login-user', user);
    await page.fill('#login-password', password);
    await page.click('#login-submit');
    await page.waitForSelector(`#whoami:has-text("${user}")`);
  };

  // The search page has finished loading.
  h.idle = async (page) => {
    await page.waitForFunction(() => !document.querySelector('.search-page.loading, .search-page.busy'), null, { timeout: 15000 });
  };

  // Types q into the search box, presses Enter and waits for the answer.
  h.runQuery = async (page, q, { range } = {}) => {
    if (range) await page.selectOption('#range', range).catch(() => {});
    await page.fill('#q', q);
    const resp = page.waitForResponse((r) => r.url().includes('/api/v1/search?'), { timeout: 15000 });
    await page.press('#q', 'Enter');
    await resp;
    await h.idle(page);
  };

  // No dialog, page error, CSP violation or console error happened on any page.
  h.checkPageIntegrity = () => {
    const of = (kind, re) => h.pageProblems.filter((p) => p.kind === kind && (!re || re.test(p.text)));
    const dialogs = of('dialog');
    h.check('no dialog fired', dialogs.length === 0, JSON.stringify(dialogs));
    const errors = of('pageerror');
    h.check('no page error', errors.length === 0, JSON.stringify(errors).slice(0, 1500));
    const csp = of('console', /Content Security Policy|Refused to/i);
    h.check('no CSP violation', csp.length === 0, JSON.stringify(csp).slice(0, 1500));
    const other = h.pageProblems.filter((p) => p.kind === 'console' && !/Failed to load resource|Content Security Policy|Refused to/i.test(p.text));
    h.check('no other console error', other.length === 0, JSON.stringify(other).slice(0, 1500));
  };

  // Runs main under the time limit, stops the server, writes results.json, prints the summary
  // and exits 0 when every check passed (the temporary directory is kept on failure).
  h.run = async (main) => {
    const guard = setTimeout(() => {
      console.error(`\n${name}: timed out after ${h.TIMEOUT_S} s`);
      h.stopServer();
      process.exit(1);
    }, h.TIMEOUT_S * 1000);
    let failed = false;
    try {
      await main();
    } catch (e) {
      console.error(`${name}: aborted:`, (e && e.stack) || e);
      failed = true;
    } finally {
      clearTimeout(guard);
      if (h.context) await h.context.close().catch(() => {});
      await h.stopServer();
    }
    const bad = h.results.filter((r) => !r.ok);
    fs.writeFileSync(path.join(h.OUT, 'results.json'), JSON.stringify({ results: h.results, problems: h.pageProblems }, null, 1));
    console.log(`\n${name}: ${h.results.length - bad.length}/${h.results.length} checks passed; screenshots in ${h.OUT}`);
    for (const b of bad) console.log(`  FAILED [${b.section}] ${b.name}: ${b.detail.slice(0, 300)}`);
    if (h.results.length === 0) { console.log(`${name}: no check ran`); failed = true; }
    if (!failed && bad.length === 0) {
      try {
        fs.rmSync(h.tmp, { recursive: true, force: true });
      } catch (e) {
        console.log(`  note: could not remove ${h.tmp}: ${e.message}`);
      }
    }
    process.exit(failed || bad.length ? 1 : 0);
  };
  return h;
}
