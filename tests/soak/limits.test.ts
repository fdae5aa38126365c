// The server's resource limits (engine/rpc/server.ts, connection.ts, jsonrpc.ts), breached one by
// one against an in-process OvsdbServer on a unix socket: each breach of an enforced limit gets an
// error reply and/or a log line and closes only the offending connection; breaches of limits the
// server does NOT enforce (connections, monitors per client, rows per transaction, requests in
// flight) must at least not crash it. Every test ends by checking the server still serves others.
import t, { type Test } from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Json, JsonObject } from '../../engine/ovsdb/api.js';
import { createDatabase } from '../../engine/ovsdb/database.js';
import { readSchemaFile } from '../../engine/ovsdb/schema-file.js';
import { connectOvsdb } from '../../engine/rpc/client.js';
import { DEFAULT_MAX_DEPTH, DEFAULT_MAX_MESSAGE_BYTES } from '../../engine/rpc/jsonrpc.js';
import type { Logger } from '../../engine/rpc/logger.js';
import { DEFAULT_MAX_SEND_BACKLOG, OvsdbServer, type ServerOptions } from '../../engine/rpc/server.js';
import { OvsError } from '../../engine/util/errors.js';
import { checkLimit, LimitError, SERVER_LIMITS, unenforcedLimits } from '../../engine/util/limits.js';
import { VSWITCH_SCHEMA } from './servers.js';
import { rawConnection } from '../lib/raw-jsonrpc.js';

t.setTimeout(600_000); // also when the file is run directly (tap's default is 30 s)

const schema = readSchemaFile(VSWITCH_SCHEMA);

interface Harness { server: OvsdbServer; sock: string; logs: string[] }

async function startServer(t: Test, opts: ServerOptions = {}): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'ovsps-h9-limits-'));
  const logs: string[] = [];
  const logger: Logger = {
    info: (m) => logs.push(`INFO ${m}`), warn: (m) => logs.push(`WARN ${m}`), err: (m) => logs.push(`ERR ${m}`), dbg: () => {},
  };
  const server = new OvsdbServer({ ...opts, logger });
  const db = createDatabase(schema);
  await db.transact([{ op: 'insert', table: 'Open_vSwitch', row: {} }]);
  server.addDatabase(db);
  const sock = join(dir, 'db.sock');
  await server.listen(`punix:${sock}`);
  t.teardown(async () => { await server.close(); rmSync(dir, { recursive: true, force: true }); });
  return { server, sock, logs };
}


async function stillServes(t: Test, h: Harness): Promise<void> {
  const c = await connectOvsdb(`unix:${h.sock}`);
  t.same(await c.echo(['alive']), ['alive'], 'the server still answers other clients');
  await c.close();
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([p, new Promise<T>((_, rej) => { timer = setTimeout(() => rej(new Error(`${what}: nothing after ${ms} ms`)), ms); })])
    .finally(() => clearTimeout(timer));
}

t.test('message size limit: error reply, log line, connection closed', async (t) => {
  const h = await startServer(t, { maxMessageBytes: 64 * 1024 });
  const c = await rawConnection(h.sock);
  c.s.write(JSON.stringify({ id: 1, method: 'echo', params: ['x'.repeat(100 * 1024)] }));
  await withTimeout(c.closed, 5000, 'close after an oversized message');
  const reply = c.got[0] as JsonObject | undefined;
  t.match(reply, { error: { error: 'syntax error', details: /size limit of 65536 bytes/ } }, 'JSON-RPC error names the limit');
  t.ok(h.logs.some((l) => /WARN .*size limit/.test(l)), 'a warning is logged');
  await stillServes(t, h);
});

t.test('nesting depth limit: error reply, log line, connection closed', async (t) => {
  const h = await startServer(t, { maxDepth: 50 });
  const c = await rawConnection(h.sock);
  c.s.write(`{"id":1,"method":"echo","params":${'['.repeat(60)}${']'.repeat(60)}}`);
  await withTimeout(c.closed, 5000, 'close after a too-deep message');
  t.match(c.got[0], { error: { error: 'syntax error', details: /nesting exceeds the limit of 50/ } }, 'JSON-RPC error names the limit');
  t.ok(h.logs.some((l) => /WARN .*nesting/.test(l)), 'a warning is logged');
  await stillServes(t, h);
});

t.test('deep nesting just under the default limit inside transact parameters: an error, not a crash', async (t) => {
  const h = await startServer(t);
  const c = await connectOvsdb(`unix:${h.sock}`);
  const deep = JSON.parse('['.repeat(990) + ']'.repeat(990)) as Json;
  const res = await c.request('transact', ['Open_vSwitch', { op: 'select', table: 'Bridge', where: [['name', '==', deep]] }])
    .catch((e: Error) => e.message);
  t.match(JSON.stringify(res), /error/, 'the transaction reports an error');
  await c.close();
  await stillServes(t, h);
});

