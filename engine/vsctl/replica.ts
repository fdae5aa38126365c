// A transaction-scoped copy of the database, like the OVS IDL as ovs-vsctl uses it: rows are read
// once, commands read and write them locally, and commit() turns the changes into one RFC 7047
// transaction (inserts with named uuids, updates of changed columns only, deletes, and `wait`
// ops for verified columns, so a concurrent change makes the server refuse and we retry).
import { localUuid } from './local-uuid.js';
import type { Json, JsonObject, RowJson } from '../ovsdb/api.js';
import type { ColumnSchema, TableSchema, VsctlSchema } from './schema.js';
import { compareAtom, compareDatum, datumFromWire, datumToWire, defaultDatum, type Atom, type Datum, type UuidToJson } from './datum.js';

/** Datums converted from a row read from the server, by column, kept for as long as the row object
 *  lives: a client that hands out the same object for an unchanged row (the engine's MirrorClient)
 *  gets each value converted once, not once per transaction. The datums are frozen (shared). */
const converted = new WeakMap<RowJson, Map<string, Datum>>();

function freezeDatum(d: Datum): Datum {
  Object.freeze(d.keys);
  if (d.values) Object.freeze(d.values);
  return Object.freeze(d);
}

export interface VRow {
  readonly table: TableSchema;
  readonly uuid: string;
  /** The row as read from the server, in wire form (undefined for rows inserted by this
   *  transaction); columns are converted to datums on first use (oldDatum). */
  readonly raw?: RowJson;
  /** Datums converted from `raw` (shared by every transaction that read the same row object). */
  old?: Map<string, Datum>;
  /** Values written by this transaction (created on the first write); null once deleted. Columns
   *  not written read as their old value (inserted rows: the default). */
  cur?: Map<string, Datum> | null;
  readonly inserted: boolean;
  /** create --id=<uuid>: insert with this exact uuid. */
  persistUuid?: boolean;
  written?: Set<string>;
  verified?: Set<string>;
  /** Partial set/map updates (IDL write_partial_*), sent as one mutate op after the update. */
  mutations?: Array<[string, 'insert' | 'delete', Datum]>;
}

export interface CommitPlan {
  ops: Json[];
  /** Index in `ops` of each insert, by the row's local uuid. */
  insertIndex: Map<string, number>;
  /** Index of the select that reads the incremented next_cfg, if any. */
  nextCfgIndex?: number;
  changed: boolean;
}

export class Replica {
  readonly schema: VsctlSchema;
  private readonly tables = new Map<string, Map<string, VRow>>();
  private readonly touched = new Map<string, VRow>();
  /** verifyAllPorts() only notes that it was asked (see there). */
  private readonly deferPortVerifies: boolean;
  private allPortsVerified = false;
  /** Send a write to a big set column that changed by a few elements as a `mutate` of those
   *  elements instead of an `update` with the whole set (see plan()). Off by default: the
   *  transaction then has the very shape ovs-vsctl's IDL gives it. */
  partialSetWrites = false;
  private visible?: ReadonlySet<string>;
  private readonly shadow = new Map<string, Map<string, VRow>>();

  /** `deferPortVerifies`: the client can tell at plan time whether everything read is still
   *  current (VerifyOracle.readStillCurrent); verifyAllPorts() then costs nothing up front. */
  constructor(schema: VsctlSchema, loaded: Map<string, RowJson[]>, deferPortVerifies = false) {
    this.schema = schema;
    this.deferPortVerifies = deferPortVerifies;
    for (const [tname, rows] of loaded) this.loadTable(tname, rows);
  }

  isLoaded(table: string): boolean {
    return this.table(table) !== undefined;
  }

  /** The rows of `table` this transaction sees: a kept replica holds tables read for earlier
   *  transactions, which this one sees only if its commands asked for them (as when they are
   *  read for each transaction); the others hold only the rows it inserts (`shadow`). */
  private table(name: string): Map<string, VRow> | undefined {
    return this.visible && !this.visible.has(name) ? this.shadow.get(name) : this.tables.get(name);
  }

  /** Whether the kept replica holds `table` (seen by this transaction or not). */
  holds(table: string): boolean {
    return this.tables.has(table);
  }

  /** Tables the next transaction sees (undefined: all loaded ones). */
  setVisible(tables: ReadonlySet<string> | undefined): void {
    this.visible = tables;
  }

  // ---- A replica kept across transactions (engine/vsctl/session.ts): the rows read from the
  // server stay, only the rows a commit changed are replaced, and each transaction's own edits
  // are undone when it ends (committed or not), so none of them leaks into the next one.

