// Server limits (engine/util/limits.ts, engine/rpc/limits.ts): each one set low through the config
// object, breached, answered with a JSON-RPC error naming the limit plus one WARN line naming the
// client, and the other clients keep being served.
import t, { type Test } from 'tap';
import type { Json, JsonObject } from '../../engine/ovsdb/api.js';
import { BadLimitError, limitForOption, parseLimitValue, resolveLimits, SERVER_LIMITS, unenforcedLimits } from '../../engine/util/limits.js';
import { errorOf, startServer, waitFor, type Harness } from './helpers.js';
import { rawConnection } from '../lib/raw-jsonrpc.js';



async function othersServed(t: Test, h: Harness): Promise<void> {
  const c = await h.connect();
  t.same(await c.echo(['still here']), ['still here'], 'another client is served');
  const r = await c.transact('T', [{ op: 'insert', table: 'A', row: { name: `other-${Math.random()}` } }]);
  t.notMatch(JSON.stringify(r), /error/, 'and can commit');
  await c.close();
}

const warnFor = (h: Harness, limit: string): string[] => h.logger.lines.filter((l) => l.startsWith('WARN ') && l.includes(limit));

t.test('limits table: every limit enforced, option names, validation', async (t) => {
  t.same(unenforcedLimits(), [], 'no limit is left unenforced');
  t.equal(limitForOption('max-connections'), 'maxConnections');
  t.equal(limitForOption('no-such-option'), undefined);
  t.equal(parseLimitValue('max-message-bytes', '64k'), 65536);
  t.equal(parseLimitValue('max-message-bytes', '2M'), 2 * 1024 * 1024);
  t.throws(() => parseLimitValue('max-connections', '0'), BadLimitError);
  t.throws(() => parseLimitValue('max-connections', '-5'), { code: 'OVS_E_BAD_LIMIT', message: /--max-connections: "-5" is not a positive integer/ });
  t.throws(() => resolveLimits({ maxConnections: 1.5 }), { message: /maxConnections must be a positive integer, got 1.5/ });
  t.throws(() => resolveLimits({ maxBogus: 3 }), { message: /unknown limit "maxBogus"/ });
  const l = resolveLimits({ maxMonitorsPerSession: 7 });
  t.equal(l.maxMonitorsPerSession, 7);
  t.equal(l.maxConnections, SERVER_LIMITS.maxConnections.value, 'defaults for the rest');
});

