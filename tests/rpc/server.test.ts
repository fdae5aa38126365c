import t from 'tap';
import { createConnection } from 'node:net';
import { statSync } from 'node:fs';
import type { Json, JsonObject } from '../../engine/ovsdb/api.js';
import { RpcError } from '../../engine/rpc/errors.js';
import { JsonSplitter } from '../../engine/rpc/jsonrpc.js';
import { errorOf, nextNotification, startServer, uuidOfInsert } from './helpers.js';

const insertA = (row: JsonObject): Json => ({ op: 'insert', table: 'A', row });

t.test('list_dbs, get_schema, get_server_id, echo, unknown method', async (t) => {
  const h = await startServer();
  t.teardown(() => h.close());
  const c = await h.connect();
  t.same(await c.listDbs(), ['T', '_Server']);
  const schema = await c.getSchema('T');
  t.equal(schema.name, 'T');
  t.same(Object.keys(schema.tables as JsonObject), ['A']);
  const srv = await c.getSchema('_Server');
  t.same(Object.keys((srv.tables as JsonObject).Database as JsonObject), ['columns']);
  const id = await c.request('get_server_id', []);
  t.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  t.equal(await (await h.connect()).request('get_server_id', []), id, 'same id for every client of one server');
  t.same(await c.echo([1, 'a', { b: null }]), [1, 'a', { b: null }]);
  t.match(await errorOf(c.request('no_such_method', [])), 'unknown method');
  t.match(await errorOf(c.getSchema('nope')), { error: 'unknown database', details: 'get_schema request specifies unknown database nope' });
  t.match(await errorOf(c.request('get_schema', [])), { error: 'syntax error', details: 'get_schema request params must begin with <db-name>', syntax: '[]' });
  t.same(await c.request('set_db_change_aware', [true]), {});
  t.match(await errorOf(c.request('set_db_change_aware', ['x'])), { error: 'syntax error' });
  t.equal((statSync(h.sock).mode & 0o777).toString(8), '660', 'socket file mode 0660');
});

t.test('transact: results, per-op errors, unknown database, _Server is read-only', async (t) => {
  const h = await startServer();
  t.teardown(() => h.close());
  const c = await h.connect();
  const r = await c.transact('T', [insertA({ name: 'a', n: 1 })]);
  t.match(r, [{ uuid: ['uuid', /^[0-9a-f-]{36}$/] }]);
  const dup = await c.transact('T', [insertA({ name: 'a' })]);
  t.equal((dup[1] as JsonObject).error, 'constraint violation', 'index conflict is a commit-time error appended after the ops');
  const sel = await c.transact('T', [{ op: 'select', table: 'A', where: [['name', '==', 'a']], columns: ['name', 'n'] }]);
  t.same(sel, [{ rows: [{ name: 'a', n: 1 }] }]);
  t.match(await errorOf(c.transact('nope', [])), { error: 'unknown database' });
  const srv = await c.transact('_Server', [{ op: 'select', table: 'Database', where: [], columns: ['name', 'model', 'connected', 'leader'] }]);
  t.same((srv[0] as { rows: Json[] }).rows.sort((x, y) => JSON.stringify(x) < JSON.stringify(y) ? -1 : 1), [
    { name: 'T', model: 'standalone', connected: true, leader: true },
    { name: '_Server', model: 'standalone', connected: true, leader: true },
  ]);
  const ins = await c.transact('_Server', [{ op: 'insert', table: 'Database', row: { name: 'x', model: 'standalone' } }]);
  t.same(ins, [{ error: 'not allowed', details: 'insert operation not allowed on table in reserved database _Server' }]);
});

