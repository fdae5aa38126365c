// Fuzz target: the transaction executor (engine/ovsdb/database.ts) on the vswitch schema. Random
// RFC 7047 operations built from the parsed schema (right and wrong tables, columns, value types,
// conditions, mutators, named uuids, real row uuids, wait/commit/abort/assert/comment, raw junk).
// Rules: transact never rejects (a blocked `wait` is canceled and must reject only with the typed
// cancel error); the result array is well-formed (one entry per op, error objects carry a string
// `error`, nothing but null after the failing op, an extra entry only for a commit-time error); a
// failed transaction leaves the database byte-identical (snapshotRecord) with the same txn id;
// a committed one leaves it passing the integrity check.
import fc from 'fast-check';
import type { Json, JsonObject } from '../../engine/ovsdb/api.js';
import { createDatabase, type MemoryDatabase } from '../../engine/ovsdb/database.js';
import { TransactCanceledError } from '../../engine/ovsdb/errors.js';
import { type BaseType, type ColumnType, type DatabaseSchema } from '../../engine/ovsdb/schema.js';
import { readSchemaFile } from '../../engine/ovsdb/schema-file.js';
import { checkIntegrity } from '../soak/integrity.js';
import { VSWITCH_SCHEMA } from '../soak/servers.js';
import { FuzzFailure, type FuzzTarget } from './harness.js';
import { stringifyJson } from '../../engine/util/json-int64.js';

const SCHEMA: DatabaseSchema = readSchemaFile(VSWITCH_SCHEMA);
const TABLES = ['Open_vSwitch', 'Bridge', 'Port', 'Interface', 'Controller', 'Manager', 'Mirror', 'QoS', 'Queue', 'Flow_Table', 'SSL', 'NetFlow'];
const NAMES = ['br0', 'br1', 'p1', 'p2', 'eth0', 'x', ''];
const NAMED = ['n0', 'n1', 'n2'];

/** A placeholder replaced at run time by the uuid of an existing row (index into the live rows). */
const UUID_REF = 'uuid-ref';

function atomArb(b: BaseType): fc.Arbitrary<Json> {
  const wrong = fc.oneof(fc.integer(), fc.string({ maxLength: 4 }), fc.boolean(), fc.constant(null), fc.double());
  let right: fc.Arbitrary<Json>;
  if (b.enum && b.enum.length) right = fc.constantFrom(...b.enum);
  else switch (b.type) {
    case 'integer': right = fc.oneof(fc.integer({ min: -2, max: 70000 }), fc.constantFrom(b.minInteger ?? 0, b.maxInteger ?? 4095, 4096, -1, 2 ** 53));
      break;
    case 'real': right = fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer());
      break;
    case 'boolean': right = fc.boolean();
      break;
    case 'string': right = fc.oneof(fc.constantFrom(...NAMES), fc.string({ maxLength: 6 }), fc.constantFrom('true', 'secure', 'internal', '1.2.3.4'));
      break;
    case 'uuid': right = fc.oneof(fc.constantFrom(...NAMED).map((n): Json => ['named-uuid', n]), fc.nat(40).map((k): Json => [UUID_REF, k]),
      fc.constant<Json>(['uuid', '00000000-0000-0000-0000-000000000001']), fc.constant<Json>(['uuid', 'not-a-uuid']));
      break;
  }
  return fc.oneof({ arbitrary: right, weight: 40 }, { arbitrary: wrong, weight: 1 });
}

function datumArb(t: ColumnType): fc.Arbitrary<Json> {
  const k = atomArb(t.key);
  if (t.value) {
    const v = atomArb(t.value);
    return fc.oneof(
      fc.array(fc.tuple(k, v), { maxLength: 3 }).map((ps): Json => ['map', ps]),
      fc.constant<Json>(['map', [['a']]]), k,
    );
  }
  if (t.max > 1 || t.min === 0) {
    return fc.oneof({ arbitrary: k, weight: 5 }, { arbitrary: fc.array(k, { maxLength: Math.min(t.max, 4) }).map((xs): Json => ['set', xs]), weight: 5 },
      { arbitrary: fc.constant<Json>(['set', 5]), weight: 1 });
  }
  return k;
}

