// OVSDB role-based access control as ovsdb-server has it (ovsdb-server(7) "RBAC_Role", OVS's
// ovsdb/rbac.c). A client that connected through a remote whose Connection row has a non-empty
// `role`, to a database whose schema has a table named RBAC_Role, may read everything but write
// only what the role allows:
//   RBAC_Role row with name = role; its `permissions` maps a table name to a row of a permission
//   table with `authorization` (set of "column" or "column:key": a row is the client's when one of
//   them equals the client id; "" = every row), `insert_delete` (bool) and `update` (column names
//   that update and mutate may change).
// The client id is the TLS certificate's common name; other transports have none, so a client with
// a role over unix/tcp may not write at all. A denied operation answers as OVS does:
//   {"error": "permission error", "details": "RBAC rules for client \"ID\" role \"ROLE\" prohibit
//    row insertion into table \"T\"."}   (row deletion from / modification of / mutate operation on)
// and nothing of the transaction is committed.
//
// How it is enforced through the public Database API only (no hook in the transaction engine):
//   1. probe: the transaction runs with a `select` of the rows each update/mutate/delete will touch
//      placed just before it, ending in `abort` (nothing commits). That shows every operation the
//      exact rows it sees inside the transaction, after the operations before it.
//   2. the rules are checked on those rows; a denial answers with the probe's results up to the
//      denied operation.
//   3. allowed: the real transaction runs with a guard before each of those operations, a `wait`
//      with timeout 0 that the rows it touches still have the authorization values the probe saw
//      (and that the role and permission rows are unchanged); the client's own `wait` ops, which
//      held in the probe, get timeout 0 too. If anything changed in between, a guard fails,
//      nothing commits, and the whole thing starts again from the probe.
// Guard and probe results are removed from what the client gets.
import type { Database, Json, JsonObject, RowJson, TransactOptions } from '../ovsdb/api.js';
import type { ColumnSchema, DatabaseSchema, TableSchema } from '../ovsdb/schema.js';
import { stringifyJson } from '../util/json-int64.js';

export const RBAC_ROLE_TABLE = 'RBAC_Role';

/** Who is transacting: the role of the remote the client came through and the client's id. */
export interface RbacClient {
  role: string;
  /** TLS certificate CN; undefined for unix/tcp/pipe clients. */
  id: string | undefined;
}

const WRITE_OPS = new Set(['insert', 'update', 'mutate', 'delete']);
const MAX_ATTEMPTS = 10;

interface Permission {
  uuid: string;
  version: Json;
  authorization: string[];
  insertDelete: boolean | undefined;
  update: string[];
}

interface RoleState {
  /** undefined when no RBAC_Role row has this name. */
  roleRow?: { uuid: string; version: Json };
  perms: Map<string, Permission>;
}

type Obj = JsonObject;

function isObj(v: Json | undefined): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function uuidOf(v: Json | undefined): string | undefined {
  return Array.isArray(v) && v[0] === 'uuid' && typeof v[1] === 'string' ? v[1] : undefined;
}

/** The atoms of a set datum in wire form ("x", ["set", [...]]). */
function setAtoms(v: Json | undefined): Json[] {
  if (Array.isArray(v) && v[0] === 'set' && Array.isArray(v[1])) return v[1] as Json[];
  return v === undefined ? [] : [v];
}

function mapPairs(v: Json | undefined): [Json, Json][] {
  if (Array.isArray(v) && v[0] === 'map' && Array.isArray(v[1])) return v[1] as [Json, Json][];
  return [];
}

/** True when the transaction must go through RBAC: a role, an RBAC_Role table, a write op. */
export function rbacApplies(schema: DatabaseSchema, client: RbacClient | undefined, ops: Json[]): boolean {
  if (!client || client.role === '' || !schema.tables.has(RBAC_ROLE_TABLE)) return false;
  return ops.some((op) => isObj(op) && typeof op.op === 'string' && WRITE_OPS.has(op.op));
}

