// engine/rpc/rbac.ts without a network: the rules on an in-memory database, and the guard that
// keeps a commit slipping in between the probe and the real transaction from widening access
// (the probe saw rows the client may change; by the time the real transaction runs one of them
// belongs to someone else: it must be refused, not committed).
import t from 'tap';
import type { Database, Json, JsonObject, TransactOptions } from '../../engine/ovsdb/api.js';
import { createDatabase, type MemoryDatabase } from '../../engine/ovsdb/database.js';
import { parseSchema } from '../../engine/ovsdb/schema.js';
import { rbacApplies, rbacTransact } from '../../engine/rpc/rbac.js';

const SCHEMA: JsonObject = {
  name: 'R',
  version: '1.0.0',
  tables: {
    RBAC_Role: {
      columns: {
        name: { type: 'string' },
        permissions: { type: { key: { type: 'string' }, value: { type: 'uuid', refTable: 'RBAC_Permission', refType: 'weak' }, min: 0, max: 'unlimited' } },
      },
      isRoot: true,
    },
    RBAC_Permission: {
      columns: {
        table: { type: 'string' },
        authorization: { type: { key: 'string', min: 0, max: 'unlimited' } },
        insert_delete: { type: 'boolean' },
        update: { type: { key: 'string', min: 0, max: 'unlimited' } },
      },
      isRoot: true,
    },
    Chassis: {
      columns: {
        name: { type: 'string' },
        hostname: { type: 'string' },
        external_ids: { type: { key: 'string', value: 'string', min: 0, max: 'unlimited' } },
      },
      isRoot: true,
    },
  },
};

const schema = parseSchema(SCHEMA);

async function fresh(authorization: Json = 'name'): Promise<MemoryDatabase> {
  const db = createDatabase(schema);
  const r = await db.transact([
    { op: 'insert', table: 'RBAC_Permission', 'uuid-name': 'p', row: { table: 'Chassis', authorization, insert_delete: true, update: ['set', ['hostname', 'external_ids']] } },
    { op: 'insert', table: 'RBAC_Role', row: { name: 'ctl', permissions: ['map', [['Chassis', ['named-uuid', 'p']]]] } },
    { op: 'insert', table: 'Chassis', row: { name: 'me', hostname: 'a' } },
    { op: 'insert', table: 'Chassis', row: { name: 'you', hostname: 'b' } },
  ]);
  if (JSON.stringify(r).includes('error')) throw new Error(JSON.stringify(r));
  return db;
}

const me = { role: 'ctl', id: 'me' };

t.test('rbacApplies: only with a role, an RBAC_Role table and a write', async (t) => {
  const ins = [{ op: 'insert', table: 'Chassis', row: {} }];
  t.equal(rbacApplies(schema, me, ins), true);
  t.equal(rbacApplies(schema, undefined, ins), false);
  t.equal(rbacApplies(schema, { role: '', id: 'me' }, ins), false);
  t.equal(rbacApplies(schema, me, [{ op: 'select', table: 'Chassis', where: [] }]), false);
  const plain = parseSchema({ name: 'P', version: '1.0.0', tables: { Chassis: SCHEMA.tables && (SCHEMA.tables as JsonObject).Chassis! } });
  t.equal(rbacApplies(plain, me, ins), false, 'no RBAC_Role table: no RBAC (as OVS)');
});

t.test('map authorization (column:key), "" authorizes all, unknown role refuses', async (t) => {
  const db = await fresh(['set', ['external_ids:owner']]);
  await db.transact([{ op: 'update', table: 'Chassis', where: [['name', '==', 'you']], row: { external_ids: ['map', [['owner', 'me']]] } }]);
  const r = await rbacTransact(db, schema, [{ op: 'update', table: 'Chassis', where: [['name', '==', 'you']], row: { hostname: 'x' } }], me);
  t.same(r, [{ count: 1 }], 'row whose external_ids:owner is the client id');
  const r2 = await rbacTransact(db, schema, [{ op: 'update', table: 'Chassis', where: [['name', '==', 'me']], row: { hostname: 'x' } }], me);
  t.match(r2, [{ error: 'permission error' }], 'row without the key');
  const all = await fresh('');
  t.same(await rbacTransact(all, schema, [{ op: 'update', table: 'Chassis', where: [], row: { hostname: 'y' } }], me), [{ count: 2 }], '"" authorizes every row');
  const r3 = await rbacTransact(all, schema, [{ op: 'insert', table: 'Chassis', row: { name: 'me' } }], { role: 'nobody', id: 'me' });
  t.same(r3, [{ error: 'permission error', details: 'RBAC rules for client "me" role "nobody" prohibit row insertion into table "Chassis".' }]);
});