  /** Adds `table` with `rows` (the server's current rows, in its order). */
  loadTable(tname: string, rows: Iterable<RowJson>): void {
    const table = this.schema.tables.get(tname);
    if (!table) return;
    const m = new Map<string, VRow>();
    for (const r of rows) {
      const uuid = (r._uuid as Json[])[1] as string;
      m.set(uuid, newRow(table, uuid, r, false));
    }
    this.tables.set(tname, m);
  }

  /** Row `uuid` of a loaded table is now `raw` (undefined: deleted). An update keeps the row's
   *  place, an insert goes last (the server's order). Only between transactions. Returns whether
   *  the replica changed. */
  replaceRow(tname: string, uuid: string, raw: RowJson | undefined): boolean {
    const m = this.tables.get(tname);
    if (!m) return false;
    const had = m.get(uuid);
    if (!raw) return m.delete(uuid);
    if (had && had.raw === raw) return false;
    m.set(uuid, newRow(had?.table ?? (this.schema.tables.get(tname) as TableSchema), uuid, raw, false));
    return true;
  }

  /** Whether this transaction has written, verified, inserted or deleted anything yet. */
  get pristine(): boolean {
    return this.touched.size === 0 && !this.allPortsVerified;
  }

  /** Undoes everything this transaction did to the replica: inserted rows go, written, verified,
   *  mutated and deleted rows read again as the server sent them. */
  endTransaction(): void {
    for (const r of this.touched.values()) {
      if (r.inserted) {
        const m = this.tables.get(r.table.name);
        if (m?.get(r.uuid) === r) m.delete(r.uuid);
        continue;
      }
      r.cur = undefined;
      r.written = undefined;
      r.verified = undefined;
      r.mutations = undefined;
    }
    this.touched.clear();
    this.shadow.clear();
    this.allPortsVerified = false;
  }

  /** Existing rows of a table (deleted ones skipped, inserted ones included). */
  rows(table: string): VRow[] {
    const m = this.table(table);
    if (!m) return [];
    const out: VRow[] = [];
    for (const r of m.values()) if (r.cur !== null) out.push(r);
    return out;
  }

  get(table: string, uuid: string): VRow | undefined {
    const r = this.table(table)?.get(uuid);
    return r && r.cur !== null ? r : undefined;
  }

  column(row: VRow, name: string): ColumnSchema {
    const c = row.table.columns.get(name);
    if (!c) throw new Error(`no column ${row.table.name}.${name}`);
    return c;
  }

  /** The value a column had when read from the server (default for inserted rows). */
  oldDatum(row: VRow, name: string): Datum {
    // Hot path (every read of a column not written): the value converted before.
    const seen = row.old?.get(name);
    if (seen) return seen;
    const c = this.column(row, name);
    if (!row.raw) return defaultDatum(c.type);
    let old = row.old;
    if (!old) {
      old = converted.get(row.raw);
      if (!old) converted.set(row.raw, (old = new Map()));
      row.old = old;
    }
    let d = old.get(name);
    if (!d) {
      const j = row.raw[name];
      if (j === undefined) throw new Error(`column ${row.table.name}.${name} was not read from the database`);
      d = freezeDatum(datumFromWire(j as Json, c.type));
      old.set(name, d);
    }
    return d;
  }

  read(row: VRow, name: string): Datum {
    return row.cur?.get(name) ?? this.oldDatum(row, name);
  }

  write(row: VRow, name: string, d: Datum): void {
    if (row.cur === null) throw new Error(`write to deleted row ${row.uuid}`);
    this.column(row, name);
    (row.cur ??= new Map()).set(name, d);
    (row.written ??= new Set()).add(name);
    this.touched.set(row.uuid, row);
  }

  verify(row: VRow, name: string): void {
    if (row.inserted || row.cur === null) return;
    (row.verified ??= new Set()).add(name);
    this.touched.set(row.uuid, row);
  }

  /** ovs-vsctl's verify_ports: Open_vSwitch.bridges, every bridge's ports and every port's
   *  interfaces. Deferred (constructor), the per-row verifies are made at plan time, and only when
   *  something may have committed since the read; then every row read from the server that was
   *  not inserted by this transaction is verified, deleted ones too (never fewer than verifying at
   *  the time of the call, so a concurrent change is still seen and the commands run again). */
  verifyAllPorts(ovs: VRow): void {
    this.verify(ovs, 'bridges');
    if (this.deferPortVerifies) { this.allPortsVerified = true; return; }
    for (const b of this.rows('Bridge')) this.verify(b, 'ports');
    for (const p of this.rows('Port')) this.verify(p, 'interfaces');
  }

