// Monitor fan-out: updates held during an event-loop turn and sent merged, composed once per
// monitor shape, initial contents composed as text with per-row reuse, and the change feed that
// folds old commits for monitors that fall far behind. Each check compares against what the
// straightforward composition (Monitor.updates / Monitor.initial) gives.
import t from 'tap';
import { createConnection } from 'node:net';
import type { CommittedChange, Json, JsonObject } from '../../engine/ovsdb/api.js';
import { createDatabase } from '../../engine/ovsdb/database.js';
import { parseSchema } from '../../engine/ovsdb/schema.js';
import { JsonSplitter } from '../../engine/rpc/jsonrpc.js';
import { ChangeFeed, Monitor, RowTextCache, mergeChanges, parseMonitorRequests, shapeKeyOf } from '../../engine/rpc/monitor.js';
import { TEST_SCHEMA, startServer, uuidOfInsert } from './helpers.js';

const insertA = (row: JsonObject): Json => ({ op: 'insert', table: 'A', row });
const byUuid = (u: string): Json => [['_uuid', '==', ['uuid', u]]];

/** A raw client: sends requests in one write (so the server handles them in one turn) and
 *  collects every message. */
function rawClient(sock: string): { send(msgs: JsonObject[]): void; msgs: JsonObject[]; next(pred: (m: JsonObject) => boolean): Promise<JsonObject>; close(): void } {
  const s = createConnection({ path: sock });
  s.on('error', () => {});
  const splitter = new JsonSplitter();
  const msgs: JsonObject[] = [];
  const waiters: { pred: (m: JsonObject) => boolean; resolve: (m: JsonObject) => void }[] = [];
  s.on('data', (b) => {
    for (const v of splitter.push(b)) {
      const m = v as JsonObject;
      msgs.push(m);
      for (const w of waiters.splice(0)) {
        if (w.pred(m)) w.resolve(m); else waiters.push(w);
      }
    }
  });
  return {
    send: (list) => s.write(list.map((m) => JSON.stringify(m)).join('')),
    msgs,
    next: (pred) => {
      const found = msgs.find(pred);
      return found ? Promise.resolve(found) : new Promise((resolve) => waiters.push({ pred, resolve }));
    },
    close: () => s.destroy(),
  };
}

t.test('commits of one turn reach a monitor as one merged update', async (t) => {
  const h = await startServer();
  t.teardown(() => h.close());
  const writer = await h.connect();
  const keep = uuidOfInsert(await writer.transact('T', [insertA({ name: 'keep', n: 1 })]));
  const gone = uuidOfInsert(await writer.transact('T', [insertA({ name: 'gone' })]));
  const watcher = rawClient(h.sock);
  watcher.send([{ id: 'm', method: 'monitor_cond', params: ['T', 'mon', { A: [{ columns: ['name', 'n'] }] }] }]);
  await watcher.next((m) => m.id === 'm');
  // Five transactions in one write: the server reads and commits them in one turn.
  const w = rawClient(h.sock);
  t.teardown(() => { w.close(); watcher.close(); });
  w.send([
    { id: 1, method: 'transact', params: ['T', insertA({ name: 'temp' }), { op: 'comment', comment: 'x' }] },
    { id: 2, method: 'transact', params: ['T', { op: 'update', table: 'A', where: byUuid(keep), row: { name: 'kept' } }] },
    { id: 3, method: 'transact', params: ['T', { op: 'delete', table: 'A', where: [['name', '==', 'temp']] }] },
    { id: 4, method: 'transact', params: ['T', { op: 'delete', table: 'A', where: byUuid(gone) }] },
    { id: 5, method: 'transact', params: ['T', insertA({ name: 'new', n: 2 })] },
  ]);
  const r5 = await w.next((m) => m.id === 5);
  const fresh = ((r5.result as Json[])[0] as { uuid: [string, string] }).uuid[1];
  const ups = await watcher.next((m) => m.method === 'update2');
  await writer.echo();
  t.same(watcher.msgs.filter((m) => m.method === 'update2').length, 1, 'one update for the five commits');
  t.same(ups.params, ['mon', {
    A: {
      [keep]: { modify: { name: 'kept' } },
      [gone]: { delete: null },
      [fresh]: { insert: { name: 'new', n: 2 } },
    },
  }], 'net effect: inserted-then-deleted row absent, modify, delete, insert');
});