function tableParts(table: string) {
  const ts = SCHEMA.tables.get(table);
  const cols = ts ? [...ts.columns.values()] : [];
  const colNames = cols.map((c) => c.name);
  const anyCol = fc.oneof({ arbitrary: fc.constantFrom(...(colNames.length ? colNames : ['name'])), weight: 9 }, { arbitrary: fc.constantFrom('bogus', '_uuid', '_version', ''), weight: 1 });
  const colValue = fc.oneof(
    { arbitrary: fc.constantFrom(...(cols.length ? cols : [undefined])).chain((c) => c ? fc.tuple(fc.constant(c.name), datumArb(c.type)) : fc.tuple(fc.constant('name'), fc.constant<Json>('x'))), weight: 9 },
    { arbitrary: fc.tuple(anyCol, fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>), weight: 1 },
  );
  const row = fc.array(colValue, { maxLength: 4 }).map((kv): JsonObject => Object.fromEntries(kv));
  const cond = fc.oneof(
    { arbitrary: fc.tuple(fc.constantFrom('name', '_uuid'), fc.constantFrom('==', '!=', 'includes', 'excludes'), fc.oneof(fc.constantFrom<Json>(...NAMES), fc.nat(40).map((k): Json => [UUID_REF, k]))).map((c): Json => c), weight: 16 },
    { arbitrary: colValue.chain(([c, v]) => fc.constantFrom('==', '!=', '==', '!=', 'includes', 'excludes', '<', '>=', 'bogus').map((f): Json => [c, f, v])), weight: 16 },
    { arbitrary: fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>, weight: 1 },
  );
  const where = fc.array(cond, { maxLength: 3 });
  const mutation = colValue.chain(([c, v]) => fc.constantFrom('+=', '-=', '*=', '/=', '%=', 'insert', 'delete', 'bogus').map((m): Json => [c, m, v]));
  return { anyCol, row, where, mutation };
}

const opArb: fc.Arbitrary<Json> = fc.oneof({ arbitrary: fc.constantFrom(...TABLES), weight: 30 }, { arbitrary: fc.constant('Bogus'), weight: 1 }).chain((table) => {
  const { anyCol, row, where, mutation } = tableParts(table);
  return fc.oneof(
    { arbitrary: fc.record({ op: fc.constant('insert'), table: fc.constant(table), row, 'uuid-name': fc.constantFrom(...NAMED) }, { requiredKeys: ['op', 'table', 'row'] }), weight: 20 },
    { arbitrary: fc.record({ op: fc.constant('select'), table: fc.constant(table), where, columns: fc.array(anyCol, { maxLength: 3 }) }, { requiredKeys: ['op', 'table', 'where'] }), weight: 8 },
    { arbitrary: fc.record({ op: fc.constant('update'), table: fc.constant(table), where, row }), weight: 16 },
    { arbitrary: fc.record({ op: fc.constant('mutate'), table: fc.constant(table), where, mutations: fc.array(mutation, { maxLength: 3 }) }), weight: 16 },
    { arbitrary: fc.record({ op: fc.constant('delete'), table: fc.constant(table), where }), weight: 12 },
    { arbitrary: fc.record({ op: fc.constant('wait'), table: fc.constant(table), where, columns: fc.array(anyCol, { maxLength: 2 }), until: fc.constantFrom('==', '!=', 'x'), rows: fc.array(row, { maxLength: 2 }), timeout: fc.constantFrom(0, 0, 10) }, { requiredKeys: ['op', 'table', 'where', 'columns', 'until', 'rows'] }), weight: 4 },
    { arbitrary: fc.record({ op: fc.constant('commit'), durable: fc.oneof(fc.boolean(), fc.constant<Json>('yes')) }), weight: 4 },
    { arbitrary: fc.constant<Json>({ op: 'abort' }), weight: 4 },
    { arbitrary: fc.record({ op: fc.constant('comment'), comment: fc.oneof(fc.string(), fc.integer()) }), weight: 4 },
    { arbitrary: fc.record({ op: fc.constant('assert'), lock: fc.constantFrom('l', '', 'bad lock') }), weight: 4 },
    { arbitrary: fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json>, weight: 1 },
  ) as fc.Arbitrary<Json>;
});