  private expandPortVerifies(): void {
    for (const [table, col] of [['Bridge', 'ports'], ['Port', 'interfaces']] as const) {
      for (const r of this.table(table)?.values() ?? []) {
        if (r.inserted) continue;
        (r.verified ??= new Set()).add(col);
        this.touched.set(r.uuid, r);
      }
    }
  }

  /** Partial update: inserts elements (set) or pairs (map) without reading the column. */
  mutate(row: VRow, name: string, kind: 'insert' | 'delete', d: Datum): void {
    this.column(row, name);
    (row.mutations ??= []).push([name, kind, d]);
    this.touched.set(row.uuid, row);
  }

  insert(table: string, uuid?: string, persist = false): VRow {
    const t = this.schema.tables.get(table);
    if (!t) throw new Error(`no table ${table}`);
    let m = this.table(table);
    if (!m) { m = new Map(); (this.visible && !this.visible.has(table) ? this.shadow : this.tables).set(table, m); }
    const row = newRow(t, uuid ?? localUuid(), undefined, true);
    if (persist) row.persistUuid = true;
    m.set(row.uuid, row);
    this.touched.set(row.uuid, row);
    return row;
  }

  delete(row: VRow): void {
    if (row.inserted) {
      this.table(row.table.name)?.delete(row.uuid);
      this.touched.delete(row.uuid);
      row.cur = null;
      return;
    }
    row.cur = null;
    this.touched.set(row.uuid, row);
  }

  /** named-uuid for rows inserted by this transaction, plain uuid otherwise. */
  uuidJson: UuidToJson = (u: string): Json => {
    const r = this.touched.get(u);
    if (r && r.inserted && !r.persistUuid) return ['named-uuid', namedUuid(u)];
    return ['uuid', u];
  };

  /** Builds the transaction. `incrementRow` is the Open_vSwitch row whose next_cfg to bump. */
  plan(opts: { comment?: string; incrementRow?: VRow; dryRun?: boolean; verifiedHolds?: (table: string, uuid: string, columns: string[], raw: RowJson) => boolean; readStillCurrent?: () => boolean }): CommitPlan {
    const ops: Json[] = [];
    // Nothing committed since the read: every verify would pass, none is sent (verify-oracle.ts).
    const allHold = opts.readStillCurrent?.() === true;
    if (this.allPortsVerified && !allHold) this.expandPortVerifies();
    const insertIndex = new Map<string, number>();
    let changed = false;
    const where = (r: VRow): Json => [['_uuid', '==', this.uuidJson(r.uuid)]];
    for (const r of this.touched.values()) {
      const tname = r.table.name;
      if (!allHold && !r.inserted && r.verified?.size) {
        const cols = [...r.verified].sort();
        // A wait the client can already see pass is not sent at all (see verify-oracle.ts).
        if (!(r.raw && opts.verifiedHolds?.(tname, r.uuid, cols, r.raw))) {
          const rowJ: JsonObject = {};
          for (const c of cols) {
            // The value as the server sent it (an old value cannot refer to a row inserted by this
            // transaction): no conversion, and a server that kept the row unchanged can see that
            // it holds the very value it handed out (the engine's MirrorClient skips such waits).
            const raw = r.raw?.[c];
            rowJ[c] = raw !== undefined ? raw : datumToWire(this.oldDatum(r, c), this.column(r, c).type, this.uuidJson);
          }
          ops.push({ op: 'wait', table: tname, timeout: 0, where: where(r), until: '==', columns: cols, rows: [rowJ] });
        }
      }
      if (r.cur === null) {
        // Like the IDL: rows of non-root tables are never deleted explicitly; ovsdb-server
        // garbage-collects them once nothing refers to them.
        if (!r.inserted && r.table.isRoot) { ops.push({ op: 'delete', table: tname, where: where(r) }); changed = true; }
        continue;
      }
      const rowJ: JsonObject = {};
      let n = 0;
      let partial: Json[] | undefined;
      for (const c of r.written ? [...r.written].sort() : []) {
        const col = this.column(r, c);
        const v = r.cur!.get(c) as Datum;
        if (!r.inserted) {
          const o = this.oldDatum(r, c);
          // A bridge or port more or less in a set of hundreds: only the difference is sent (a
          // set of any size, at least 0 elements, so neither op can break its size constraint;
          // the column ends with the same value, and a concurrent change is still caught by
          // the verify waits, which are separate ops).
          const delta = this.partialSetWrites && !r.mutations?.length ? smallSetDelta(o, v, col) : undefined;
          if (delta ? delta.added.length + delta.removed.length === 0 : compareDatum(o, v) === 0) continue;
          if (delta) {
            const t = { key: col.type.key, min: 0, max: Infinity };
            if (delta.removed.length) (partial ??= []).push([c, 'delete', datumToWire({ keys: delta.removed }, t, this.uuidJson)]);
            if (delta.added.length) (partial ??= []).push([c, 'insert', datumToWire({ keys: delta.added }, t, this.uuidJson)]);
            continue;
          }
        }
        rowJ[c] = datumToWire(v, col.type, this.uuidJson);
        n++;
      }
      if (r.inserted) {
        const op: JsonObject = { op: 'insert', table: tname, row: rowJ };
        if (r.persistUuid) op.uuid = r.uuid; else op['uuid-name'] = namedUuid(r.uuid);
        insertIndex.set(r.uuid, ops.length);
        ops.push(op);
        changed = true;
      } else if (n) {
        ops.push({ op: 'update', table: tname, where: where(r), row: rowJ });
        changed = true;
      }
      if (partial) {
        ops.push({ op: 'mutate', table: tname, where: where(r), mutations: partial });
        changed = true;
      }
      if (r.mutations?.length) {
        const muts: Json[] = [];
        for (const kind of ['delete', 'insert'] as const) {
          for (const [c, k, d] of r.mutations) {
            if (k !== kind) continue;
            const col = this.column(r, c);
            const t = kind === 'delete' ? { key: col.type.key, min: 0, max: Infinity } : { ...col.type, min: 0, max: Infinity };
            muts.push([c, kind, datumToWire(d, t, this.uuidJson)]);
          }
        }
        ops.push({ op: 'mutate', table: tname, where: where(r), mutations: muts });
        changed = true;
      }
    }
    let nextCfgIndex: number | undefined;
    if (changed && opts.incrementRow) {
      const w = where(opts.incrementRow);
      ops.push({ op: 'mutate', table: 'Open_vSwitch', where: w, mutations: [['next_cfg', '+=', 1]] });
      nextCfgIndex = ops.length;
      ops.push({ op: 'select', table: 'Open_vSwitch', where: w, columns: ['next_cfg'] });
    }
    if (changed && opts.comment) ops.push({ op: 'comment', comment: opts.comment });
    if (changed && opts.dryRun) ops.push({ op: 'abort' });
    return { ops, insertIndex, ...(nextCfgIndex === undefined ? {} : { nextCfgIndex }), changed };
  }
}