t.test('monitor (v1): initial, insert, modify (old has only changed columns), delete', async (t) => {
  const h = await startServer();
  t.teardown(() => h.close());
  const c = await h.connect();
  const w = await h.connect();
  const u0 = uuidOfInsert(await w.transact('T', [insertA({ name: 'pre', n: 2 })]));
  const updates: JsonObject[] = [];
  const init = await c.monitor('T', 'm1', { A: { columns: ['name', 's', 'm'] } }, (u) => updates.push(u), { kind: 'monitor' });
  t.same(init.updates, { A: { [u0]: { new: { name: 'pre', s: ['set', []], m: ['map', []] } } } });
  const u1 = uuidOfInsert(await w.transact('T', [insertA({ name: 'a', s: ['set', ['x', 'y']], m: ['map', [['k', 'v']]] })]));
  await w.transact('T', [{ op: 'update', table: 'A', where: [['name', '==', 'a']], row: { s: ['set', ['y', 'z']], m: ['map', [['j', '1'], ['k', 'w']]] } }]);
  await w.transact('T', [{ op: 'update', table: 'A', where: [['name', '==', 'pre']], row: { n: 7 } }]);
  await w.transact('T', [{ op: 'delete', table: 'A', where: [['name', '==', 'a']] }]);
  await c.echo(); // everything sent before this reply has been delivered
  t.same(updates, [
    { A: { [u1]: { new: { name: 'a', s: ['set', ['x', 'y']], m: ['map', [['k', 'v']]] } } } },
    { A: { [u1]: { old: { s: ['set', ['x', 'y']], m: ['map', [['k', 'v']]] }, new: { name: 'a', s: ['set', ['y', 'z']], m: ['map', [['j', '1'], ['k', 'w']]] } } } },
    { A: { [u1]: { old: { name: 'a', s: ['set', ['y', 'z']], m: ['map', [['j', '1'], ['k', 'w']]] } } } },
  ], 'a change to an unmonitored column (n) sends nothing');
  t.match(await errorOf(c.monitor('T', 'm1', { A: {} }, () => {}, { kind: 'monitor' })), { error: 'syntax error', details: 'duplicate monitor ID' });
  t.match(await errorOf(c.monitor('T', 'm2', { A: { columns: ['nosuch'] } }, () => {}, { kind: 'monitor' })), { details: 'nosuch is not a valid column name' });
  t.match(await errorOf(c.monitor('T', 'm3', { B: {} }, () => {}, { kind: 'monitor' })), { details: 'no table named B' });
  t.same(await c.request('monitor_cancel', ['m1']), {});
  t.match(await errorOf(c.request('monitor_cancel', ['m1'])), 'unknown monitor');
  await w.transact('T', [insertA({ name: 'after-cancel' })]);
  await c.echo();
  t.equal(updates.length, 3, 'no update after monitor_cancel');
});