/** Reads the role's row and its permission rows (committed state). */
function readRole(db: Database, schema: DatabaseSchema, role: string): RoleState {
  const state: RoleState = { perms: new Map() };
  const roleTable = schema.tables.get(RBAC_ROLE_TABLE)!;
  if (!roleTable.columns.has('name')) return state;
  let row: RowJson | undefined;
  for (const r of db.rows(RBAC_ROLE_TABLE)) {
    if (setAtoms(r.name).some((a) => typeof a === 'string' && a !== '' && a === role)) { row = r; break; }
  }
  if (!row) return state;
  state.roleRow = { uuid: uuidOf(row._uuid)!, version: row._version ?? null };
  const permCol = roleTable.columns.get('permissions');
  const permTable = permCol?.type.value?.refTable;
  if (!permCol || permCol.type.key.type !== 'string' || permCol.type.value?.type !== 'uuid' || !permTable) return state;
  const wanted = new Map<string, string>();
  for (const [k, v] of mapPairs(row.permissions)) {
    const u = uuidOf(v);
    if (typeof k === 'string' && u) wanted.set(u, k);
  }
  if (wanted.size === 0) return state;
  const pts = schema.tables.get(permTable);
  for (const p of db.rows(permTable)) {
    const u = uuidOf(p._uuid)!;
    const table = wanted.get(u);
    if (table === undefined) continue;
    const ins = pts?.columns.get('insert_delete')?.type.key.type === 'boolean' ? setAtoms(p.insert_delete)[0] : undefined;
    state.perms.set(table, {
      uuid: u,
      version: p._version ?? null,
      authorization: setAtoms(p.authorization).filter((a): a is string => typeof a === 'string'),
      insertDelete: typeof ins === 'boolean' ? ins : undefined,
      update: setAtoms(p.update).filter((a): a is string => typeof a === 'string'),
    });
  }
  return state;
}

function isStringColumn(c: ColumnSchema | undefined): boolean {
  return !!c && c.type.key.type === 'string' && !c.type.value && c.type.max === 1;
}

function isStringMapColumn(c: ColumnSchema | undefined): boolean {
  return !!c && c.type.key.type === 'string' && c.type.value?.type === 'string';
}

/** The columns an authorization list reads (for guards), existing in `table` only. */
function authColumns(table: TableSchema, perm: Permission | undefined): string[] {
  const out = new Set<string>();
  for (const a of perm?.authorization ?? []) {
    const col = a.includes(':') ? a.slice(0, a.indexOf(':')) : a;
    if (col !== '' && table.columns.has(col)) out.add(col);
  }
  return [...out].sort();
}

/** ovsdb_rbac_authorized: does one of the authorization entries of `perm` equal `id` in `row`? */
function authorized(table: TableSchema, perm: Permission, id: string, row: RowJson): boolean {
  for (const name of perm.authorization) {
    if (name === '') return true;
    let value: Json | undefined;
    const colon = name.indexOf(':');
    if (colon >= 0) {
      const col = name.slice(0, colon);
      const key = name.slice(colon + 1).split(':')[0];
      if (col !== '' && key && isStringMapColumn(table.columns.get(col))) {
        value = mapPairs(row[col]).find(([k]) => k === key)?.[1];
      }
    } else if (isStringColumn(table.columns.get(name))) {
      value = setAtoms(row[name])[0];
    }
    if (typeof value === 'string' && value === id) return true;
  }
  return false;
}

function permissionError(client: RbacClient, what: string, table: string): Json {
  return {
    error: 'permission error',
    details: `RBAC rules for client "${client.id ?? '(null)'}" role "${client.role}" prohibit ${what} table "${table}".`,
  };
}

/** An insert's row as it will be stored, as far as authorization columns go (defaults: none). */
function insertedRow(op: Obj): RowJson {
  return isObj(op.row) ? (op.row as RowJson) : {};
}

function isError(r: Json | undefined): boolean {
  return isObj(r) && typeof r.error === 'string';
}

const POSITION = /^Parsing ovsdb operation \d+ of \d+ failed:/;

/** An error of the transaction engine names the op's position ("Parsing ovsdb operation 3 of 5
 *  failed: ..."); in a probe or guarded transaction that is the position among the added ops.
 *  Put back the client's position (`index` 0-based of `n`). */