/** Sets of at least this many elements are written as a difference (Replica.partialSetWrites)... */
const PARTIAL_MIN_SIZE = 8;
/** ...when at most this many elements came or went. */
const PARTIAL_MAX_DELTA = 4;

/** The elements added to and removed from set column `col` from `o` to `v`, when `col` is a set
 *  of any size (min 0, no maximum, no values), both are in order and big, and few changed. */
function smallSetDelta(o: Datum, v: Datum, col: ColumnSchema): { added: Atom[]; removed: Atom[] } | undefined {
  const type = col.type;
  if (type.value || type.min !== 0 || type.max !== Infinity) return undefined;
  const a = o.keys, b = v.keys;
  if (a.length < PARTIAL_MIN_SIZE || b.length < PARTIAL_MIN_SIZE || Math.abs(a.length - b.length) > PARTIAL_MAX_DELTA) return undefined;
  const added: Atom[] = [], removed: Atom[] = [];
  // One merge of the two; each must be strictly in order, which is checked on the way.
  let i = 0, j = 0;
  while (i < a.length || j < b.length) {
    if ((i > 0 && i < a.length && compareAtom(a[i - 1] as Atom, a[i] as Atom) >= 0) || (j > 0 && j < b.length && compareAtom(b[j - 1] as Atom, b[j] as Atom) >= 0)) return undefined;
    const c = i === a.length ? 1 : j === b.length ? -1 : compareAtom(a[i] as Atom, b[j] as Atom);
    if (c === 0) { i++; j++; } else if (c < 0) removed.push(a[i++] as Atom); else added.push(b[j++] as Atom);
    if (added.length + removed.length > PARTIAL_MAX_DELTA) return undefined;
  }
  return { added, removed };
}

/** Every VRow gets all its fields at once (one object shape, so property reads stay fast). */
function newRow(table: TableSchema, uuid: string, raw: RowJson | undefined, inserted: boolean): VRow {
  return { table, uuid, raw, old: undefined, cur: undefined, inserted, persistUuid: undefined, written: undefined, verified: undefined, mutations: undefined };
}

export function namedUuid(u: string): string {
  return 'row' + u.replace(/-/g, '_');
}