t.test('monitor_cond (v2): defaults omitted, column diffs, conditions, select, own updates before reply', async (t) => {
  const h = await startServer();
  t.teardown(() => h.close());
  const c = await h.connect();
  const log: string[] = [];
  const updates: JsonObject[] = [];
  await c.monitor('T', 'm', { A: [{ columns: ['name', 'n', 's', 'm'], where: [['n', '>', 1]] }] }, (u) => { updates.push(u); log.push('update'); });
  const noInsert: JsonObject[] = [];
  await c.monitor('T', 'sel', { A: [{ select: { initial: true, insert: false, delete: true, modify: true } }] }, (u) => noInsert.push(u));
  const p = c.transact('T', [insertA({ name: 'a', n: 5, s: ['set', ['x', 'y']] }), insertA({ name: 'b', n: 0 })]).then((r) => { log.push('reply'); return r; });
  const r = await p;
  t.same(log, ['update', 'reply'], 'the update for a client\'s own transaction comes before its reply');
  const ua = (r[0] as { uuid: string[] }).uuid[1]!;
  const ub = (r[1] as { uuid: string[] }).uuid[1]!;
  t.same(updates[0], { A: { [ua]: { insert: { name: 'a', n: 5, s: ['set', ['x', 'y']] } } } }, 'insert omits default-valued columns; b fails the condition');
  await c.transact('T', [{ op: 'update', table: 'A', where: [['name', '==', 'a']], row: { s: ['set', ['y', 'z']], m: ['map', [['k', 'v']]] } }]);
  t.same(updates[1], { A: { [ua]: { modify: { s: ['set', ['x', 'z']], m: ['map', [['k', 'v']]] } } } }, 'set diff = symmetric difference');
  await c.transact('T', [{ op: 'update', table: 'A', where: [['name', '==', 'a']], row: { m: ['map', [['k', 'w'], ['j', '1']]] } }]);
  t.same(updates[2], { A: { [ua]: { modify: { m: ['map', [['j', '1'], ['k', 'w']]] } } } }, 'map diff = changed and added pairs');
  await c.transact('T', [{ op: 'update', table: 'A', where: [['name', '==', 'b']], row: { n: 9 } }]);
  t.same(updates[3], { A: { [ub]: { insert: { name: 'b', n: 9 } } } }, 'a row entering the condition is an insert');
  await c.transact('T', [{ op: 'update', table: 'A', where: [['name', '==', 'a']], row: { n: 1 } }]);
  t.same(updates[4], { A: { [ua]: { delete: null } } }, 'a row leaving the condition is a delete');
  t.equal(updates.length, 5);
  t.notOk(noInsert.some((u) => JSON.stringify(u).includes('"insert"')), 'select.insert=false suppresses inserts');
  t.ok(noInsert.some((u) => JSON.stringify(u).includes('"modify"')), 'but modifies still arrive');
  t.match(await errorOf(c.monitor('T', 'bad', { A: [{ where: [['name', '==', 5]] }] }, () => {})), { error: 'syntax error' });
});

t.test('monitor_cond_change: rows entering and leaving, renamed monitor, errors', async (t) => {
  const h = await startServer();
  t.teardown(() => h.close());
  const c = await h.connect();
  const r = await c.transact('T', [insertA({ name: 'a', n: 1 }), insertA({ name: 'b', n: 2 })]);
  const ua = (r[0] as { uuid: string[] }).uuid[1]!;
  const ub = (r[1] as { uuid: string[] }).uuid[1]!;
  const got: JsonObject[] = [];
  const init = await c.monitor('T', 'x', { A: [{ columns: ['name'], where: [['n', '==', 1]] }] }, (u) => got.push(u));
  t.same(init.updates, { A: { [ua]: { initial: { name: 'a' } } } });
  const n = nextNotification(c, 'update2');
  t.same(await c.monitorCondChange('x', 'y', { A: [{ where: [['n', '==', 2]] }] }), undefined);
  t.same(await n, ['y', { A: { [ua]: { delete: null }, [ub]: { insert: { name: 'b' } } } }], 'sent under the new id');
  t.same(got.length, 1, 'the client library follows the rename');
  t.match(await errorOf(c.request('monitor_cond_change', ['nope', 'z', { A: [{ where: [] }] }])), { details: 'unknown monitor session' });
  t.match(await errorOf(c.request('monitor_cond_change', ['y', 'z', { A: [{ where: [], columns: ['name'] }] }])), { details: 'changing columns is unsupported' });
  t.match(await errorOf(c.request('monitor_cond_change', ['y', 'z', { B: [{ where: [] }] }])), { details: 'no table named B' });
});

