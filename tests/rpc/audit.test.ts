// The audit trail (engine/rpc/audit.ts, peer-identity.ts): who (unix peer credentials through
// SO_PEERCRED, TCP address, TLS subject is in rbac.test.ts) and what, for committed transactions
// and management calls; as log lines and as a JSON-lines file; options of ovsdb-server.
import t from 'tap';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JsonObject } from '../../engine/ovsdb/api.js';
import { parseServerArgs } from '../../engine/cli/ovsdb-server.js';
import { connectOvsdb } from '../../engine/rpc/client.js';
import { describePeer, identifyPeer } from '../../engine/rpc/peer-identity.js';
import { AUDIT_BATCH_MS, summarizeOps } from '../../engine/rpc/audit.js';
import { needRealOvs } from '../lib/env.js';
import { errorOf, MemoryLogger, sleep, startServer } from './helpers.js';

const auditLines = (l: MemoryLogger): string[] => l.lines.filter((x) => / (transact|method) /.test(x));
/** Audit log lines are written in batches, at most AUDIT_BATCH_MS late. */
const batch = () => sleep(AUDIT_BATCH_MS * 3);

t.test('unix client: committed writes are logged with pid/uid/gid and command; reads are not', { skip: process.platform !== 'linux' && 'SO_PEERCRED is Linux' }, async (t) => {
  const h = await startServer();
  t.teardown(() => h.close());
  const c = await h.connect();
  await c.transact('T', [{ op: 'select', table: 'A', where: [] }]);
  await batch();
  t.same(auditLines(h.logger), [], 'a read-only transaction is not audited');
  const r = await c.transact('T', [
    { op: 'insert', table: 'A', row: { name: 'x' } },
    { op: 'update', table: 'A', where: [], row: { n: 1 } },
    { op: 'comment', comment: 'by the test' },
  ]);
  const uuid = (r[0] as { uuid: [string, string] }).uuid[1];
  await batch();
  const lines = auditLines(h.logger);
  t.equal(lines.length, 1, 'one line');
  const uid = process.getuid!();
  const gid = process.getgid!();
  t.equal(lines[0]!.replace(/unix#\d+/, 'unix#N'), `INFO unix#N [unix pid=${process.pid} uid=${uid} gid=${gid} (node)] transact T: insert A ${uuid}, update A [n] (1 row) (comment: "by the test"): committed`);
  await c.transact('T', [{ op: 'insert', table: 'A', row: { name: 'x' } }]);
  await batch();
  t.match(auditLines(h.logger)[1], /transact T: insert A [0-9a-f-]{36}: failed \(constraint violation: /, 'a failed write is logged as failed');
});

t.test('tcp client: the peer address; management methods: method, params, outcome', async (t) => {
  const h = await startServer();
  t.teardown(() => h.close());
  h.server.registerMethod('ovsps/set-thing', async (params) => ({ set: params[0] ?? null }));
  h.server.registerMethod('ovsps/fail', async () => { throw new Error('no such bridge'); });
  const l = await h.server.listen('ptcp:0:127.0.0.1');
  const c = await connectOvsdb(l.target);
  t.teardown(() => c.close());
  await c.request('ovsps/set-thing', [{ name: 'br0', argv: ['add-br', 'br0'] }]);
  await errorOf(c.request('ovsps/fail', []));
  await c.transact('T', [{ op: 'insert', table: 'A', row: { name: 'y' } }]);
  await batch();
  const lines = auditLines(h.logger);
  t.match(lines[0], /^INFO tcp:127\.0\.0\.1:(\d+) \[tcp 127\.0\.0\.1:\1\] method ovsps\/set-thing: \[\{"name":"br0","argv":\["add-br","br0"\]\}\]: ok$/);
  t.match(lines[1], /method ovsps\/fail: \[\]: failed \(no such bridge\)$/);
  t.match(lines[2], /^INFO tcp:127\.0\.0\.1:\d+ \[tcp 127\.0\.0\.1:\d+\] transact T: insert A [0-9a-f-]{36}: committed$/);
});

t.test('audit file: one JSON object per line; log lines can be turned off', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ovsps-h21-audit-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'audit.jsonl');
  const h = await startServer({ audit: { file, log: false } });
  t.teardown(() => h.close());
  const c = await h.connect();
  await c.transact('T', [{ op: 'insert', table: 'A', row: { name: 'z' } }]);
  h.server.registerMethod('ovsps/x', async () => null);
  await c.request('ovsps/x', [1]);
  await batch();
  t.same(auditLines(h.logger), [], 'no audit log lines');
  const recs = readFileSync(file, 'utf8').trim().split('\n').map((x) => JSON.parse(x) as JsonObject);
  t.equal(recs.length, 2);
  t.match(recs[0], { client: /^unix#\d+$/, kind: 'transact', target: 'T', summary: /^insert A /, outcome: 'committed', time: /^\d{4}-\d\d-\d\dT/ });
  if (process.platform === 'linux') t.match(recs[0]!.peer, { transport: 'unix', pid: process.pid, uid: process.getuid!(), command: 'node' });
  t.match(recs[1], { kind: 'method', target: 'ovsps/x', summary: '[1]', outcome: 'ok' });
});

t.test('an unwritable audit file is refused at start with a clear error', async (t) => {
  const h = await startServer();
  t.teardown(() => h.close());
  const { OvsdbServer } = await import('../../engine/rpc/server.js');
  t.throws(() => new OvsdbServer({ audit: { file: join(h.dir, 'no', 'such', 'dir', 'a.log') } }), { code: 'OVS_E_AUDIT_FILE', message: /cannot open audit file .*a\.log/ });
});

t.test('another process: real ovsdb-client over the unix socket is named by its own pid and command', { skip: needRealOvs() || (process.platform !== 'linux' && 'Linux') }, async (t) => {
  const h = await startServer();
  t.teardown(() => h.close());
  // Asynchronously: the server runs in this process.
  await promisify(execFile)('ovsdb-client', ['--timeout=20', 'transact', h.target, JSON.stringify(['T', { op: 'insert', table: 'A', row: { name: 'from-client' } }])]);
  await batch();
  const line = auditLines(h.logger)[0] ?? '';
  const m = /\[unix pid=(\d+) uid=\d+ gid=\d+ \(ovsdb-client\)\] transact T: insert A /.exec(line);
  t.ok(m, `audit line names ovsdb-client: ${line}`);
  t.not(Number(m?.[1]), process.pid, 'its pid, not ours');
});

t.test('read-only management calls are not audited; changes are', async (t) => {
  const h = await startServer();
  t.teardown(() => h.close());
  for (const m of ['ovsps/bridges', 'ovsps/ofctl', 'ovsps/dpctl', 'ovsps/vsctl']) h.server.registerMethod(m, async () => null);
  const c = await h.connect();
  await c.request('ovsps/bridges', [{}]);
  await c.request('ovsps/ofctl', [{ command: 'dump-flows', bridge: 'br0' }]);
  await c.request('ovsps/dpctl', [{ command: 'show' }]);
  await c.request('ovsps/vsctl', [{ argv: ['--timeout=5', 'list-br', '--', '--columns=name', 'list', 'Bridge'] }]);
  await c.request('ovsps/vsctl', [{ commands: [['get', 'Bridge', 'br0', 'name'], ['show']] }]);
  await batch();
  t.same(auditLines(h.logger), [], 'reads are not audited');
  await c.request('ovsps/ofctl', [{ command: 'add-flow', bridge: 'br0', args: ['actions=drop'] }]);
  await c.request('ovsps/vsctl', [{ argv: ['list-br', '--', '--may-exist', 'add-br', 'br9'] }]);
  await c.request('ovsps/vsctl', [{ commands: [['show'], ['del-br', 'br9']] }]);
  await c.request('ovsps/dpctl', [{ command: 'del-flows' }]);
  await batch();
  const l = auditLines(h.logger);
  t.equal(l.length, 4, 'each change is audited');
  t.match(l[1], /method ovsps\/vsctl: \[\{"argv":\["list-br","--","--may-exist","add-br","br9"\]\}\]: ok$/);
  t.match(l[3], /method ovsps\/dpctl: \[\{"command":"del-flows"\}\]: ok$/);
});

t.test('identifyPeer/describePeer and op summaries', async (t) => {
  const { PassThrough } = await import('node:stream');
  t.same(identifyPeer(new PassThrough()), { transport: 'stream' });
  t.equal(describePeer({ transport: 'tcp', address: '::1', port: 5 }), 'tcp [::1]:5');
  t.equal(describePeer({ transport: 'ssl', subject: 'CN=a', address: '10.0.0.1', port: 7 }), 'ssl subject="CN=a" 10.0.0.1:7');
  t.equal(summarizeOps([
    { op: 'mutate', table: 'Bridge', where: [], mutations: [['ports', 'insert', ['set', []]], ['flood_vlans', 'delete', 1]] },
    { op: 'delete', table: 'Port', where: [] },
    { op: 'select', table: 'Port', where: [] },
  ], [{ count: 1 }, { count: 0 }, { rows: [] }]), 'mutate Bridge [ports,flood_vlans] (1 row), delete Port (0 rows)');
});

t.test('ovsdb-server options: limits and audit', async (t) => {
  const r = parseServerArgs(['--max-connections=10', '--max-message-bytes', '1M', '--max-monitors-per-client=5', '--max-ops-per-transaction=7',
    '--max-requests-in-flight=3', '--max-send-backlog=64k', '--max-json-depth=40', '--audit-file=audit.jsonl', '--no-audit-log', 'db']);
  t.equal(r.kind, 'run');
  if (r.kind !== 'run') return;
  t.same(r.args.limits, { maxConnections: 10, maxMessageBytes: 1048576, maxMonitorsPerSession: 5, maxOpsPerTransaction: 7, maxInFlightPerSession: 3, maxSendBacklog: 65536, maxDepth: 40 });
  t.equal(r.args.auditFile, 'audit.jsonl');
  t.equal(r.args.noAuditLog, true);
  t.same(parseServerArgs(['--max-connections=none']), { kind: 'fatal', message: '--max-connections: "none" is not a positive integer (a k, M or G suffix multiplies by 1024)' });
  const { parseEngineFlags } = await import('../../engine/ovs-engine.js');
  const ef = parseEngineFlags(['--no-switch', '--max-connections=10', '--audit-file=a.jsonl'], {});
  t.same(ef.rest, ['--max-connections=10', '--audit-file=a.jsonl'], 'the engine passes them to its OVSDB server');
  const help = parseServerArgs(['--help']);
  t.match(help.kind === 'print' ? help.text : '', /--max-connections=N +default 4096 connections/);
});