function atPosition(r: Json, index: number, n: number): Json {
  if (!isObj(r) || typeof r.details !== 'string' || !POSITION.test(r.details)) return r;
  return { ...r, details: r.details.replace(POSITION, `Parsing ovsdb operation ${index + 1} of ${n} failed:`) };
}

/** Results for the client: `probe` results of ops before `upTo`, `at` for op `upTo`, nulls after. */
function answer(n: number, before: Json[], at: Json): Json[] {
  const out = before.slice();
  out.push(atPosition(at, before.length, n));
  while (out.length < n) out.push(null);
  return out;
}

interface Touch {
  /** Index in the probe's result array of the select before this op (update/mutate/delete). */
  selectIndex?: number;
  opIndex: number;
}

/**
 * Runs `ops` on `db` for a client with a role, enforcing RBAC. `schema` must have RBAC_Role
 * (see rbacApplies). Resolves with the RFC 7047 result array the client gets.
 */
export async function rbacTransact(db: Database, schema: DatabaseSchema, ops: Json[], client: RbacClient,
  options: TransactOptions = {}): Promise<Json[]> {
  const n = ops.length;
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    // 1. Probe.
    const probe: Json[] = [];
    const touches: Touch[] = [];
    for (const op of ops) {
      const t: Touch = { opIndex: -1 };
      if (isObj(op) && (op.op === 'update' || op.op === 'mutate' || op.op === 'delete')) {
        const sel: Obj = { op: 'select', table: op.table ?? null, where: op.where ?? null };
        t.selectIndex = probe.length;
        probe.push(sel);
      }
      t.opIndex = probe.length;
      probe.push(op);
      touches.push(t);
    }
    probe.push({ op: 'abort' });
    const pr = await db.transact(probe, options);

    // 2. Check, op by op, exactly where the transaction engine would fail.
    const role = readRole(db, schema, client.role);
    const before: Json[] = [];
    const guards = new Map<number, Obj>();
    for (let i = 0; i < n; i++) {
      const op = ops[i]!;
      const tc = touches[i]!;
      if (tc.selectIndex !== undefined && isError(pr[tc.selectIndex])) {
        // The added select failed (a bad table or where): answer with the op's own error, from the
        // ops up to it run as they are (nothing commits).
        const own = await db.transact([...ops.slice(0, i + 1), { op: 'abort' }], options);
        const bad = own.findIndex((x) => isError(x));
        return answer(n, own.slice(0, bad >= 0 ? bad : i), bad >= 0 ? own[bad]! : pr[tc.selectIndex]!);
      }
      const res = pr[tc.opIndex];
      if (res === undefined || res === null) return answer(n, before, { error: 'internal error', details: 'RBAC probe ended early' });
      if (isError(res) || !isObj(op) || typeof op.op !== 'string' || !WRITE_OPS.has(op.op)) {
        if (isError(res)) return answer(n, before, res);
        before.push(res);
        continue;
      }
      const tableName = op.table as string;
      const table = schema.tables.get(tableName)!;
      const perm = role.roleRow ? role.perms.get(tableName) : undefined;
      const id = client.id;
      let denied: string | undefined;
      if (op.op === 'insert') {
        if (!id || !perm || !authorized(table, perm, id, insertedRow(op)) || perm.insertDelete !== true) denied = 'row insertion into';
      } else {
        const rows = ((pr[tc.selectIndex!] as Obj).rows ?? []) as RowJson[];
        const what = op.op === 'delete' ? 'row deletion from' : op.op === 'update' ? 'modification of' : 'mutate operation on';
        if (!id || !perm) denied = what;
        else if (op.op === 'delete') {
          if (rows.some((r) => !authorized(table, perm, id, r) || perm.insertDelete !== true)) denied = what;
        } else {
          const cols = op.op === 'update'
            ? Object.keys(isObj(op.row) ? op.row : {})
            : (Array.isArray(op.mutations) ? op.mutations : []).map((m) => (Array.isArray(m) ? m[0] : undefined));
          if (rows.some((r) => !authorized(table, perm, id, r) || cols.some((c) => typeof c !== 'string' || !perm.update.includes(c)))) denied = what;
        }
        if (!denied) {
          // Guard: the rows this op touches still have the authorization values seen now.
          const columns = authColumns(table, perm);
          const seen = new Map<string, Obj>();
          for (const r of rows) {
            const proj: Obj = {};
            for (const c of columns) proj[c] = r[c] ?? null;
            seen.set(stringifyJson(proj), proj);
          }
          guards.set(i, { op: 'wait', table: tableName, where: op.where ?? [], columns, until: '==', rows: [...seen.values()], timeout: 0 });
        }
      }
      if (denied) return answer(n, before, permissionError(client, denied, tableName));
      before.push(res);
    }

    // 3. The real transaction, guarded.
    const real: Json[] = [];
    const realIndex: number[] = [];
    const guardIndexes = new Set<number>();
    const pin = (table: string, uuid: string, version: Json) => {
      guardIndexes.add(real.length);
      real.push({ op: 'wait', table, where: [['_uuid', '==', ['uuid', uuid]]], columns: ['_version'], until: '==', rows: [{ _version: version }], timeout: 0 });
    };
    if (role.roleRow) pin(RBAC_ROLE_TABLE, role.roleRow.uuid, role.roleRow.version);
    const permTable = schema.tables.get(RBAC_ROLE_TABLE)!.columns.get('permissions')?.type.value?.refTable;
    if (permTable) for (const p of role.perms.values()) pin(permTable, p.uuid, p.version);
    for (let i = 0; i < n; i++) {
      const g = guards.get(i);
      if (g) { guardIndexes.add(real.length); real.push(g); }
      realIndex.push(real.length);
      const op = ops[i]!;
      if (isObj(op) && op.op === 'wait') {
        // It held in the probe (which blocked for it if it had to): here it must hold at once, or
        // the state moved and everything starts again. So the real transaction never blocks.
        guardIndexes.add(real.length);
        real.push({ ...op, timeout: 0 });
      } else {
        real.push(op);
      }
    }
    const rr = await db.transact(real, options);
    const failedGuard = [...guardIndexes].some((gi) => isError(rr[gi]));
    if (failedGuard) continue;
    const out: Json[] = realIndex.map((ri, i) => atPosition(rr[ri] ?? null, i, n));
    if (rr.length > real.length) out.push(...rr.slice(real.length)); // commit-time error
    return out;
  }
  return answer(n, [], { error: 'timed out', details: 'RBAC: the rows this transaction touches kept changing; try again' });
}