t.test('monitor_cond_since: unknown txn id -> full initial; known id -> only later changes (update3)', async (t) => {
  const h = await startServer();
  t.teardown(() => h.close());
  const c = await h.connect();
  const zero = '00000000-0000-0000-0000-000000000000';
  const ua = uuidOfInsert(await c.transact('T', [insertA({ name: 'a' })]));
  const first = await c.monitor('T', 'm1', { A: [{ columns: ['name'] }] }, () => {}, { kind: 'monitor_cond_since', lastTxnId: zero });
  t.equal(first.found, false);
  t.equal(first.lastTxnId, h.db.lastTxnId);
  t.same(first.updates, { A: { [ua]: { initial: { name: 'a' } } } });
  const seen: [JsonObject, string | undefined][] = [];
  const m2 = await c.monitor('T', 'm2', { A: [{ columns: ['name'] }] }, (u, id) => seen.push([u, id]), { kind: 'monitor_cond_since', lastTxnId: first.lastTxnId });
  t.same(m2, { found: true, lastTxnId: first.lastTxnId, updates: {} }, 'up to date: nothing to send');
  const ub = uuidOfInsert(await c.transact('T', [insertA({ name: 'b' })]));
  t.same(seen, [[{ A: { [ub]: { insert: { name: 'b' } } } }, h.db.lastTxnId]], 'update3 carries the txn id');
  await c.transact('T', [{ op: 'update', table: 'A', where: [['name', '==', 'a']], row: { name: 'a2' } }]);
  const m3 = await c.monitor('T', 'm3', { A: [{ columns: ['name'] }] }, () => {}, { kind: 'monitor_cond_since', lastTxnId: first.lastTxnId! });
  t.equal(m3.found, true);
  t.same(m3.updates, { A: { [ub]: { insert: { name: 'b' } }, [ua]: { modify: { name: 'a2' } } } }, 'merged changes since that txn');
  t.match(await errorOf(c.request('monitor_cond_since', ['T', 'm4', { A: [{}] }, 'zz'])), { details: 'last-txn-id must be UUID format.' });
});

t.test('_Server database can be monitored as the IDL does', async (t) => {
  const h = await startServer();
  t.teardown(() => h.close());
  const c = await h.connect();
  const r = await c.monitor('_Server', 'srv', { Database: [{ columns: ['name', 'model', 'connected', 'leader', 'schema', 'cid', 'sid', 'index'], where: [['name', '==', 'T']] }] }, () => {});
  const rows = Object.values(r.updates.Database as JsonObject) as { initial: JsonObject }[];
  t.equal(rows.length, 1);
  t.same(Object.keys(rows[0]!.initial).sort(), ['connected', 'leader', 'model', 'name', 'schema'], 'empty cid/sid/index are left out as defaults');
  t.same(JSON.parse(rows[0]!.initial.schema as string).name, 'T');
});

t.test('locks: lock/steal/unlock with locked and stolen notifications, assert, cleanup on disconnect', async (t) => {
  const h = await startServer();
  t.teardown(() => h.close());
  const a = await h.connect();
  const b = await h.connect();
  t.same(await a.request('lock', ['L']), { locked: true });
  const bLocked = nextNotification(b, 'locked');
  t.same(await b.request('lock', ['L']), { locked: false });
  t.same(await b.transact('T', [{ op: 'assert', lock: 'L' }]), [{ error: 'not owner', details: 'Asserted lock L not held.' }]);
  t.same(await a.transact('T', [{ op: 'assert', lock: 'L' }]), [{}]);
  t.match(await errorOf(a.request('lock', ['L'])), { details: 'must issue "unlock" before new "lock"' });
  t.same(await a.request('unlock', ['L']), {});
  t.same(await bLocked, ['L'], 'waiter told "locked"');
  const bStolen = nextNotification(b, 'stolen');
  t.same(await a.request('steal', ['L']), { locked: true });
  t.same(await bStolen, ['L']);
  t.same(await b.transact('T', [{ op: 'assert', lock: 'L' }]), [{ error: 'not owner', details: 'Asserted lock L not held.' }]);
  const bAgain = nextNotification(b, 'locked');
  await a.close();
  t.same(await bAgain, ['L'], 'the victim stays queued and gets the lock when the stealer disconnects');
  t.match(await errorOf(b.request('unlock', ['Q'])), { details: 'unlock: "unlock" without "lock" or "steal"' });
  t.match(await errorOf(b.request('lock', [5])), { details: 'lock request params must be <id>' });
});

