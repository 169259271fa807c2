// tests/clients/shipper_clients.mjs (issue 29): real sender libraries against the real kamatama.
//
// The shipper fixtures in tests/data/shippers are written from format documents; here the
// requests are made by the senders' own code, from the npm registry (versions pinned in
// package-lock.json, installed by the clients_setup fixture):
//   - @elastic/elasticsearch 8 (the official client): its product check on the banner, `_bulk`
//     through client.bulk() with create/index actions and `_id`, a retry answered as a
//     duplicate, and client.helpers.bulk(); authenticated with an API key (id:token).
//   - winston-loki (a Winston transport): Loki's logproto.PushRequest encoded by protobufjs from
//     Loki's own push.proto, snappy-compressed by the snappy package, Basic auth with the token.
// Every stored event is read back through /api/v1/search and compared field by field with what
// the client was given. Run: node shipper_clients.mjs --binary PATH --out DIR --node-modules DIR
import { harness } from '../ui/lib.mjs';

const h = harness('shipper_clients');

// The search result for q (admin), as {status, events}.
async function search(q) {
  const r = await h.api(`/api/v1/search?q=${encodeURIComponent(q)}&limit=1000&from=2000-01-01T00:00:00Z`);
  return { status: r.status, events: (r.body && r.body.events) || [], text: r.text };
}