t.test('a session sees the updates of its own transaction before the reply', async (t) => {
  const h = await startServer();
  t.teardown(() => h.close());
  const c = await h.connect();
  const seen: Json[] = [];
  await c.monitor('T', 'm', { A: [{ columns: ['name'] }] }, (u) => { seen.push(u); });
  for (let i = 0; i < 5; i++) {
    const u = uuidOfInsert(await c.transact('T', [insertA({ name: `own${i}` })]));
    t.same(seen[seen.length - 1], { A: { [u]: { insert: { name: `own${i}` } } } }, `update ${i} arrived before the reply`);
  }
});

t.test('many sessions with one monitor shape get the same updates; other shapes get theirs', async (t) => {
  const h = await startServer();
  t.teardown(() => h.close());
  const writer = await h.connect();
  const same: Json[][] = [];
  const clients = [];
  for (let i = 0; i < 12; i++) {
    const c = await h.connect();
    clients.push(c);
    const got: Json[] = [];
    same.push(got);
    await c.monitor('T', i % 2 ? 'x' : ['y', i], { A: [{ columns: ['name', 'm'] }] }, (u) => { got.push(u); });
  }
  const other = await h.connect();
  const otherGot: Json[] = [];
  await other.monitor('T', 'x', { A: [{ columns: ['n'], select: { modify: false } }] }, (u) => { otherGot.push(u); });
  const u1 = uuidOfInsert(await writer.transact('T', [insertA({ name: 'a', n: 3, m: ['map', [['k', 'v']]] })]));
  await writer.transact('T', [{ op: 'update', table: 'A', where: byUuid(u1), row: { m: ['map', [['k', 'w'], ['j', 'z']]], n: 4 } }]);
  await writer.transact('T', [{ op: 'update', table: 'A', where: byUuid(u1), row: { name: 'b' } }]);
  await writer.echo();
  for (const c of [...clients, other]) await c.echo();
  const want = [
    { A: { [u1]: { insert: { name: 'a', m: ['map', [['k', 'v']]] } } } },
    { A: { [u1]: { modify: { m: ['map', [['j', 'z'], ['k', 'w']]] } } } },
    { A: { [u1]: { modify: { name: 'b' } } } },
  ];
  // Updates may arrive merged (commits of one turn); what counts is the net sequence.
  const net = (list: Json[]): JsonObject => {
    const row: JsonObject = {};
    for (const u of list) {
      const r = ((u as JsonObject).A as JsonObject)[u1] as JsonObject;
      if (r.insert) Object.assign(row, r.insert as JsonObject);
      if (r.modify) {
        const mod = r.modify as JsonObject;
        if (mod.name !== undefined) row.name = mod.name;
        if (mod.m !== undefined) row.m = ['map', [['j', 'z'], ['k', 'w']]];
      }
    }
    return row;
  };
  for (const [i, got] of same.entries()) {
    t.ok(got.length >= 1 && got.length <= 3, `client ${i}: ${got.length} updates`);
    t.same(net(got), { name: 'b', m: ['map', [['j', 'z'], ['k', 'w']]] }, `client ${i}: same net content`);
    if (got.length === 3) t.same(got, want, `client ${i}: exact updates`);
  }
  t.same(otherGot, [{ A: { [u1]: { insert: { n: 3 } } } }], 'the other shape: only its column, no modify');
});

t.test('a monitor that stops reading is dropped once the updates held for it pass the backlog limit', async (t) => {
  const h = await startServer({ maxSendBacklog: 256 * 1024 });
  t.teardown(() => h.close());
  const slow = rawClient(h.sock);
  t.teardown(() => slow.close());
  slow.send([{ id: 1, method: 'monitor_cond', params: ['T', 'm', { A: [{ columns: ['name', 's'] }] }] }]);
  await slow.next((m) => m.id === 1);
  const w = await h.connect();
  const big = 'q'.repeat(20 * 1024);
  // A second monitor on a socket that never reads.
  const paused = createConnection({ path: h.sock });
  paused.on('error', () => {});
  paused.pause();
  const closed = new Promise<void>((r) => paused.on('close', () => r()));
  paused.write(JSON.stringify({ id: 1, method: 'monitor_cond', params: ['T', 'p', { A: [{ columns: ['name', 's'] }] }] }));
  let n = 0;
  for (; n < 400 && !h.logger.lines.some((l) => /slow peer/.test(l)); n++) {
    await w.transact('T', [insertA({ name: `big${n}`, s: ['set', [big + n]] })]);
  }
  t.ok(h.logger.lines.some((l) => /WARN .*not read by the peer.*disconnecting slow peer/.test(l)), `dropped with a log line after ${n} commits`);
  t.ok(n < 400, 'before 8 MB were held for it');
  paused.resume();
  await closed;
  const names = new Set<string>();
  const collect = (m: JsonObject): boolean => {
    if (m.method !== 'update2') return false;
    for (const r of Object.values((((m.params as Json[])[1] as JsonObject).A ?? {}) as JsonObject)) {
      const ins = (r as JsonObject).insert as JsonObject | undefined;
      if (ins) names.add(String(ins.name));
    }
    return names.size === n;
  };
  slow.msgs.forEach(collect);
  if (names.size < n) await slow.next(collect);
  t.equal(names.size, n, 'the reading monitor got every insert');
});