t.test('maxConnections: the extra connection gets an error and is closed, with a log line', async (t) => {
  const h = await startServer({ limits: { maxConnections: 2 } });
  t.teardown(() => h.close());
  const a = await rawConnection(h.sock);
  const b = await rawConnection(h.sock);
  await waitFor(() => h.server.sessions.size === 2, 'two sessions');
  const c = await rawConnection(h.sock);
  await c.closed;
  t.match(c.got[0], { id: null, error: { error: 'resources exhausted', details: /maxConnections exceeded: 3 connections, the limit is 2/ } });
  const w = warnFor(h, 'maxConnections');
  t.equal(w.length, 1, 'one log line');
  t.match(w[0], /^WARN unix#\d+: maxConnections exceeded.*connection refused$/, 'naming the client and the limit');
  // the first two are unaffected
  a.s.write(JSON.stringify({ id: 1, method: 'echo', params: ['a'] }));
  await waitFor(() => a.got.length === 1, 'echo on a');
  t.same(a.got[0], { id: 1, result: ['a'], error: null });
  b.s.destroy();
  await waitFor(() => h.server.sessions.size === 1, 'b gone');
  await othersServed(t, h);
  a.s.destroy();
});

t.test('maxMonitorsPerSession: error reply, the connection stays usable, others unaffected', async (t) => {
  const h = await startServer({ limits: { maxMonitorsPerSession: 3 } });
  t.teardown(() => h.close());
  const c = await h.connect();
  for (let i = 0; i < 3; i++) await c.monitor('T', `m${i}`, { A: {} }, () => {});
  const e = await errorOf(c.monitor('T', 'm3', { A: {} }, () => {}));
  t.match(e, { error: 'resources exhausted', details: /^unix#\d+: maxMonitorsPerSession exceeded: 4 monitors, the limit is 3 monitors$/ });
  t.equal(warnFor(h, 'maxMonitorsPerSession').length, 1, 'one log line');
  t.same(await c.echo([1]), [1], 'same connection still answers');
  await c.request('monitor_cancel', ['m0']);
  await c.monitor('T', 'm4', { A: {} }, () => {});
  t.pass('after a cancel a new monitor fits');
  const d = await h.connect();
  for (let i = 0; i < 3; i++) await d.monitor('T', `m${i}`, { A: {} }, () => {});
  t.pass('another client has its own budget');
  await othersServed(t, h);
});

t.test('maxOpsPerTransaction: a too-big transaction is refused whole, nothing committed', async (t) => {
  const h = await startServer({ limits: { maxOpsPerTransaction: 5 } });
  t.teardown(() => h.close());
  const c = await h.connect();
  const ops = (n: number, p: string): Json[] => Array.from({ length: n }, (_, i) => ({ op: 'insert', table: 'A', row: { name: `${p}${i}` } }));
  const e = await errorOf(c.transact('T', ops(6, 'big')));
  t.match(e, { error: 'resources exhausted', details: /maxOpsPerTransaction exceeded: 6 operations, the limit is 5 operations/ });
  t.equal([...h.db.rows('A')].length, 0, 'nothing committed');
  t.equal(warnFor(h, 'maxOpsPerTransaction').length, 1, 'one log line');
  const ok = await c.transact('T', ops(5, 'ok'));
  t.equal(ok.length, 5, 'at the limit it commits');
  t.equal([...h.db.rows('A')].length, 5);
  await othersServed(t, h);
});

t.test('maxRowsPerTransaction: one operation that touches too many rows aborts the transaction', async (t) => {
  const h = await startServer({ limits: { maxRowsPerTransaction: 5 } });
  t.teardown(() => h.close());
  const c = await h.connect();
  for (let i = 0; i < 8; i++) await c.transact('T', [{ op: 'insert', table: 'A', row: { name: `r${i}` } }]);
  const before = JSON.stringify([...h.db.rows('A')].map((r) => [r._uuid, r.name]).sort());
  // One delete with an empty where: 8 rows in one operation, under maxOpsPerTransaction.
  const r = await c.transact('T', [{ op: 'delete', table: 'A', where: [] }]);
  t.match(r[r.length - 1], { error: 'resources exhausted', details: /maxRowsPerTransaction exceeded: 8 rows, the limit is 5 rows/ }, 'commit-time error names the limit and the count');
  t.equal(JSON.stringify([...h.db.rows('A')].map((x) => [x._uuid, x.name]).sort()), before, 'nothing deleted');
  t.equal(warnFor(h, 'maxRowsPerTransaction').length, 1, 'one log line');
  // Rows left as they were do not count; five changed rows are at the limit.
  const same = await c.transact('T', [{ op: 'update', table: 'A', where: [], row: {} }]);
  t.same(same, [{ count: 8 }], 'an update of 8 rows that changes nothing commits');
  const five = await c.transact('T', ['r0', 'r1', 'r2', 'r3', 'r4'].map((n) => ({ op: 'delete', table: 'A', where: [['name', '==', n]] })));
  t.same(five, [{ count: 1 }, { count: 1 }, { count: 1 }, { count: 1 }, { count: 1 }], 'five rows at the limit commit');
  t.equal([...h.db.rows('A')].length, 3);
  await othersServed(t, h);
});

t.test('maxInFlightPerSession: requests beyond the bound of unanswered ones are refused', async (t) => {
  const h = await startServer({ limits: { maxInFlightPerSession: 2 } });
  t.teardown(() => h.close());
  const r = await rawConnection(h.sock);
  t.teardown(() => r.s.destroy());
  // Each of these blocks until a row named "go" exists.
  const blocked = (id: number) => JSON.stringify({
    id, method: 'transact',
    params: ['T', { op: 'wait', table: 'A', where: [['name', '==', 'go']], columns: ['name'], until: '==', rows: [{ name: 'go' }] }],
  });
  r.s.write(blocked(1) + blocked(2));
  await new Promise((res) => setTimeout(res, 50));
  r.s.write(blocked(3));
  await waitFor(() => r.got.length >= 1, 'reply to the third request');
  t.match(r.got[0], { id: 3, result: null, error: { error: 'resources exhausted', details: /maxInFlightPerSession exceeded: 3 requests, the limit is 2 requests/ } });
  t.equal(warnFor(h, 'maxInFlightPerSession').length, 1, 'one log line');
  r.s.write(JSON.stringify({ id: 4, method: 'echo', params: [] }));
  await waitFor(() => r.got.length >= 2, 'echo still answered');
  // another client is not limited by this one's backlog, and unblocks it
  const c = await h.connect();
  await c.transact('T', [{ op: 'insert', table: 'A', row: { name: 'go' } }]);
  await waitFor(() => r.got.length >= 4, 'the blocked requests complete');
  const ids = r.got.map((m) => (m as JsonObject).id).sort();
  t.same(ids, [1, 2, 3, 4]);
  r.s.write(blocked(5));
  await waitFor(() => r.got.length >= 5, 'a new request fits again');
  t.match(r.got[4], { id: 5, error: null });
});

t.test('maxMessageBytes and maxDepth from the limits object', async (t) => {
  const h = await startServer({ limits: { maxMessageBytes: 4096, maxDepth: 20 } });
  t.teardown(() => h.close());
  const big = await rawConnection(h.sock);
  big.s.write(JSON.stringify({ id: 1, method: 'echo', params: ['x'.repeat(8000)] }));
  await big.closed;
  t.match(big.got[0], { error: { details: /size limit of 4096 bytes/ } });
  const deep = await rawConnection(h.sock);
  deep.s.write(`{"id":1,"method":"echo","params":${'['.repeat(30)}${']'.repeat(30)}}`);
  await deep.closed;
  t.match(deep.got[0], { error: { details: /nesting exceeds the limit of 20/ } });
  t.ok(h.logger.lines.some((l) => /^WARN unix#\d+: message exceeds the size limit/.test(l)), 'size breach logged with the client');
  t.ok(h.logger.lines.some((l) => /^WARN unix#\d+: message nesting exceeds/.test(l)), 'depth breach logged with the client');
  t.equal(h.server.limitGuard.breaches.get('maxMessageBytes'), 1, 'size breach counted');
  t.equal(h.server.limitGuard.breaches.get('maxDepth'), 1, 'depth breach counted');
  await othersServed(t, h);
});

t.test('maxSendBacklog from the limits object: a monitor that does not read is dropped, the writer is not', async (t) => {
  const h = await startServer({ limits: { maxSendBacklog: 128 * 1024 } });
  t.teardown(() => h.close());
  const slow = await rawConnection(h.sock);
  slow.s.write(JSON.stringify({ id: 1, method: 'monitor', params: ['T', 'm', { A: {} }] }));
  await waitFor(() => slow.got.length === 1, 'monitor reply');
  slow.s.pause();
  const w = await h.connect();
  const blob = 'z'.repeat(16 * 1024);
  for (let i = 0; i < 400 && !h.logger.lines.some((l) => /slow peer/.test(l)); i++) {
    await w.transact('T', [{ op: 'insert', table: 'A', row: { name: `r${i}`, s: ['set', [blob + i]] } }]);
  }
  t.ok(h.logger.lines.some((l) => /^WARN unix#\d+: \d+ bytes queued and not read by the peer \(limit 131072 bytes\), disconnecting slow peer/.test(l)), 'slow peer logged and dropped');
  slow.s.resume();
  await slow.closed;
  await waitFor(() => h.server.limitGuard.breaches.get('maxSendBacklog') === 1, 'backlog breach counted');
  await othersServed(t, h);
});

t.test('breach log lines are rate-limited per limit; every breach is still counted', async (t) => {
  const { LimitGuard, LOG_BURST, LOG_WINDOW_MS } = await import('../../engine/rpc/limits.js');
  const lines: string[] = [];
  let now = 1000;
  const g = new LimitGuard({ maxMonitorsPerSession: 1 }, { info: () => {}, dbg: () => {}, err: () => {}, warn: (m) => lines.push(m) }, () => now);
  for (let i = 0; i < LOG_BURST + 15; i++) t.ok(g.check('maxMonitorsPerSession', 2, 'unix#1'), 'each breach is reported to the caller');
  t.equal(lines.length, LOG_BURST, `${LOG_BURST} lines in one window`);
  t.equal(g.breaches.get('maxMonitorsPerSession'), LOG_BURST + 15);
  now += LOG_WINDOW_MS;
  g.check('maxMonitorsPerSession', 2, 'unix#1');
  t.equal(lines[LOG_BURST], `15 more maxMonitorsPerSession breaches were not logged (at most ${LOG_BURST} lines per ${LOG_WINDOW_MS / 1000} s)`);
  t.match(lines[LOG_BURST + 1], /^unix#1: maxMonitorsPerSession exceeded/);
  t.equal(g.check('maxMonitorsPerSession', 1, 'unix#1'), undefined, 'at the bound: no breach');
});

t.test('ovsdb-server/limits control command: values and breach counts', async (t) => {
  const { OvsdbServerRunner } = await import('../../engine/cli/ovsdb-server.js');
  const quiet = { info: () => {}, warn: () => {}, err: () => {}, dbg: () => {} };
  const runner = new OvsdbServerRunner('ovsdb-server', undefined, { limits: { maxOpsPerTransaction: 3 }, logger: quiet, audit: { logger: quiet } });
  t.teardown(() => runner.close());
  const cmds = new Map<string, (args: string[]) => unknown>();
  const fake = { register: (name: string, _u: string, _min: number, _max: number, fn: (args: string[]) => unknown) => { cmds.set(name, fn); } };
  runner.registerCommands(fake as unknown as Parameters<typeof runner.registerCommands>[0], () => {});
  runner.server.limitGuard.check('maxOpsPerTransaction', 4, 'unix#9');
  const text = String(await cmds.get('ovsdb-server/limits')!([]));
  t.match(text, /^maxMessageBytes \(--max-message-bytes\): 67108864 bytes, 0 breaches$/m);
  t.match(text, /^maxOpsPerTransaction \(--max-ops-per-transaction\): 3 operations, 1 breaches$/m);
  t.equal(text.trim().split('\n').length, 8, 'one line per limit');
  t.match(text, /^maxRowsPerTransaction \(--max-rows-per-transaction\): 100000 rows, 0 breaches$/m);
});