t.test('a denied op answers like the transaction engine: results before, error, nulls after; nothing commits', async (t) => {
  const db = await fresh();
  const before = JSON.stringify([...db.rows('Chassis')]);
  const r = await rbacTransact(db, schema, [
    { op: 'select', table: 'Chassis', where: [['name', '==', 'me']], columns: ['hostname'] },
    { op: 'update', table: 'Chassis', where: [['name', '==', 'me']], row: { hostname: 'changed' } },
    { op: 'delete', table: 'Chassis', where: [['name', '==', 'you']] },
    { op: 'comment', comment: 'never reached' },
  ], me);
  t.same(r, [{ rows: [{ hostname: 'a' }] }, { count: 1 },
    { error: 'permission error', details: 'RBAC rules for client "me" role "ctl" prohibit row deletion from table "Chassis".' }, null]);
  t.equal(JSON.stringify([...db.rows('Chassis')]), before, 'nothing committed');
  const badOps: Json[] = [{ op: 'update', table: 'Chassis', where: [['nope', '==', 1]], row: { hostname: 'x' } }];
  const bad = await rbacTransact(db, schema, badOps, me);
  t.same(bad, await db.transact(badOps), 'a malformed op gets the engine\'s own error');
  t.match(bad, [{ error: 'unknown column' }]);
  for (const ops of [
    [{ op: 'select', table: 'Chassis', where: [] }, { op: 'update', table: 'Chassis', row: { hostname: 'x' } }, { op: 'comment', comment: 'c' }],
    [{ op: 'insert', table: 'Chassis', row: { name: 'me' } }, { op: 'delete', table: 'NoSuchTable', where: [] }],
    [{ op: 'update', table: 'Chassis', where: [['name', '==', 'me']], row: { hostname: 'y' } }, { op: 'mutate', table: 'Chassis', where: [], mutations: 7 }],
    [{ op: 'update', table: 'Chassis', where: [['name', '==', 'me']], row: { hostname: 'y' } }, { op: 'insert', table: 'Chassis', row: { name: 'me' }, bogus: 1 }],
  ] as Json[][]) {
    const want = await db.transact([...ops, { op: 'abort' }]);
    want.pop();
    // position numbers in "Parsing ovsdb operation I of N" refer to the client's transaction
    const noUuid = (r: Json[]) => JSON.parse(JSON.stringify(r).replace(/[0-9a-f]{8}-[0-9a-f-]{27}/g, 'U')) as Json[];
    const fix = (r: Json[]) => noUuid(JSON.parse(JSON.stringify(r).replace(/of \d+ failed/g, `of ${ops.length} failed`)) as Json[]);
    t.same(noUuid(await rbacTransact(db, schema, ops, me)), fix(want), `same error as the engine: ${JSON.stringify(ops).slice(0, 80)}`);
  }
});

/** A Database whose first probe (a transaction ending in "abort") is followed by `between`. */
function interposed(db: MemoryDatabase, between: () => Promise<void>): Database & { probes: number; reals: number } {
  let done = false;
  const w = {
    name: db.name, schemaJson: db.schemaJson, probes: 0, reals: 0,
    get lastTxnId() { return db.lastTxnId; },
    onCommit: db.onCommit.bind(db),
    rows: db.rows.bind(db),
    async transact(ops: Json[], options?: TransactOptions): Promise<Json[]> {
      const last = ops[ops.length - 1] as JsonObject | undefined;
      const isProbe = last?.op === 'abort';
      if (isProbe) w.probes++; else w.reals++;
      const r = await db.transact(ops, options);
      if (isProbe && !done) { done = true; await between(); }
      return r;
    },
  };
  return w;
}