t.test('cancel aborts a transaction blocked in wait', async (t) => {
  const h = await startServer();
  t.teardown(() => h.close());
  const c = await h.connect();
  const waitOp = { op: 'wait', table: 'A', where: [], columns: ['name'], until: '==', rows: [{ name: 'never' }], timeout: 60000 };
  const id = 1000;
  const pending = new Promise<Json>((resolve) => {
    const conn = c.connection as unknown as { pending: Map<string, { method: string; resolve: (v: Json) => void; reject: (e: Error) => void }> };
    conn.pending.set(JSON.stringify(id), { method: 'transact', resolve, reject: (e) => resolve((e as RpcError).error) });
  });
  c.connection.send({ kind: 'request', method: 'transact', params: ['T', waitOp], id });
  await c.echo();
  c.notify('cancel', [id]);
  t.same(await pending, 'canceled', 'JSON-RPC error "canceled"');
  t.same(await c.listDbs(), ['T', '_Server'], 'connection still fine');
});

t.test('inactivity probe: the server sends echo and drops a client that does not answer', async (t) => {
  const h = await startServer({ probeIntervalMs: 200 });
  t.teardown(() => h.close());
  const l = await h.server.listen('ptcp:0:127.0.0.1');
  const [, port] = l.target.match(/:(\d+)$/)!;
  // A client that answers (our client replies to echo automatically).
  const { connectOvsdb } = await import('../../engine/rpc/client.js');
  const good = await connectOvsdb(l.target);
  t.teardown(() => good.close());
  // A raw client that reads but never answers.
  const raw = createConnection({ host: '127.0.0.1', port: Number(port) });
  const splitter = new JsonSplitter();
  const got: Json[] = [];
  raw.on('data', (b) => got.push(...splitter.push(b)));
  const closed = new Promise<void>((r) => raw.on('close', () => r()));
  await closed;
  t.match(got[0], { method: 'echo', params: [] }, 'the server probed with echo');
  t.ok(h.logger.lines.some((x) => /no response to inactivity probe/.test(x)), 'and logged why it disconnected');
  t.notOk(good.closed, 'the answering client is still connected');
  t.same(await good.listDbs(), ['T', '_Server']);
});

t.test('garbage (1 MB) closes only that connection, after a JSON-RPC error', async (t) => {
  const h = await startServer();
  t.teardown(() => h.close());
  const good = await h.connect();
  const updates: JsonObject[] = [];
  await good.monitor('T', 'm', { A: [{ columns: ['name'] }] }, (u) => updates.push(u));
  for (const garbage of [Buffer.alloc(1 << 20, 0x41), Buffer.from('{"method":"echo","params":[],"id":1}' + '{'.repeat(2000)), Buffer.from('{"id":1,"result":[],"bogus":2}')]) {
    const raw = createConnection({ path: h.sock });
    const splitter = new JsonSplitter();
    const got: Json[] = [];
    raw.on('data', (b) => got.push(...splitter.push(b)));
    raw.on('error', () => {});
    const closed = new Promise<void>((r) => raw.on('close', () => r()));
    raw.write(garbage);
    await closed;
    const last = got[got.length - 1] as JsonObject;
    t.match(last, { id: null, error: { error: 'syntax error', details: String } }, `error reply before close (${String((last.error as JsonObject).details).slice(0, 60)})`);
  }
  await good.transact('T', [insertA({ name: 'still-works' })]);
  t.equal(updates.length, 1, 'the other client keeps its monitor');
});