t.test('initial contents as text equal the object composition, also after rows change', async (t) => {
  const schema = parseSchema(TEST_SCHEMA);
  const db = createDatabase(schema);
  const ins: string[] = [];
  for (let i = 0; i < 6; i++) {
    const r = await db.transact([insertA(i % 2 ? { name: `r${i}`, n: i, s: ['set', ['a', 'b']], m: ['map', [['k', String(i)]]] } : { name: `r${i}` })]);
    ins.push(((r[0] as JsonObject).uuid as [string, string])[1]);
  }
  const requests: JsonObject[] = [
    { A: [{}] },
    { A: [{ columns: ['name', 'n'] }] },
    { A: [{ columns: ['s'], where: [['n', '>', 2]] }] },
    { A: [{ columns: ['m'], select: { initial: false } }] },
  ];
  const cache = new RowTextCache();
  const versionedCache = new RowTextCache();
  const rows = (tb: string) => db.rows(tb);
  const versioned = (tb: string) => db.versionedRows(tb);
  const check = (label: string): void => {
    for (const version of [1, 2, 3] as const) {
      for (const req of requests) {
        if (version === 1 && JSON.stringify(req).includes('where')) continue;
        const m = new Monitor('id', version, parseMonitorRequests(schema, req, version), shapeKeyOf(version, req));
        t.same(JSON.parse(m.initialText(rows, cache)), m.initial(rows), `${label}: v${version} ${JSON.stringify(req)}`);
        t.equal(m.initialText(rows, cache), JSON.stringify(m.initial(rows)), `${label}: same text, v${version} ${JSON.stringify(req)}`);
        // From the database's own rows (versionedRows), through the shared cache and without it.
        const fromDb = m.initialText(rows, versionedCache, versioned);
        t.equal(fromDb, JSON.stringify(m.initial(rows)), `${label}: versioned rows, v${version} ${JSON.stringify(req)}`);
        t.equal(m.initialText(rows, versionedCache, versioned), fromDb, `${label}: versioned rows from the cache, v${version} ${JSON.stringify(req)}`);
        const alone = new Monitor('id', version, parseMonitorRequests(schema, req, version));
        t.equal(alone.initialText(rows, versionedCache, versioned), fromDb, `${label}: versioned rows, unique shape, v${version} ${JSON.stringify(req)}`);
      }
    }
  };
  check('fresh cache');
  check('cached rows');
  await db.transact([{ op: 'update', table: 'A', where: byUuid(ins[1]!), row: { name: 'changed', s: ['set', []] } }]);
  await db.transact([{ op: 'delete', table: 'A', where: byUuid(ins[2]!) }]);
  await db.transact([insertA({ name: 'later', n: 9 })]);
  check('after modify, delete, insert');
});