t.test('guard: a row that changes owner between the check and the commit is refused, not committed', async (t) => {
  const db = await fresh();
  const w = interposed(db, async () => {
    // Someone else renames "me" to "you2" right after the probe saw it as the client's.
    await db.transact([{ op: 'update', table: 'Chassis', where: [['name', '==', 'me']], row: { name: 'you2' } }]);
  });
  const r = await rbacTransact(w, schema, [{ op: 'update', table: 'Chassis', where: [['hostname', '==', 'a']], row: { hostname: 'stolen' } }], me);
  t.same(r, [{ error: 'permission error', details: 'RBAC rules for client "me" role "ctl" prohibit modification of table "Chassis".' }]);
  t.equal(w.probes, 2, 'the guard failed once and the check ran again');
  t.notOk([...db.rows('Chassis')].some((row) => row.hostname === 'stolen'), 'the other owner\'s row is untouched');
});

t.test('guard: a permission taken away between the check and the commit is honoured', async (t) => {
  const db = await fresh();
  const w = interposed(db, async () => {
    await db.transact([{ op: 'update', table: 'RBAC_Permission', where: [], row: { update: ['set', []] } }]);
  });
  const r = await rbacTransact(w, schema, [{ op: 'update', table: 'Chassis', where: [['name', '==', 'me']], row: { hostname: 'late' } }], me);
  t.match(r, [{ error: 'permission error' }]);
  t.notOk([...db.rows('Chassis')].some((row) => row.hostname === 'late'));
});

t.test('guard: unrelated commits in between do not block an allowed transaction', async (t) => {
  const db = await fresh();
  const w = interposed(db, async () => {
    await db.transact([{ op: 'update', table: 'Chassis', where: [['name', '==', 'you']], row: { hostname: 'other' } }]);
  });
  const r = await rbacTransact(w, schema, [
    { op: 'update', table: 'Chassis', where: [['name', '==', 'me']], row: { hostname: 'mine' } },
    { op: 'insert', table: 'Chassis', row: { name: 'me', hostname: 'second' } },
  ], me);
  t.match(r, [{ count: 1 }, { uuid: ['uuid', String] }]);
  t.equal(r.length, 2, 'guard results are not shown');
  t.equal(w.reals, 1, 'one real transaction');
  t.ok([...db.rows('Chassis')].some((row) => row.hostname === 'mine'));
});

t.test('a client wait op that blocks: the probe waits for it, then the write is checked and committed', async (t) => {
  const db = await fresh();
  const p = rbacTransact(db, schema, [
    { op: 'wait', table: 'Chassis', where: [['name', '==', 'you']], columns: ['hostname'], until: '==', rows: [{ hostname: 'ready' }] },
    { op: 'update', table: 'Chassis', where: [['name', '==', 'me']], row: { hostname: 'after-wait' } },
  ], me);
  let settled = false;
  void p.then(() => { settled = true; });
  await new Promise((r) => setTimeout(r, 50));
  t.equal(settled, false, 'blocked while the condition does not hold');
  await db.transact([{ op: 'update', table: 'Chassis', where: [['name', '==', 'you']], row: { hostname: 'ready' } }]);
  t.same(await p, [{}, { count: 1 }], 'the wait result and the update; no guard results');
  t.ok([...db.rows('Chassis')].some((r) => r.hostname === 'after-wait'));
  const timedOut = await rbacTransact(db, schema, [
    { op: 'wait', table: 'Chassis', where: [], columns: ['name'], until: '==', rows: [], timeout: 0 },
    { op: 'delete', table: 'Chassis', where: [] },
  ], me);
  t.match(timedOut, [{ error: 'timed out' }, null], 'a wait that times out answers as the engine does');
});