t.test('a slow reader: its updates are held and merged (not queued) and it catches up exactly', async (t) => {
  const h = await startServer(); // default backlog limit (64 MiB): far above the 6 MB it falls behind
  t.teardown(() => h.close());
  const fast = await h.connect();
  const fastNames = new Set<string>();
  await fast.monitor('T', 'm', { A: [{ columns: ['name'] }] }, (u) => {
    for (const r of Object.values(((u as JsonObject).A ?? {}) as JsonObject)) {
      const ins = (r as JsonObject).insert as JsonObject | undefined;
      if (ins) fastNames.add(String(ins.name));
    }
  });
  // A slow client: monitors everything, then stops reading.
  const raw = createConnection({ path: h.sock });
  raw.on('error', () => {});
  const splitter = new JsonSplitter();
  const msgs: JsonObject[] = [];
  let onMsg = (): void => {};
  raw.on('data', (b) => { for (const v of splitter.push(b)) msgs.push(v as JsonObject); onMsg(); });
  const replied = new Promise<void>((r) => { onMsg = () => { if (msgs.length) r(); }; });
  raw.write(JSON.stringify({ id: 1, method: 'monitor_cond', params: ['T', 'm', { A: [{}] }] }));
  await replied; // the monitor exists once its (empty) initial reply arrived
  raw.pause();
  const big = 'x'.repeat(20000);
  let maxBacklog = 0;
  const uuids: string[] = [];
  const n = 300; // 6 MB of inserts: far more than the socket buffers and the backlog limit
  for (let i = 0; i < n; i++) {
    uuids.push(uuidOfInsert(await fast.transact('T', [insertA({ name: `r${i}`, s: ['set', [big + i]] })])));
    if (i % 3 === 1) await fast.transact('T', [{ op: 'update', table: 'A', where: [['_uuid', '==', ['uuid', uuids[i - 1]!]]], row: { name: `renamed${i}` } }]);
    if (i % 5 === 4) await fast.transact('T', [{ op: 'delete', table: 'A', where: [['_uuid', '==', ['uuid', uuids[i - 2]!]]] }]);
    for (const s of h.server.sessions) maxBacklog = Math.max(maxBacklog, s.connection.sendBacklog);
  }
  t.equal(h.server.sessions.size, 2, 'the slow reader is still connected');
  t.ok(maxBacklog <= 1024 * 1024, `server-side output queue stays small (max ${maxBacklog} bytes) while 6 MB were committed`);
  t.equal(fastNames.size, n, 'the fast client saw every insert');
  // The slow reader reads again: the held commits arrive merged and its view matches the database.
  const view = new Map<string, JsonObject>();
  const apply = (): void => {
    for (const m of msgs.splice(0)) {
      if (m.method !== 'update2') continue;
      const rows = (((m.params as Json[])[1] as JsonObject).A ?? {}) as JsonObject;
      for (const [uuid, ru] of Object.entries(rows)) {
        const r = ru as JsonObject;
        if ('delete' in r) view.delete(uuid);
        else if (r.insert || r.initial) view.set(uuid, { ...((r.insert ?? r.initial) as JsonObject) });
        else if (r.modify) Object.assign(view.get(uuid) ?? {}, r.modify as JsonObject);
      }
    }
  };
  const want = new Map<string, string>();
  for (const row of h.db.rows('A')) want.set((row._uuid as [string, string])[1], String(row.name));
  const same = (): boolean => view.size === want.size && [...want].every(([u, name]) => view.get(u)?.name === name);
  const caughtUp = new Promise<boolean>((resolve) => {
    const guard = setTimeout(() => resolve(false), 20000);
    onMsg = () => { apply(); if (same()) { clearTimeout(guard); resolve(true); } };
  });
  raw.resume();
  t.ok(await caughtUp, `the slow reader's view matches the database (${want.size} rows)`);
  t.ok(msgs.length === 0 && [...view.values()].every((r) => Array.isArray(r.s) || typeof r.s === 'string'), 'rows carry their set column');
  raw.destroy();
});