/** The initial rows: a bridge with ports and interfaces, a controller, a manager, QoS with a queue. */
const SEED_OPS: Json[] = [
  { op: 'insert', table: 'Interface', 'uuid-name': 'i1', row: { name: 'p1' } },
  { op: 'insert', table: 'Port', 'uuid-name': 'p1', row: { name: 'p1', interfaces: ['named-uuid', 'i1'], tag: 5 } },
  { op: 'insert', table: 'Interface', 'uuid-name': 'i0', row: { name: 'br0', type: 'internal' } },
  { op: 'insert', table: 'Queue', 'uuid-name': 'q', row: { other_config: ['map', [['max-rate', '100']]] } },
  { op: 'insert', table: 'QoS', 'uuid-name': 'qos', row: { type: 'linux-htb', queues: ['map', [[0, ['named-uuid', 'q']]]] } },
  { op: 'insert', table: 'Port', 'uuid-name': 'p0', row: { name: 'br0', interfaces: ['named-uuid', 'i0'], qos: ['named-uuid', 'qos'] } },
  { op: 'insert', table: 'Controller', 'uuid-name': 'c', row: { target: 'tcp:127.0.0.1:6653' } },
  { op: 'insert', table: 'Bridge', 'uuid-name': 'b', row: { name: 'br0', ports: ['set', [['named-uuid', 'p1'], ['named-uuid', 'p0']]], controller: ['named-uuid', 'c'] } },
  { op: 'insert', table: 'Manager', 'uuid-name': 'm', row: { target: 'ptcp:6640' } },
  { op: 'insert', table: 'Open_vSwitch', row: { bridges: ['named-uuid', 'b'], manager_options: ['named-uuid', 'm'] } },
];

export async function freshTransactDb(): Promise<MemoryDatabase> {
  const d = createDatabase(SCHEMA);
  const r = await d.transact(SEED_OPS);
  if (r.some((x) => x && typeof x === 'object' && 'error' in x)) throw new Error(`seed transaction failed: ${stringifyJson(r)}`);
  return d;
}

function liveUuids(d: MemoryDatabase): string[] {
  const out: string[] = [];
  for (const t of TABLES) for (const r of d.rows(t)) out.push(String((r._uuid as Json[])[1]));
  return out;
}

function resolveRefs(j: Json, uuids: string[]): Json {
  if (Array.isArray(j)) {
    if (j.length === 2 && j[0] === UUID_REF && typeof j[1] === 'number') return ['uuid', uuids.length ? uuids[j[1] % uuids.length]! : '00000000-0000-0000-0000-000000000000'];
    return j.map((x) => resolveRefs(x, uuids));
  }
  if (j && typeof j === 'object') return Object.fromEntries(Object.entries(j).map(([k, v]) => [k, resolveRefs(v, uuids)]));
  return j;
}

/** Snapshot of the state before a case, reused while the txn id has not moved (a failed or
 *  read-only transaction); the state after a case is always taken fresh. */
let cachedBefore: { db: MemoryDatabase; txn: string; body: string } | undefined;
function beforeBody(d: MemoryDatabase): string {
  if (cachedBefore && cachedBefore.db === d && cachedBefore.txn === d.lastTxnId) return cachedBefore.body;
  const body = snapshotBody(d);
  cachedBefore = { db: d, txn: d.lastTxnId, body };
  return body;
}

/** The snapshot with tables and rows in sorted order: row order is not data. (That a rollback
 *  moves a re-inserted row to the end of the table's order is pinned separately by
 *  tests/fuzz-regressions/rollback-order.test.ts.) */