t.test('slow client: a monitor that stops reading is disconnected at the send backlog limit', async (t) => {
  const h = await startServer(t, { maxSendBacklog: 256 * 1024 });
  const slow = await rawConnection(h.sock);
  slow.s.write(JSON.stringify({ id: 1, method: 'monitor_cond', params: ['Open_vSwitch', 'm', { Bridge: [{ columns: ['name', 'external_ids'] }] }] }));
  await withTimeout((async () => { while (!slow.got.length) await new Promise((r) => setTimeout(r, 10)); })(), 5000, 'monitor reply');
  slow.s.pause(); // stop reading: the kernel buffers fill, then the server's queue grows
  const w = await connectOvsdb(`unix:${h.sock}`);
  const big = 'b'.repeat(20 * 1024);
  let committed = 0;
  for (let i = 0; i < 200 && !h.logs.some((l) => /slow peer/.test(l)); i++) {
    const r = await w.transact('Open_vSwitch', [
      { op: 'insert', table: 'Bridge', 'uuid-name': 'b', row: { name: `br${i}`, external_ids: ['map', [['blob', big]]] } },
      { op: 'mutate', table: 'Open_vSwitch', where: [], mutations: [['bridges', 'insert', ['set', [['named-uuid', 'b']]]]] },
    ]);
    if (!JSON.stringify(r).includes('"error"')) committed++;
  }
  t.ok(committed > 0, `the writer kept committing (${committed} transactions)`);
  t.ok(h.logs.some((l) => /WARN .*not read by the peer.*disconnecting slow peer/.test(l)), 'the slow peer is logged and dropped');
  slow.s.resume();
  await withTimeout(slow.closed, 5000, 'slow client closed');
  await w.close();
  await stillServes(t, h);
});

t.test('300 connections at once under the default connection limit: all served, no crash', async (t) => {
  const h = await startServer(t);
  const cs = [];
  for (let i = 0; i < 300; i++) cs.push(await rawConnection(h.sock));
  t.equal(h.server.sessions.size >= 300, true, `${h.server.sessions.size} sessions accepted (the default connection limit is higher)`);
  for (const c of cs) c.s.destroy();
  await stillServes(t, h);
});

t.test('2000 monitors on one connection (default limit): no crash', async (t) => {
  const h = await startServer(t);
  const c = await connectOvsdb(`unix:${h.sock}`);
  let accepted = 0;
  for (let i = 0; i < 2000; i++) {
    await c.monitor('Open_vSwitch', `m${i}`, { Open_vSwitch: [{ columns: ['bridges'] }] }, () => {}).then(() => accepted++, () => {});
  }
  t.equal(accepted, 2000, `${accepted} monitors accepted on one connection (the default per-client monitor limit is higher)`);
  await c.close();
  await stillServes(t, h);
});

t.test('5000 inserts in one transact (under the default operations limit): no crash', async (t) => {
  const h = await startServer(t);
  const c = await connectOvsdb(`unix:${h.sock}`);
  const ops: Json[] = [];
  for (let i = 0; i < 5000; i++) ops.push({ op: 'insert', table: 'Bridge', 'uuid-name': `b${i}`, row: { name: `big${i}` } });
  ops.push({ op: 'mutate', table: 'Open_vSwitch', where: [], mutations: [['bridges', 'insert', ['set', Array.from({ length: 5000 }, (_, i) => ['named-uuid', `b${i}`])]]] });
  const r = await c.transact('Open_vSwitch', ops);
  t.equal(r.length, ops.length, 'answered with one result per op (under the default operations-per-transaction limit)');
  t.notMatch(JSON.stringify(r.at(-1)), /error/, 'and it committed');
  await c.close();
  await stillServes(t, h);
});

t.test('20000 pipelined echos (requests in flight limit): answered or refused, no crash', async (t) => {
  const h = await startServer(t);
  const c = await rawConnection(h.sock);
  const n = 20000;
  c.s.write(Array.from({ length: n }, (_, i) => JSON.stringify({ id: i, method: 'echo', params: [i] })).join(''));
  await withTimeout((async () => { while (c.got.length < n && !c.s.destroyed) await new Promise((r) => setTimeout(r, 20)); })(), 30000, 'pipelined echo replies');
  t.equal(c.got.length, n, 'every pipelined request answered');
  c.s.destroy();
  await stillServes(t, h);
});

t.test('engine/util/limits.ts: the table matches what the engine enforces; LimitError names the limit', async (t) => {
  t.equal(SERVER_LIMITS.maxMessageBytes.value, DEFAULT_MAX_MESSAGE_BYTES, 'maxMessageBytes = jsonrpc.ts default');
  t.equal(SERVER_LIMITS.maxDepth.value, DEFAULT_MAX_DEPTH, 'maxDepth = jsonrpc.ts default');
  t.equal(SERVER_LIMITS.maxSendBacklog.value, DEFAULT_MAX_SEND_BACKLOG, 'maxSendBacklog = server.ts default');
  t.comment(`not enforced yet: ${unenforcedLimits().join(', ')}`);
  t.throws(() => checkLimit('maxMonitorsPerSession', 5000, 4096, 'unix:x'), { code: 'OVS_E_LIMIT', message: 'unix:x: maxMonitorsPerSession exceeded: 5000 monitors, the limit is 4096 monitors' });
  t.doesNotThrow(() => checkLimit('maxOpsPerTransaction', 10));
  t.ok(new LimitError('maxConnections', 2, 1) instanceof OvsError, 'LimitError is an OvsError');
});