t.test('a peer that does not read its replies is disconnected at the send backlog limit', async (t) => {
  const h = await startServer({ maxSendBacklog: 256 * 1024 });
  t.teardown(() => h.close());
  const fast = await h.connect();
  const big = 'y'.repeat(20000);
  for (let i = 0; i < 20; i++) await fast.transact('T', [insertA({ name: `b${i}`, s: ['set', [big + i]] })]);
  const raw = createConnection({ path: h.sock });
  raw.on('error', () => {});
  await new Promise<void>((r) => raw.once('connect', () => r()));
  raw.pause();
  const closed = new Promise<void>((r) => raw.on('close', () => r()));
  // 50 pipelined selects of the whole table (~400 kB each), none of the replies read.
  raw.write(Array.from({ length: 50 }, (_, i) => JSON.stringify({ id: i, method: 'transact', params: ['T', { op: 'select', table: 'A', where: [] }] })).join(''));
  while (h.server.sessions.size > 1) await new Promise((r) => setTimeout(r, 10));
  t.ok(h.logger.lines.some((x) => /disconnecting slow peer/.test(x)), 'with a log line');
  raw.destroy();
  await closed;
  const r = await fast.transact('T', [{ op: 'select', table: 'A', where: [['name', '==', 'b3']], columns: ['name'] }]);
  t.same(r, [{ rows: [{ name: 'b3' }] }], 'other clients keep working');
});

t.test('200 concurrent clients, each with a monitor, all get the update', async (t) => {
  const h = await startServer();
  t.teardown(() => h.close());
  const clients = await Promise.all(Array.from({ length: 200 }, () => h.connect()));
  const counts = new Array<number>(200).fill(0);
  await Promise.all(clients.map((c, i) => c.monitor('T', `m${i}`, { A: [{ columns: ['name'] }] }, () => { counts[i]!++; })));
  const w = await h.connect();
  await w.transact('T', [insertA({ name: 'x' })]);
  await Promise.all(clients.map((c) => c.echo()));
  t.same(counts, new Array(200).fill(1));
  t.equal(h.server.sessions.size, 201);
});

t.test('registerMethod: extra methods, errors, built-ins protected', async (t) => {
  const h = await startServer();
  t.teardown(() => h.close());
  h.server.registerMethod('ps/hello', async (params, session) => ({ hello: params[0] ?? null, session: session.id.length }));
  h.server.registerMethod('ps/fail', async () => { throw new Error('boom'); });
  t.throws(() => h.server.registerMethod('transact', async () => null), { code: 'OVS_E_METHOD_EXISTS' });
  const c = await h.connect();
  t.same(await c.request('ps/hello', ['w']), { hello: 'w', session: 36 });
  t.match(await errorOf(c.request('ps/fail', [])), { error: 'internal error', details: 'boom' });
});

t.test('removeDatabase: monitors canceled, db-change-aware clients told monitor_canceled, _Server row deleted', async (t) => {
  const h = await startServer();
  t.teardown(() => h.close());
  const aware = await h.connect();
  const plain = await h.connect();
  t.same(await aware.request('set_db_change_aware', [true]), {});
  await aware.monitor('T', 'mt', { A: [{}] }, () => {});
  await plain.monitor('T', 'mt', { A: [{}] }, () => {});
  const srvUpdates: JsonObject[] = [];
  await aware.monitor('_Server', 'ms', { Database: [{ columns: ['name'] }] }, (u) => srvUpdates.push(u));
  const plainNotes: string[] = [];
  plain.onNotification((m) => plainNotes.push(m));
  const canceled = nextNotification(aware, 'monitor_canceled');
  h.server.removeDatabase('T');
  t.same(await canceled, ['mt']);
  await aware.echo();
  t.match(srvUpdates, [{ Database: { [String(Object.keys((srvUpdates[0] as JsonObject).Database as JsonObject)[0])]: { delete: null } } }], '_Server row deleted');
  t.same(await aware.listDbs(), ['_Server']);
  await plain.echo();
  t.same(plainNotes, [], 'a client that is not db-change-aware gets no notification');
  t.match(await errorOf(plain.request('monitor_cancel', ['mt'])), 'unknown monitor', 'its monitor is gone');
});