/** Operations ovsdb-server refuses on a read-only connection (its executor table: all but
 *  select, wait, abort, comment and assert; "commit" counts as a write). */
const NOT_READ_ONLY = new Set(['insert', 'update', 'mutate', 'delete', 'commit']);

/** Index of the first op a read-only connection may not run, or -1. */
export function firstWriteOp(ops: Json[]): number {
  return ops.findIndex((op) => isObj(op) && typeof op.op === 'string' && NOT_READ_ONLY.has(op.op));
}

/**
 * A transaction from a read-only connection (Connection row `read_only`), as ovsdb-server answers
 * it: the ops run up to and including the first write op (so its own errors win), nothing commits,
 * and that op's result is {"error": "not allowed", "details": "<op> operation not allowed when
 * database server is in read only mode"}.
 */
export async function readOnlyTransact(db: Database, ops: Json[], options: TransactOptions = {}): Promise<Json[]> {
  const i = firstWriteOp(ops);
  if (i < 0) return db.transact(ops, options);
  const probe = [...ops.slice(0, i + 1), { op: 'abort' }];
  const r = await db.transact(probe, options);
  const before = r.slice(0, i);
  const bad = before.findIndex((x) => isError(x));
  if (bad >= 0) return answer(ops.length, before.slice(0, bad), before[bad]!);
  if (isError(r[i])) return answer(ops.length, before, r[i]!);
  const name = (ops[i] as Obj).op as string;
  return answer(ops.length, before, { error: 'not allowed', details: `${name} operation not allowed when database server is in read only mode` });
}