function snapshotBody(d: MemoryDatabase): string {
  const s = d.snapshotRecord();
  delete s._date;
  const sorted: JsonObject = {};
  for (const t of Object.keys(s).sort()) {
    const rows = s[t] as JsonObject;
    sorted[t] = Object.fromEntries(Object.keys(rows).sort().map((u) => [u, rows[u]!]));
  }
  return stringifyJson(sorted);
}

function isErrorObject(x: Json | undefined): boolean {
  return !!x && typeof x === 'object' && !Array.isArray(x) && 'error' in x;
}

/** Runs one transaction on `d` and checks every rule; exported for the regression replay. */
export async function checkTransaction(d: MemoryDatabase, rawOps: Json[]): Promise<void> {
  const ops = resolveRefs(rawOps, liveUuids(d)) as Json[];
  const before = beforeBody(d);
  const txnBefore = d.lastTxnId;
  const ctl = new AbortController();
  const pending = d.transact(ops, { signal: ctl.signal });
  ctl.abort(); // a transaction blocked in `wait` is canceled; one that finished is unaffected
  let res: Json[];
  try {
    res = await pending;
  } catch (e) {
    if (!(e instanceof TransactCanceledError)) throw new FuzzFailure(`transact rejected for ${stringifyJson(ops).slice(0, 400)}`, e);
    if (snapshotBody(d) !== before) throw new FuzzFailure('a canceled transaction changed the database');
    return;
  }
  const n = ops.length;
  if (!Array.isArray(res)) throw new FuzzFailure(`result is not an array: ${stringifyJson(res)}`);
  if (res.length !== n && res.length !== n + 1) throw new FuzzFailure(`${n} ops gave ${res.length} results`);
  const firstErr = res.findIndex(isErrorObject);
  for (let i = 0; i < res.length; i++) {
    const x = res[i];
    if (x !== null && (typeof x !== 'object' || Array.isArray(x))) throw new FuzzFailure(`result ${i} is neither an object nor null: ${stringifyJson(x)}`);
    if (isErrorObject(x) && typeof (x as JsonObject).error !== 'string') throw new FuzzFailure(`result ${i} has a non-string error: ${stringifyJson(x)}`);
    if (firstErr >= 0 && i > firstErr && x !== null) throw new FuzzFailure(`result ${i} after the failing op ${firstErr} is not null: ${stringifyJson(res)}`);
    if (firstErr < 0 && i < n && x === null) throw new FuzzFailure(`result ${i} is null but no op failed: ${stringifyJson(res)}`);
  }
  if (res.length === n + 1 && firstErr !== n) throw new FuzzFailure(`extra result element without a commit error: ${stringifyJson(res)}`);
  if (firstErr >= 0) {
    if (snapshotBody(d) !== before) throw new FuzzFailure(`failed transaction changed the database: ops ${stringifyJson(ops).slice(0, 600)} result ${stringifyJson(res).slice(0, 300)}`);
    if (d.lastTxnId !== txnBefore) throw new FuzzFailure('failed transaction changed lastTxnId');
    return;
  }
  const problems = checkIntegrity(d, SCHEMA, 5);
  if (problems.length) throw new FuzzFailure(`committed transaction broke integrity: ${problems.join('; ')}; ops ${stringifyJson(ops).slice(0, 600)}`);
}

/** A case is a short history of transactions on a fresh seeded database, so a failing case
 *  replays (and shrinks) on its own, independently of the cases before it. */
export interface TransactInput { txns: Json[][] }

export const transactTarget: FuzzTarget<TransactInput> = {
  name: 'transact',
  arbitrary: () => fc.record({ txns: fc.array(fc.array(opArb, { minLength: 1, maxLength: 5 }), { minLength: 1, maxLength: 4 }) }),
  async check(input) {
    const d = await freshTransactDb();
    for (const [i, ops] of input.txns.entries()) {
      try {
        await checkTransaction(d, ops);
      } catch (e) {
        if (e instanceof FuzzFailure && i > 0) throw new FuzzFailure(`transaction ${i + 1} of ${input.txns.length}: ${e.message}`);
        throw e;
      }
    }
  },
  toJson: (i) => ({ txns: i.txns }),
  fromJson: (j) => j as unknown as TransactInput,
};