t.test('the change feed folds old commits for a lagging monitor without changing its update', async (t) => {
  const schema = parseSchema(TEST_SCHEMA);
  const db = createDatabase(schema);
  const feed = new ChangeFeed();
  const all: CommittedChange[] = [];
  db.onCommit((c) => { feed.append(c); all.push(c); });
  const req = { A: [{ columns: ['name', 'n', 's'] }] };
  const lagging = new Monitor('slow', 2, parseMonitorRequests(schema, req, 2), shapeKeyOf(2, req));
  const keeping = new Monitor('fast', 3, parseMonitorRequests(schema, req, 3), shapeKeyOf(3, req));
  const lagging2 = new Monitor('slow2', 2, parseMonitorRequests(schema, req, 2), shapeKeyOf(2, req));
  const otherShape = { A: [{ columns: ['s'] }] };
  const lagging3 = new Monitor('slow3', 2, parseMonitorRequests(schema, otherShape, 2), shapeKeyOf(2, otherShape));
  feed.add(lagging);
  feed.add(lagging2);
  feed.add(lagging3);
  feed.add(keeping);
  const uuids: string[] = [];
  let fastSeen = 0;
  for (let i = 0; i < 1500; i++) {
    if (i % 4 === 3 && uuids.length > 2) {
      const u = uuids.splice(i % uuids.length, 1)[0]!;
      await db.transact([{ op: 'delete', table: 'A', where: byUuid(u) }]);
    } else if (i % 4 === 2 && uuids.length) {
      await db.transact([{ op: 'mutate', table: 'A', where: byUuid(uuids[i % uuids.length]!), mutations: [['s', 'insert', ['set', [`e${i}`]]]] }]);
    } else {
      const r = await db.transact([insertA({ name: `x${i}`, n: i % 7 })]);
      uuids.push(((r[0] as JsonObject).uuid as [string, string])[1]);
    }
    if (i % 10 === 0 && feed.takeNotification(keeping)) fastSeen++;
  }
  t.ok(fastSeen > 100, 'the keeping-up monitor got its updates along the way');
  const got = feed.takeNotification(lagging);
  t.ok(got, 'the lagging monitor has a notification');
  const msg = JSON.parse(got!.toString('utf8')) as JsonObject;
  t.equal(msg.method, 'update2');
  t.same((msg.params as Json[])[0], 'slow');
  t.same((msg.params as Json[])[1], lagging.updates(mergeChanges(all)), 'same as merging every commit (1500 > the feed length)');
  t.equal(feed.takeNotification(lagging), undefined, 'nothing left afterwards');
  const got2 = JSON.parse(feed.takeNotification(lagging2)!.toString('utf8')) as JsonObject;
  t.same((got2.params as Json[])[1], (msg.params as Json[])[1], 'a second lagging monitor (shared folds) gets the same update');
  const got3 = JSON.parse(feed.takeNotification(lagging3)!.toString('utf8')) as JsonObject;
  t.same((got3.params as Json[])[1], lagging3.updates(mergeChanges(all)), 'a lagging monitor of another shape gets its own');
  const last = feed.takeNotification(keeping);
  if (last) t.equal((JSON.parse(last.toString('utf8')).params as Json[])[1], db.lastTxnId, 'update3 carries the last txn id');
  for (const m of [lagging, lagging2, lagging3, keeping]) feed.remove(m);
  t.equal(feed.monitorCount, 0);
});

t.test('updates of a commit straight from the database (diffed from its rows) equal those composed from the wire rows', async (t) => {
  const schema = parseSchema(TEST_SCHEMA);
  const db = createDatabase(schema);
  const commits: CommittedChange[] = [];
  db.onCommit((c) => commits.push(c));
  const r = await db.transact([insertA({ name: 'a', n: 1, s: ['set', ['x', 'y']], m: ['map', [['k', 'v'], ['k2', 'v2']]] }), insertA({ name: 'b' })]);
  const ua = ((r[0] as JsonObject).uuid as [string, string])[1];
  const ub = ((r[1] as JsonObject).uuid as [string, string])[1];
  await db.transact([{ op: 'update', table: 'A', where: byUuid(ua), row: { n: ['set', []], s: ['set', ['y', 'z']] } }]);
  await db.transact([{ op: 'update', table: 'A', where: byUuid(ua), row: { m: ['map', [['k', 'changed'], ['k3', 'v3']]], name: 'a2' } }]);
  await db.transact([{ op: 'mutate', table: 'A', where: byUuid(ub), mutations: [['n', 'insert', ['set', [5]]], ['s', 'insert', ['set', ['only']]]] }]);
  await db.transact([{ op: 'update', table: 'A', where: [], row: { s: ['set', []] } }, { op: 'delete', table: 'A', where: byUuid(ub) }]);
  const requests: JsonObject[] = [
    { A: [{}] },
    { A: [{ columns: ['s', 'm'] }] },
    { A: [{ columns: ['name', 'n'] }] },
    { A: [{ columns: ['n', 's'], where: [['n', '>=', 0]] }] },
    { A: [{ columns: ['m'], select: { modify: false } }] },
  ];
  // The same changes as plain objects (old/new read once): the monitor then composes from JSON.
  const plain = (c: CommittedChange) => new Map([...c.tables].map(([tb, rows]) => [tb, new Map([...rows].map(([u, ch]) => {
    const p: { old?: JsonObject; new?: JsonObject } = {};
    if (ch.old) p.old = ch.old;
    if (ch.new) p.new = ch.new;
    return [u, p] as const;
  }))] as const));
  t.equal(commits.length, 5);
  for (const version of [1, 2, 3] as const) {
    for (const req of requests) {
      if (version === 1 && JSON.stringify(req).includes('where')) continue;
      const m = new Monitor('id', version, parseMonitorRequests(schema, req, version));
      commits.forEach((c, k) => {
        t.same(m.updates(c.tables), m.updates(plain(c)), `commit ${k}, v${version} ${JSON.stringify(req)}`);
      });
    }
  }
});