// Polls a search until it finds `want` events (bounded: 20 s; an ordering, not a time check).
async function eventually(q, want) {
  let last = { events: [] };
  for (let i = 0; i < 200; ++i) {
    last = await search(q);
    if (last.status !== 200) return last;
    if (last.events.length >= want) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  return last;
}

const byMessage = (events) => Object.fromEntries(events.map((e) => [e.message, e]));

async function elasticsearchClient(token) {
  const { Client } = h.require('@elastic/elasticsearch');
  const es = new Client({ node: h.base, auth: { apiKey: { id: 'node-client', api_key: token } }, maxRetries: 0 });

  const info = await es.info();
  h.check('info(): the client accepted the banner (its product check passed)', info && info.version && info.version.number,
    JSON.stringify(info));
  h.check('info(): Elasticsearch 8 version', /^8\./.test(info.version.number), info.version.number);

  const docs = [
    { '@timestamp': '2026-12-01T10:00:00.000Z', message: 'zzesclientzz first', host: { name: 'es-node-1' }, user: { name: 'alice' }, event: { action: 'login' } },
    { '@timestamp': '2026-12-01T10:00:01.250Z', message: 'zzesclientzz second', host: { name: 'es-node-1' }, source: { ip: '198.51.100.23' } },
    { '@timestamp': '2026-12-01T10:00:02.500Z', message: 'zzesclientzz third', host: { name: 'es-node-2' }, 'labels.team': 'blue' },
  ];
  const operations = [
    { create: { _index: 'logs-node', _id: 'zz-es-1' } }, docs[0],
    { index: { _index: 'logs-node', _id: 'zz-es-2' } }, docs[1],
    { create: { _index: 'logs-node' } }, docs[2],
  ];
  const first = await es.bulk({ operations });
  h.check('bulk(): no error', first.errors === false, JSON.stringify(first).slice(0, 800));
  h.check('bulk(): one item per action, in order', first.items.length === 3 &&
    first.items[0].create && first.items[1].index && first.items[2].create, JSON.stringify(first.items));
  h.check('bulk(): 201 for each new document', first.items.every((it) => Object.values(it)[0].status === 201),
    JSON.stringify(first.items));
  h.check('bulk(): the _id given is echoed', first.items[0].create._id === 'zz-es-1' && first.items[1].index._id === 'zz-es-2',
    JSON.stringify(first.items));

  // A retry of the same batch: create with a stored _id is a duplicate (409), index with one
  // "updated" (200), and the document without _id is stored again (no way to tell).
  const retry = await es.bulk({ operations });
  const st = retry.items.map((it) => Object.values(it)[0].status);
  h.check('bulk() retry: 409 for create with a stored _id, 200 for index, 201 without _id',
    st[0] === 409 && st[1] === 200 && st[2] === 201, JSON.stringify(retry.items));
  h.check('bulk() retry: the 409 is a version conflict', retry.items[0].create.error &&
    retry.items[0].create.error.type === 'version_conflict_engine_exception', JSON.stringify(retry.items[0]));

  // The helper the client offers for streams of documents (it sends `_bulk` itself).
  const helperDocs = [];
  for (let i = 0; i < 50; ++i) helperDocs.push({ '@timestamp': `2026-12-01T11:00:${String(i).padStart(2, '0')}.000Z`, message: `zzeshelperzz ${i}`, seq: i });
  const stats = await es.helpers.bulk({ datasource: helperDocs, onDocument: () => ({ create: { _index: 'logs-helper' } }), flushBytes: 1000 });
  h.check('helpers.bulk(): 50 successful, none failed, in more than one request', stats.successful === 50 && stats.failed === 0,
    JSON.stringify(stats));

  const got = await eventually('zzesclientzz', 4);
  h.check('search answered 200', got.status === 200, got.text);
  const m = byMessage(got.events);
  h.check('4 events stored (3, and the retried document without _id once more)', got.events.length === 4,
    got.events.map((e) => e.message).join(' | '));
  for (const d of docs) {
    const e = m[d.message];
    if (!h.check(`stored: "${d.message}"`, !!e, Object.keys(m).join(' | '))) continue;
    h.check(`"${d.message}": @timestamp as sent`, e['@timestamp'] === d['@timestamp'], e['@timestamp']);
    h.check(`"${d.message}": host.name as sent`, e['host.name'] === d.host.name, e['host.name']);
    if (d.user) h.check(`"${d.message}": user.name as sent`, e['user.name'] === d.user.name, JSON.stringify(e));
    if (d.event) h.check(`"${d.message}": event.action as sent`, e['event.action'] === d.event.action, JSON.stringify(e));
    if (d.source) h.check(`"${d.message}": source.ip as sent`, e['source.ip'] === d.source.ip, JSON.stringify(e));
    if (d['labels.team']) h.check(`"${d.message}": labels.team as sent`, e['labels.team'] === 'blue', JSON.stringify(e));
  }
  const helper = await eventually('zzeshelperzz', 50);
  const seqs = new Set(helper.events.map((e) => Number(e.seq)));
  h.check('helpers.bulk(): all 50 stored once, with their own fields', helper.events.length === 50 && seqs.size === 50,
    `${helper.events.length} events, ${seqs.size} distinct seq`);
  const e7 = helper.events.find((e) => e.message === 'zzeshelperzz 7');
  h.check('helpers.bulk(): @timestamp of document 7', e7 && e7['@timestamp'] === '2026-12-01T11:00:07.000Z', JSON.stringify(e7));
  await es.close();
}

async function winstonLoki(token) {
  const winston = h.require('winston');
  const LokiTransport = h.require('winston-loki');
  const errors = [];
  const transport = new LokiTransport({
    host: h.base,
    basicAuth: `loki-sender:${token}`,
    labels: { job: 'nodeclient' },
    json: false, // protobuf + snappy, what Promtail and Alloy send
    replaceTimestamp: false,
    interval: 3600, // sent by close() below, in one request
    format: winston.format.printf((info) => info.message),
    onConnectionError: (e) => errors.push(String(e)),
  });
  // Without the snappy binary, winston-loki silently falls back to JSON: that would not test the
  // protobuf path at all.
  h.check('winston-loki sends protobuf (snappy loaded, no JSON fallback)',
    transport.batcher.options.json === false && transport.batcher.contentType === 'application/x-protobuf',
    `json=${transport.batcher.options.json} contentType=${transport.batcher.contentType}`);
  const logger = winston.createLogger({ level: 'info', transports: [transport] });
  const lines = [
    { message: 'zzlokiclientzz plain line one', timestamp: '2026-12-02T08:00:00.123Z', labels: { host: 'loki-node-1' } },
    { message: 'zzlokiclientzz plain line two', timestamp: '2026-12-02T08:00:01.456Z', labels: { host: 'loki-node-1' } },
    { message: 'zzlokiclientzz warned', timestamp: '2026-12-02T08:00:02.789Z', labels: { host: 'loki-node-2', app: 'billing' }, level: 'warn' },
  ];
  for (const l of lines) logger.log({ level: l.level || 'info', message: l.message, timestamp: l.timestamp, labels: l.labels });
  await transport.close(); // sends the batch and waits for the answer (flush() waits for the timer)
  h.check('winston-loki: no connection error', errors.length === 0, errors.join('; '));

  const got = await eventually('zzlokiclientzz', 3);
  h.check('search answered 200', got.status === 200, got.text);
  h.check('3 Loki entries stored', got.events.length === 3, got.events.map((e) => e.message).join(' | '));
  const m = byMessage(got.events);
  for (const l of lines) {
    const e = m[l.message];
    if (!h.check(`stored: "${l.message}"`, !!e, Object.keys(m).join(' | '))) continue;
    h.check(`"${l.message}": @timestamp from the protobuf entry`, e['@timestamp'] === l.timestamp, e['@timestamp']);
    h.check(`"${l.message}": the host label is host.name`, e['host.name'] === l.labels.host, JSON.stringify(e));
    h.check(`"${l.message}": labels.job from the stream labels`, e['labels.job'] === 'nodeclient', JSON.stringify(e));
    h.check(`"${l.message}": labels.level is the Winston level`, e['labels.level'] === (l.level || 'info'), JSON.stringify(e));
    if (l.labels.app) h.check(`"${l.message}": labels.app`, e['labels.app'] === 'billing', JSON.stringify(e));
  }
}

await h.run(async () => {
  await h.startServer();
  const tok = await h.api('/api/v1/tokens', { method: 'POST', body: { name: 'node-clients', scopes: ['ingest'] } });
  const token = tok.body && tok.body.token;
  if (!h.check('an ingest token was created', tok.status === 201 && /^kmt_/.test(token || ''), tok.text)) return;
  await h.section('Elasticsearch client (@elastic/elasticsearch 8)', () => elasticsearchClient(token));
  await h.section('Loki push from winston-loki (protobuf, snappy)', () => winstonLoki(token));
});
