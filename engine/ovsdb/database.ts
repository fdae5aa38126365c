// The in-memory OVSDB database and its transaction engine (RFC 7047 section 5.2 with
// ovsdb-server's semantics): operations run against the live tables with an undo log, then the
// commit checks referential integrity, collects garbage, enforces maxRows, drops dangling weak
// references, checks indexes, bumps _version, hands the OVS on-disk record to the sink and tells
// the onCommit listeners. Any error rolls everything back.
import { newUuid } from './uuid.js';
import type {
  CommitSink, CommittedChange, Database, Json, JsonObject, RowChange, RowJson, TransactOptions, TransactSession, VersionedRow,
} from './api.js';
import { LimitExceededError, OvsdbError, syntaxError, TransactCanceledError } from './errors.js';
import { LimitError } from '../util/limits.js';
import { isUuid } from './schema.js';
import type { BaseType, ColumnSchema, DatabaseSchema, TableSchema } from './schema.js';
import {
  applyDatumDiff, atomToString, checkAtomConstraints, datumEquals, datumFromJson, datumToJson, datumToString,
  compareAtoms, defaultDatum, diffDatum,
} from './datum.js';
import { atomFromJson, atomToJson } from './datum.js';
import type { Atom, Datum, NamedUuidResolver } from './datum.js';
import { evalClause, parseCondition } from './condition.js';
import type { Clause } from './condition.js';
import { applyMutation, parseMutations } from './mutation.js';
import { JsonArrayText } from './json-array-text.js';
import { K_ARRAY, K_BOOLEAN, K_ID, K_INTEGER, K_OBJECT, K_STRING, OpParser } from './op-parser.js';
import { stringifyJson } from '../util/json-int64.js';

const ZERO_TXN_ID = '00000000-0000-0000-0000-000000000000';

interface Row {
  uuid: string;
  /** Indexed like TableState.cols; [0] = _uuid, [1] = _version (see Field). */
  fields: Field[];
  /** Strong references from other rows (committed value). */
  nRefs: number;
  txnRow?: TxnRow;
}

interface TxnRow {
  table: TableState;
  uuid: string;
  old?: Row;
  new?: Row;
  nRefs: number;
  changed?: boolean[];
  /** Last forEach pass that visited this row. */
  visit?: number;
  /** Weak references to forget at commit (ovsdb-server's txn_row->deleted_refs). */
  deletedRefs?: WeakRef[];
  /** Weak references to record at commit (txn_row->added_refs). */
  addedRefs?: WeakRef[];
}

/** One weak reference as ovsdb-server records it on the referenced row (struct ovsdb_weak_ref):
 *  made when a reference to an existing other row is added, forgotten when the reference is
 *  removed or either row is deleted. Deleting a row cleans the references these records name. */
interface WeakRef {
  src: TableState;
  srcUuid: string;
  col: number;
  /** The referenced row. */
  dst: string;
  /** True when the reference is the key atom, false when it is the value atom (maps). */
  byKey: boolean;
  key: Atom;
  value: Atom | undefined;
}

/** What tells two records apart on one referenced row (ovsdb_weak_ref_equals). */
function weakRefId(w: WeakRef): string {
  return `${w.src.schema.name}\u0000${w.srcUuid}\u0000${w.col}\u0000${w.byKey ? 1 : 0}\u0000${typeof w.key}:${String(w.key)}`;
}

interface TableState {
  schema: TableSchema;
  cols: ColumnSchema[];
  colIndex: Map<string, number>;
  rows: Map<string, Row>;
  /** One map per schema index: key of the index columns -> row. */
  indexes: Map<IndexKey, Row>[];
  indexCols: number[][];
  /** Columns holding references (key or value) to other tables. */
  refCols: number[];
  hasWeak: boolean;
  /** Default datum of each column (datums are never mutated in place, so rows share these). */
  defaults: Field[];
  /** Shared "every column changed" marker for inserted and deleted rows. */
  allChanged: boolean[];
  /** An index includes _version: make row versions at once (see NO_VERSION). */
  eagerVersion: boolean;
  /** Columns whose default value breaks the column's constraints (so inserts must set them). */
  badDefaults: number[];
  /** Each column's name as JSON text. */
  colNamesJson: string[];
}

function rowJsonOf(t: TableState, r: Row): RowJson {
  const out: RowJson = {};
  for (let i = 0; i < t.cols.length; i++) out[t.cols[i]!.name] = fieldToJson(t.cols[i]!, fieldAt(r, i));
  return out;
}

class VersionedRowOf implements VersionedRow {
  constructor(private readonly t: TableState, private readonly r: Row) {}

  get uuid(): string {
    return this.r.uuid;
  }

  get version(): string {
    return fieldAt(this.r, 1) as string;
  }

  json(columns?: readonly string[]): RowJson {
    if (!columns) return rowJsonOf(this.t, this.r);
    const out: RowJson = { _uuid: ['uuid', this.r.uuid], _version: ['uuid', this.version] };
    for (const name of columns) {
      const i = this.t.colIndex.get(name);
      if (i !== undefined) out[name] = fieldToJson(this.t.cols[i]!, fieldAt(this.r, i));
    }
    return out;
  }
}

// Objects are created with all their fields so that they keep one hidden class.
function newRow(uuid: string, fields: Field[], nRefs: number): Row {
  return { uuid, fields, nRefs, txnRow: undefined };
}

function newTxnRow(table: TableState, uuid: string, old: Row | undefined, nw: Row | undefined, nRefs: number): TxnRow {
  return { table, uuid, old, new: nw, nRefs, changed: undefined, visit: 0, deletedRefs: undefined, addedRefs: undefined };
}

/** Throws the constraint violation of a one-element datum, if any. */
function checkDefault(c: ColumnSchema, d: Datum): void {
  if (d.keys.length !== 1) return;
  checkAtomConstraints(c.type.key, d.keys[0]!);
  if (c.type.value) checkAtomConstraints(c.type.value, d.values![0]!);
}

function defaultBreaksConstraints(c: ColumnSchema, d: Datum): boolean {
  try {
    checkDefault(c, d);
    return false;
  } catch {
    return true;
  }
}

/** A column value as rows keep it: one atom (a scalar, or a set of one) is stored bare, anything
 *  else (empty or bigger sets, every map) as a Datum. A row of scalars is then one array of
 *  primitives instead of one object and one array per column; _uuid and _version are the uuid
 *  strings themselves. Datums are never changed in place, so rows share them (defaults above all). */
type Field = Atom | Datum;

function asDatum(f: Field): Datum {
  return typeof f === 'object' ? f : { keys: [f] };
}

function asField(d: Datum): Field {
  return !d.values && d.keys.length === 1 ? d.keys[0]! : d;
}

function fieldEquals(a: Field, b: Field): boolean {
  if (a === b) return true;
  if (typeof a !== 'object') {
    if (typeof b !== 'object') return a === b;
    return !b.values && b.keys.length === 1 && b.keys[0] === a;
  }
  if (typeof b !== 'object') return !a.values && a.keys.length === 1 && a.keys[0] === b;
  return datumEquals(a, b);
}

function fieldToJson(c: ColumnSchema, f: Field): Json {
  return typeof f === 'object' ? datumToJson(c.type, f) : atomToJson(c.type.key.type, f);
}

/** JSON.stringify(atomToJson(type, a)), without the array for a uuid. */
function atomJsonText(type: BaseType['type'], a: Atom): string {
  // A uuid atom is 36 hex digits and dashes: nothing to escape.
  if (type === 'uuid') return `["uuid","${a as string}"]`;
  return typeof a === 'string' ? JSON.stringify(a) : String(a);
}

/** JSON.stringify(datumToJson(type, d)), made directly. */
function datumJsonText(type: ColumnSchema['type'], d: Datum): string {
  const kt = type.key.type;
  if (type.value) {
    const vt = type.value.type;
    let s = '["map",[';
    for (let i = 0; i < d.keys.length; i++) s += `${i ? ',' : ''}[${atomJsonText(kt, d.keys[i]!)},${atomJsonText(vt, d.values![i]!)}]`;
    return s + ']]';
  }
  if (d.keys.length === 1) return atomJsonText(kt, d.keys[0]!);
  let s = '["set",[';
  for (let i = 0; i < d.keys.length; i++) s += `${i ? ',' : ''}${atomJsonText(kt, d.keys[i]!)}`;
  return s + ']]';
}

/** JSON.stringify(fieldToJson(c, f)). */
function fieldJsonText(c: ColumnSchema, f: Field): string {
  return typeof f === 'object' ? datumJsonText(c.type, f) : atomJsonText(c.type.key.type, f);
}

/** A reusable one-atom datum, so conditions can look at bare fields without allocating. */
const SCRATCH: { keys: Atom[] } = { keys: [0] };

/** A row's _version before anyone looked at it: the uuid is made on first read (fieldAt) and then
 *  kept, so each row version still has one stable _version, at no cost for rows never read. */
const NO_VERSION = '';

/** Column i of row r (making r's _version if it has none yet). */
function fieldAt(r: Row, i: number): Field {
  const f = r.fields[i]!;
  if (i === 1 && f === NO_VERSION) return (r.fields[1] = newUuid());
  return f;
}

function evalFields(clauses: Clause[], r: Row): boolean {
  for (const c of clauses) {
    const f = fieldAt(r, c.index);
    let d: Datum;
    if (typeof f === 'object') d = f;
    else {
      SCRATCH.keys[0] = f;
      d = SCRATCH;
    }
    if (!evalClause(c, d)) return false;
  }
  return true;
}

function englishDelimiter(i: number, n: number): string {
  return i === 0 ? '' : i < n - 1 ? ', ' : n > 2 ? ', and ' : ' and ';
}

class Txn {
  /** table -> row uuid -> txn row. Tables in the order they joined the transaction (a table left
   *  with no rows drops out after a pass and joins again at the end, as in ovsdb-server). */
  readonly rows = new Map<TableState, Map<string, TxnRow>>();
  /** The keys of `rows`, in order (for the pass order of forEach). */
  private readonly tableOrder: TableState[] = [];
  private pass = 0;
  resolve: NamedUuidResolver = (name: string): string => {
    let s = this.symbols.get(name);
    if (!s) this.symbols.set(name, (s = { uuid: newUuid(), created: false }));
    return s.uuid;
  };
  readonly symbols = new Map<string, { uuid: string; created: boolean }>();
  comment = '';
  durable = false;
  timeoutMs = Infinity;

  private readonly orderBefore = new Map<TableState, string[]>();
  /** The commit has moved this transaction's rows in the table indexes (undone by rollback). */
  indexesMoved = false;

  constructor(readonly db: MemoryDatabase) {}

  get(table: TableState, uuid: string): TxnRow | undefined {
    return this.rows.get(table)?.get(uuid);
  }

  private add(tr: TxnRow): void {
    let m = this.rows.get(tr.table);
    if (!m) {
      this.rows.set(tr.table, (m = new Map()));
      this.tableOrder.push(tr.table);
    }
    m.set(tr.uuid, tr);
  }

  drop(tr: TxnRow): void {
    this.rows.get(tr.table)!.delete(tr.uuid);
  }

  insert(table: TableState, row: Row): void {
    const tr = newTxnRow(table, row.uuid, undefined, row, 0);
    row.txnRow = tr;
    table.rows.set(row.uuid, row);
    this.add(tr);
  }

  /** The writable copy of a row in the current view. */
  modify(table: TableState, row: Row): Row {
    if (row.txnRow && row.txnRow.new === row) return row;
    fieldAt(row, 1); // the copy must show the committed row's _version, not a second new one
    const copy = newRow(row.uuid, row.fields.slice(), row.nRefs);
    const tr = newTxnRow(table, row.uuid, row, copy, row.nRefs);
    row.txnRow = tr;
    copy.txnRow = tr;
    table.rows.set(row.uuid, copy);
    this.add(tr);
    return copy;
  }

  /** Remembers a table's row order before the transaction first removes a row from it, so a
   *  rollback puts every row back in its place (a failed transaction leaves no trace). */
  noteDelete(table: TableState): void {
    if (!this.orderBefore.has(table)) this.orderBefore.set(table, [...table.rows.keys()]);
  }

  delete(table: TableState, row: Row): void {
    const tr = row.txnRow;
    this.noteDelete(table);
    table.rows.delete(row.uuid);
    if (!tr) {
      const t = newTxnRow(table, row.uuid, row, undefined, row.nRefs);
      row.txnRow = t;
      this.add(t);
    } else if (tr.old) {
      tr.new = undefined;
    } else {
      this.drop(tr);
      row.txnRow = undefined;
    }
  }

  /** Visits every txn row once, including rows added while visiting, in ovsdb-server's order
   *  (for_each_txn_row in ovsdb/transaction.c): table by table in the order the tables joined,
   *  every row of a table (rows added to it meanwhile included) before the next table; a table
   *  that joins while the last one is being visited waits for the next sweep, as do rows added to
   *  a table already swept; a table left empty drops out. Within a table ovsdb-server goes in
   *  hash order; this goes in the order the rows joined. The order decides which weak references
   *  to a garbage-collected row survive (see the weak reference step of commit). */
  forEach(fn: (tr: TxnRow) => void): void {
    const pass = ++this.pass;
    const order = this.tableOrder;
    let anyWork: boolean;
    do {
      anyWork = false;
      let i = 0;
      while (i < order.length) {
        const table = order[i]!;
        const wasLast = i === order.length - 1;
        const m = this.rows.get(table)!;
        // Map iteration is live: rows added to this table while it is swept are visited too.
        for (const tr of m.values()) {
          if (tr.visit === pass) continue;
          tr.visit = pass;
          anyWork = true;
          fn(tr);
        }
        if (m.size === 0) {
          this.rows.delete(table);
          order.splice(i, 1);
        } else {
          i++;
        }
        if (wasLast) break;
      }
    } while (anyWork);
  }

  rollback(): void {
    if (this.indexesMoved) {
      this.indexesMoved = false;
      for (const [t, m] of this.rows) {
        if (t.indexCols.length === 0) continue;
        for (const tr of m.values()) if (tr.new) unindexRow(t, tr.new);
        for (const tr of m.values()) if (tr.old) indexRow(t, tr.old);
      }
    }
    for (const m of this.rows.values()) {
      for (const tr of m.values()) {
        if (tr.old) {
          tr.table.rows.set(tr.uuid, tr.old);
          tr.old.txnRow = undefined;
        } else {
          tr.table.rows.delete(tr.uuid);
        }
        if (tr.new) tr.new.txnRow = undefined;
      }
    }
    this.rows.clear();
    this.tableOrder.length = 0;
    for (const [table, keys] of this.orderBefore) {
      const rows = keys.map((u) => [u, table.rows.get(u)] as const);
      table.rows.clear();
      for (const [u, r] of rows) if (r) table.rows.set(u, r);
    }
    this.orderBefore.clear();
  }

  findOrMake(table: TableState, uuid: string): TxnRow | undefined {
    const tr = this.get(table, uuid);
    if (tr) return tr;
    const row = table.rows.get(uuid);
    if (!row) return undefined;
    this.modify(table, row);
    return row.txnRow;
  }
}

/** A transaction's operations: an array, or one JSON text parsed an operation at a time. */
interface OpSource {
  readonly length: number;
  get(i: number): Json;
  /** Checks (throws for) operations from..length-1 that were never reached. */
  check?(from: number): void;
}

/** The result of an operation that has nothing to report (copied before it goes out). */
const EMPTY_RESULT: JsonObject = Object.freeze({}) as JsonObject;

type Outcome = { done: true; results: Json[] } | { done: false; timeoutMs: number };

/** An OVSDB database held in memory; storage (file-db.ts) plugs in through the CommitSink. */
export class MemoryDatabase implements Database {
  readonly schema: DatabaseSchema;
  readonly name: string;
  readonly schemaJson: JsonObject;
  private readonly tables = new Map<string, TableState>();
  private sink: CommitSink | undefined;
  private readonly listeners = new Set<(change: CommittedChange) => void>();
  private readonly waiters = new Set<() => void>();
  private txnId = ZERO_TXN_ID;
  /** referenced row uuid -> its weak reference records by weakRefId. */
  private readonly weakRefs = new Map<string, Map<string, WeakRef>>();
  /** Row version -> its wire form, built for the last commit's listeners (see keepRecentJson). */
  private recentJson = new Map<Row, RowJson>();

  constructor(schema: DatabaseSchema, opts?: { sink?: CommitSink }) {
    this.schema = schema;
    this.name = schema.name;
    this.schemaJson = schema.json;
    this.sink = opts?.sink;
    for (const ts of schema.tables.values()) {
      const cols = [...ts.columns.values()];
      const colIndex = new Map(cols.map((c, i) => [c.name, i] as const));
      const refCols: number[] = [];
      let hasWeak = false;
      cols.forEach((c, i) => {
        if (c.type.key.refTable || c.type.value?.refTable) refCols.push(i);
        if ((c.type.key.refTable && c.type.key.refType === 'weak') || (c.type.value?.refTable && c.type.value.refType === 'weak')) hasWeak = true;
      });
      this.tables.set(ts.name, {
        schema: ts, cols, colIndex, rows: new Map(), indexes: ts.indexes.map(() => new Map()),
        indexCols: ts.indexes.map((idx) => idx.map((c) => colIndex.get(c)!)), refCols, hasWeak,
        eagerVersion: ts.indexes.some((idx) => idx.includes('_version')),
        defaults: cols.map((c) => asField(defaultDatum(c.type))), allChanged: cols.map(() => true),
        badDefaults: cols.map((c, i) => (defaultBreaksConstraints(c, defaultDatum(c.type)) ? i : -1)).filter((i) => i >= 0),
        colNamesJson: cols.map((c) => JSON.stringify(c.name)),
      });
    }
  }

  get lastTxnId(): string {
    return this.txnId;
  }

  setSink(sink?: CommitSink): void {
    this.sink = sink;
  }

  onCommit(listener: (change: CommittedChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  *rows(table: string): Iterable<RowJson> {
    const t = this.tables.get(table);
    if (!t) return;
    for (const r of t.rows.values()) yield this.rowToJson(t, r);
  }

  *versionedRows(table: string): Iterable<VersionedRow> {
    const t = this.tables.get(table);
    if (!t) return;
    for (const r of t.rows.values()) yield new VersionedRowOf(t, r);
  }

  getRow(table: string, uuid: string): RowJson | undefined {
    const t = this.tables.get(table);
    const r = t?.rows.get(uuid);
    return t && r ? this.rowToJson(t, r) : undefined;
  }

  private rowToJson(t: TableState, r: Row): RowJson {
    return rowJsonOf(t, r);
  }

  // ---- transact ------------------------------------------------------------------------------

  async transact(ops: Json[], options?: TransactOptions): Promise<Json[]> {
    return this.run({ length: ops.length, get: (i) => ops[i]! }, options);
  }

  /** One synchronous attempt of transact() (the server's fast path: no promise per request). It
   *  returns the results unless the transaction blocks in "wait"; then nothing has changed and it
   *  returns undefined, and the caller runs transact() to wait. Throws what transact() rejects
   *  with. */
  transactNow(ops: Json[], options?: TransactOptions): Json[] | undefined {
    if (options?.signal?.aborted) throw new TransactCanceledError();
    const out = this.executeOnce({ length: ops.length, get: (i) => ops[i]! }, 0, options);
    return out.done ? out.results : undefined;
  }

  /** transact() with the operations given as the text of one JSON array (the params of a JSON-RPC
   *  "transact" after the database name): each operation is parsed when the transaction reaches
   *  it, so a transaction of 100,000 operations never holds them all as objects. Rejects with
   *  InvalidInputError when the text is not one JSON array; otherwise exactly like transact(). */
  async transactText(opsJson: string, options?: TransactOptions): Promise<Json[]> {
    return this.run(new JsonArrayText(opsJson), options);
  }

  private async run(ops: OpSource, options?: TransactOptions): Promise<Json[]> {
    const started = Date.now();
    let signal = options?.signal;
    // The first attempt runs at elapsed 0, as OVS's trigger does (created == now): a wait with
    // timeout 0 then always fails with '"where" clause test failed', never with "timed out after
    // 1 ms" when the clock ticks between the two readings.
    for (let attempt = 0; ; attempt++) {
      if (signal?.aborted) throw new TransactCanceledError();
      const out = this.executeOnce(ops, attempt === 0 ? 0 : Date.now() - started, options);
      if (out.done) return out.results;
      // Only a transaction that must wait can be canceled: ask for the signal now.
      if (!signal && options?.cancelSignal) {
        signal = options.cancelSignal();
        if (signal.aborted) throw new TransactCanceledError();
      }
      // Blocked in "wait": run again after the next commit, or when the shortest timeout expires.
      await new Promise<void>((resolve, reject) => {
        let timer: NodeJS.Timeout | undefined;
        const wake = (): void => {
          this.waiters.delete(wake);
          if (timer) clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          resolve();
        };
        const onAbort = (): void => {
          this.waiters.delete(wake);
          if (timer) clearTimeout(timer);
          reject(new TransactCanceledError());
        };
        this.waiters.add(wake);
        if (Number.isFinite(out.timeoutMs)) {
          const left = started + out.timeoutMs - Date.now();
          timer = setTimeout(wake, Math.max(0, left));
        }
        signal?.addEventListener('abort', onAbort, { once: true });
      });
    }
  }

  /** Runs the transaction once, synchronously. */
  private executeOnce(ops: OpSource, elapsedMs: number, options?: TransactOptions): Outcome {
    const session = options?.session;
    const txn = new Txn(this);
    const results: Json[] = [];
    let error: OvsdbError | undefined;
    const n = ops.length;
    for (let i = 0; i < n; i++) {
      let opJson: Json;
      try {
        opJson = ops.get(i);
      } catch (e) {
        txn.rollback();
        throw e;
      }
      const parser = new OpParser(opJson, 'ovsdb operation', i + 1, n);
      let result: JsonObject = EMPTY_RESULT;
      let opError: OvsdbError | undefined;
      const op = parser.member('op', K_ID);
      if (op !== undefined) {
        try {
          result = this.executeOp(op as string, parser, txn, elapsedMs, session);
        } catch (e) {
          if (!(e instanceof OvsdbError)) {
            txn.rollback();
            throw e;
          }
          opError = e;
        }
      }
      const parseError = parser.finish();
      if (parseError) opError = parseError;
      if (opError) {
        if (opError.error === 'not supported' && opError.details === 'triggers not supported') {
          txn.rollback();
          ops.check?.(i + 1);
          return { done: false, timeoutMs: txn.timeoutMs };
        }
        results.push(errorJson(opError));
        error = opError;
        if (ops.check) {
          try {
            ops.check(i + 1);
          } catch (e) {
            txn.rollback();
            throw e;
          }
        }
        break;
      }
      results.push(result === EMPTY_RESULT ? {} : result);
    }
    while (results.length < n) results.push(null);
    if (error) {
      txn.rollback();
      return { done: true, results };
    }
    try {
      this.commit(txn, options?.maxRows);
    } catch (e) {
      txn.rollback();
      if (!(e instanceof OvsdbError)) throw e;
      results.push(errorJson(e));
      if (e instanceof LimitExceededError) options?.onLimit?.(e.breach);
    }
    return { done: true, results };
  }

  private table(parser: OpParser): TableState | undefined {
    const name = parser.member('table', K_ID);
    if (name === undefined) return undefined;
    const t = this.tables.get(name as string);
    if (!t) parser.raise(`No table named ${name as string}.`);
    return t;
  }

  /** Parses a row object into a fields array (missing columns default); returns the set columns. */
  private parseRow(t: TableState, json: Json, resolve: NamedUuidResolver | undefined, base?: Field[]): { fields: Field[]; set: number[] } {
    if (json === null || typeof json !== 'object' || Array.isArray(json)) throw syntaxError(json, 'row must be JSON object');
    const fields = base ?? t.defaults.slice();
    const set: number[] = [];
    for (const name of Object.keys(json)) {
      const idx = t.colIndex.get(name);
      if (idx === undefined) throw syntaxError(json, `No column ${name} in table ${t.schema.name}.`, 'unknown column');
      const type = t.cols[idx]!.type;
      const v = json[name]!;
      // A lone atom (not a ["set", ...]) for a set-free column: no datum to make and unwrap.
      fields[idx] = !type.value && !(Array.isArray(v) && v[0] === 'set') ? atomFromJson(type.key, v, resolve) : asField(datumFromJson(type, v, resolve));
      set.push(idx);
    }
    return { fields, set };
  }

  private query(t: TableState, clauses: Clause[], fn: (row: Row) => boolean | void): void {
    // Fast path for the common "_uuid == X".
    if (clauses.length >= 1 && clauses[0]!.fn === '==' && clauses[0]!.index === 0) {
      const r = t.rows.get(clauses[0]!.arg.keys[0] as string);
      if (r && evalFields(clauses, r)) fn(r);
      return;
    }
    for (const r of [...t.rows.values()]) {
      if (evalFields(clauses, r) && fn(r) === false) return;
    }
  }

  private columnSet(t: TableState, json: Json | undefined): number[] {
    if (json === undefined) return t.cols.map((_, i) => i);
    const bad = (): OvsdbError => syntaxError(json, 'array of distinct column names expected');
    if (!Array.isArray(json)) throw bad();
    const out: number[] = [];
    for (const c of json) {
      if (typeof c !== 'string') throw bad();
      const idx = t.colIndex.get(c);
      if (idx === undefined) throw syntaxError(json, `${c} is not a valid column name`);
      if (out.includes(idx)) throw bad();
      out.push(idx);
    }
    return out;
  }

  /** The row's values in columns `cols` as one string: JSON.stringify of their JSON forms, made
   *  directly as text (fieldJsonText), without building the JSON arrays first. For select's
   *  distinct rows and wait's row comparison; ovs-vsctl add-br's wait compares the whole
   *  Open_vSwitch.bridges set, hundreds of uuids on a big switch. */
  private projectKey(t: TableState, row: Row | Field[], cols: number[]): string {
    let key = '[';
    for (let j = 0; j < cols.length; j++) {
      const i = cols[j]!;
      key += (j ? ',' : '') + fieldJsonText(t.cols[i]!, Array.isArray(row) ? row[i]! : fieldAt(row, i));
    }
    return key + ']';
  }

  /** Runs one operation; returns its result object (made as one literal: for a big insert
   *  transaction there is one per row, and they live as long as the reply). */
  private executeOp(op: string, p: OpParser, txn: Txn, elapsedMs: number, session?: TransactSession): JsonObject {
    const resolve = txn.resolve;
    switch (op) {
      case 'insert': {
        const t = this.table(p);
        const uuidJson = p.member('uuid', K_STRING, true);
        const uuidName = p.member('uuid-name', K_ID, true);
        const rowJson = p.member('row', K_OBJECT);
        if (p.hasError()) throw p.getError();
        let uuid: string | undefined;
        if (uuidJson !== undefined) {
          if (!isUuid(uuidJson as string)) throw syntaxError(uuidJson, 'bad uuid');
          uuid = (uuidJson as string).toLowerCase();
          if (t!.rows.has(uuid) || txn.get(t!, uuid)) {
            throw syntaxError(uuidJson, 'This UUID would duplicate a UUID already present within the table or deleted within the same transaction.', 'duplicate uuid');
          }
        }
        if (uuidName !== undefined) {
          let s = txn.symbols.get(uuidName as string);
          if (!s) txn.symbols.set(uuidName as string, (s = { uuid: newUuid(), created: false }));
          if (s.created) throw syntaxError(uuidName, 'This "uuid-name" appeared on an earlier "insert" operation.', 'duplicate uuid-name');
          if (uuid !== undefined) s.uuid = uuid;
          else uuid = s.uuid;
          s.created = true;
        } else if (uuid === undefined) {
          uuid = newUuid();
        }
        const { fields, set } = this.parseRow(t!, rowJson!, resolve);
        // Given values were checked while parsing; a default value may still break a constraint.
        for (const i of t!.badDefaults) {
          if (!set.includes(i)) checkDefault(t!.cols[i]!, asDatum(fields[i]!));
        }
        fields[0] = uuid;
        fields[1] = t!.eagerVersion ? newUuid() : NO_VERSION;
        txn.insert(t!, newRow(uuid, fields, 0));
        return { uuid: ['uuid', uuid] };
      }
      case 'select': {
        const t = this.table(p);
        const where = p.member('where', K_ARRAY);
        const columnsJson = p.member('columns', K_ARRAY, true);
        const sortJson = p.member('sort', K_ARRAY, true);
        if (p.hasError()) throw p.getError();
        const clauses = parseCondition(t!.schema, where!, resolve);
        const cols = this.columnSet(t!, columnsJson);
        const sort = sortJson === undefined ? [] : this.columnSet(t!, sortJson);
        const distinct = !cols.includes(0);
        const seen = new Set<string>();
        const rows: Row[] = [];
        this.query(t!, clauses, (r) => {
          if (distinct) {
            const k = this.projectKey(t!, r, cols);
            if (seen.has(k)) return;
            seen.add(k);
          }
          rows.push(r);
        });
        if (sort.length) rows.sort((a, b) => this.compareRows(t!, a, b, sort));
        return { rows: rows.map((r) => {
          const o: RowJson = {};
          for (const i of cols) o[t!.cols[i]!.name] = fieldToJson(t!.cols[i]!, fieldAt(r, i));
          return o;
        }) };
      }
      case 'update': {
        const t = this.table(p);
        const where = p.member('where', K_ARRAY);
        const rowJson = p.member('row', K_OBJECT);
        if (p.hasError()) throw p.getError();
        const { fields, set } = this.parseRow(t!, rowJson!, resolve);
        for (const i of set) {
          const c = t!.cols[i]!;
          if (!c.mutable) throw syntaxError(p.json, `Cannot update immutable column ${c.name} in table ${t!.schema.name}.`, 'constraint violation');
        }
        const clauses = parseCondition(t!.schema, where!, resolve);
        let count = 0;
        this.query(t!, clauses, (r) => {
          count++;
          if (set.every((i) => fieldEquals(r.fields[i]!, fields[i]!))) return;
          const w = txn.modify(t!, r);
          for (const i of set) w.fields[i] = fields[i]!;
        });
        return { count };
      }
      case 'mutate': {
        const t = this.table(p);
        const where = p.member('where', K_ARRAY);
        const mutationsJson = p.member('mutations', K_ARRAY);
        if (p.hasError()) throw p.getError();
        const mutations = parseMutations(t!.schema, mutationsJson!, resolve);
        const clauses = parseCondition(t!.schema, where!, resolve);
        let count = 0;
        this.query(t!, clauses, (r) => {
          count++;
          const w = txn.modify(t!, r);
          for (const m of mutations) w.fields[m.index] = asField(applyMutation(m, asDatum(w.fields[m.index]!)));
        });
        return { count };
      }
      case 'delete': {
        const where = p.member('where', K_ARRAY);
        const t = this.table(p);
        if (p.hasError()) throw p.getError();
        const clauses = parseCondition(t!.schema, where!, resolve);
        let count = 0;
        this.query(t!, clauses, (r) => {
          count++;
          txn.delete(t!, r);
        });
        return { count };
      }
      case 'wait': {
        const timeout = p.member('timeout', K_INTEGER, true);
        const where = p.member('where', K_ARRAY);
        const columnsJson = p.member('columns', K_ARRAY, true);
        const until = p.member('until', K_STRING);
        const rowsJson = p.member('rows', K_ARRAY);
        const t = this.table(p);
        if (p.hasError()) throw p.getError();
        const clauses = parseCondition(t!.schema, where!, resolve);
        const cols = this.columnSet(t!, columnsJson);
        let timeoutMs = Infinity;
        if (timeout !== undefined) {
          timeoutMs = timeout as number;
          if (timeoutMs < 0) throw syntaxError(timeout, 'timeout must be nonnegative');
          if (timeoutMs < txn.timeoutMs) txn.timeoutMs = timeoutMs;
        }
        if (until !== '==' && until !== '!=') throw syntaxError(until!, '"until" must be "==" or "!="');
        const expected = new Set<string>();
        for (const rj of rowsJson as Json[]) {
          const { fields } = this.parseRow(t!, rj, resolve);
          expected.add(this.projectKey(t!, fields, cols));
        }
        let equal = true;
        const actual = new Set<string>();
        this.query(t!, clauses, (r) => {
          const k = this.projectKey(t!, r, cols);
          if (!expected.has(k)) {
            equal = false;
            return false;
          }
          actual.add(k);
          return true;
        });
        if (equal) equal = actual.size === expected.size;
        if ((until === '==') !== equal) {
          if (timeout !== undefined && elapsedMs >= timeoutMs) {
            if (elapsedMs) throw new OvsdbError('timed out', `"wait" timed out after ${elapsedMs} ms`);
            throw new OvsdbError('timed out', '"where" clause test failed');
          }
          throw new OvsdbError('not supported', 'triggers not supported');
        }
        return EMPTY_RESULT;
      }
      case 'commit': {
        const durable = p.member('durable', K_BOOLEAN);
        if (durable === true) txn.durable = true;
        return EMPTY_RESULT;
      }
      case 'abort':
        throw new OvsdbError('aborted', 'aborted by request');
      case 'comment': {
        const c = p.member('comment', K_STRING);
        if (c !== undefined) txn.comment = txn.comment ? `${txn.comment}\n${c as string}` : (c as string);
        return EMPTY_RESULT;
      }
      case 'assert': {
        const lock = p.member('lock', K_ID);
        if (lock === undefined) return EMPTY_RESULT;
        if (session?.holdsLock(lock as string)) return EMPTY_RESULT;
        throw new OvsdbError('not owner', `Asserted lock ${lock as string} not held.`);
      }
      default:
        p.raise(`No operation "${op}"`);
        return EMPTY_RESULT;
    }
  }

  private compareRows(t: TableState, a: Row, b: Row, cols: number[]): number {
    for (const i of cols) {
      const c = t.cols[i]!;
      const fa = fieldAt(a, i);
      const fb = fieldAt(b, i);
      if (typeof fa !== 'object' && typeof fb !== 'object') {
        const r = compareAtomsOf(c.type.key, fa, fb);
        if (r) return r;
        continue;
      }
      const da = asDatum(fa);
      const db = asDatum(fb);
      if (da.keys.length !== db.keys.length) return da.keys.length < db.keys.length ? -1 : 1;
      for (let k = 0; k < da.keys.length; k++) {
        let r = compareAtomsOf(c.type.key, da.keys[k]!, db.keys[k]!);
        if (!r && c.type.value) r = compareAtomsOf(c.type.value, da.values![k]!, db.values![k]!);
        if (r) return r;
      }
    }
    return 0;
  }

  /** The weak reference records for the weak atoms of `atoms` (column `col` of row `src`) whose
   *  referenced rows exist now and are not `src` itself; atoms pointing nowhere go to `notFound`. */
  private weakRecords(t: TableState, src: Row, col: number, d: Datum, out: WeakRef[], notFound?: (k: number, zero: boolean) => void): void {
    const c = t.cols[col]!;
    const kt = c.type.key.refTable && c.type.key.refType === 'weak' ? this.tables.get(c.type.key.refTable)! : undefined;
    const vt = c.type.value?.refTable && c.type.value.refType === 'weak' ? this.tables.get(c.type.value.refTable)! : undefined;
    for (const [byKey, dstTable] of [[true, kt], [false, vt]] as const) {
      if (!dstTable) continue;
      const atoms = byKey ? d.keys : d.values!;
      for (let k = 0; k < atoms.length; k++) {
        const u = atoms[k] as string;
        const dst = dstTable.rows.get(u);
        if (dst) {
          if (dst !== src) out.push({ src: t, srcUuid: src.uuid, col, dst: u, byKey, key: d.keys[k]!, value: d.values?.[k] });
        } else if (notFound) {
          notFound(k, u === ZERO_TXN_ID);
        }
      }
    }
  }

  private assessWeakRefs(txn: Txn, tr: TxnRow): void {
    const t = tr.table;
    if (tr.old && !tr.new) {
      // Rows referencing this one drop those references when visited (if not visited already).
      const records = this.weakRefs.get(tr.uuid);
      if (records) {
        for (const w of records.values()) {
          const src = txn.findOrMake(w.src, w.srcUuid);
          if (src) (src.deletedRefs ??= []).push(w);
        }
      }
      // This row's own weak references are forgotten by the rows they point at.
      if (t.hasWeak) for (const i of t.refCols) this.weakRecords(t, tr.old, i, asDatum(tr.old.fields[i]!), (tr.deletedRefs ??= []));
    }
    if (!tr.new || !t.hasWeak) return;
    for (const i of t.refCols) {
      const c = t.cols[i]!;
      const kWeak = !!c.type.key.refTable && c.type.key.refType === 'weak';
      const vWeak = !!c.type.value?.refTable && c.type.value.refType === 'weak';
      if (!kWeak && !vWeak) continue;
      const orig = asDatum(tr.new.fields[i]!);
      let d = orig;
      // References to rows deleted in this transaction, handed over by those rows.
      if (tr.deletedRefs) {
        const gone: WeakRef[] = [];
        tr.deletedRefs = tr.deletedRefs.filter((w) => (w.col === i ? (gone.push(w), false) : true));
        if (gone.length) d = removePairs(d, (k) => gone.some((w) => w.key === d.keys[k] && w.value === d.values?.[k]));
      }
      const oldD = tr.old ? asDatum(tr.old.fields[i]!) : undefined;
      let added: Datum | undefined;
      let removed: Datum | undefined;
      if (d !== orig || tr.changed?.[i]) {
        if (oldD) ({ added, removed } = addedRemoved(c, oldD, d));
        else added = d;
      }
      let zero = false;
      if (added) {
        const missing = new Set<string>();
        const addedRefs: WeakRef[] = [];
        this.weakRecords(t, tr.new, i, added, addedRefs, (k, z) => {
          missing.add(pairKey(added!, k));
          if (z) zero = true;
        });
        if (addedRefs.length) (tr.addedRefs ??= []).push(...addedRefs);
        if (missing.size) {
          const cur = d;
          d = removePairs(cur, (k) => missing.has(pairKey(cur, k)));
        }
      }
      if (removed && removed.keys.length) this.weakRecords(t, tr.new, i, removed, (tr.deletedRefs ??= []));
      if (d.keys.length === orig.keys.length) continue;
      tr.new.fields[i] = asField(d);
      if (!tr.changed) tr.changed = new Array<boolean>(t.cols.length).fill(false);
      tr.changed[i] = true;
      if (d.keys.length < c.type.min) {
        if (zero && !tr.old) {
          throw new OvsdbError('constraint violation',
            `Weak reference column "${c.name}" in "${t.schema.name}" row ${tr.uuid} (inserted within this transaction) contained all-zeros UUID (probably as the default value for this column) but deleting this value caused a constraint volation because this column is not allowed to be empty.`);
        }
        throw new OvsdbError('constraint violation',
          `Deletion of ${orig.keys.length - d.keys.length} weak reference(s) to deleted (or never-existing) rows from column "${c.name}" in "${t.schema.name}" row ${tr.uuid} ${tr.old ? '' : '(inserted within this transaction) '}caused this column to become empty, but constraints on this column disallow an empty column.`);
      }
    }
  }

  /** Makes a commit's weak reference changes permanent (ovsdb_txn_update_weak_refs). */
  private commitWeakRefs(tr: TxnRow): void {
    if (tr.deletedRefs) {
      for (const w of tr.deletedRefs) this.weakRefs.get(w.dst)?.delete(weakRefId(w));
      tr.deletedRefs = undefined;
    }
    if (tr.addedRefs) {
      for (const w of tr.addedRefs) {
        let m = this.weakRefs.get(w.dst);
        if (!m) this.weakRefs.set(w.dst, (m = new Map()));
        m.set(weakRefId(w), w);
      }
      tr.addedRefs = undefined;
    }
  }

  // ---- commit --------------------------------------------------------------------------------

  /** Calls `fn` for each strong reference; a row's reference to itself (same table, same uuid) is
   *  not counted, as OVS does, so self-referencing rows can still be garbage-collected. */
  private strongTargets(base: BaseType | undefined, atoms: Atom[] | undefined, self: string, fn: (t: TableState, u: string) => void, selfTable?: TableState): void {
    if (!base?.refTable || base.refType !== 'strong' || !atoms) return;
    const t = this.tables.get(base.refTable)!;
    for (const a of atoms) if (a !== self || t !== selfTable) fn(t, a as string);
  }

  /** Adds `delta` to the reference count of each row the strong references of `d` (column `c` of
   *  row `self` of table `t`) point at; a reference to a row that does not exist is a referential
   *  integrity violation. */
  private adjustRefs(txn: Txn, t: TableState, c: ColumnSchema, self: string, d: Datum, delta: number): void {
    for (let side = 0; side < 2; side++) {
      const base = side === 0 ? c.type.key : c.type.value;
      const atoms = side === 0 ? d.keys : d.values;
      if (!base?.refTable || base.refType !== 'strong' || !atoms) continue;
      const dt = this.tables.get(base.refTable)!;
      for (let k = 0; k < atoms.length; k++) {
        const u = atoms[k] as string;
        if (u === self && dt === t) continue;
        const target = txn.findOrMake(dt, u);
        if (!target) {
          throw new OvsdbError('referential integrity violation',
            `Table ${t.schema.name} column ${c.name} row ${self} references nonexistent row ${u} in table ${dt.schema.name}.`);
        }
        target.nRefs += delta;
      }
    }
  }

  private commit(txn: Txn, maxRows?: number): void {
    // 1. What really changed; rows left unchanged drop out of the transaction.
    txn.forEach((tr) => {
      const n = tr.table.cols.length;
      if (tr.old && tr.new) {
        const changed = new Array<boolean>(n).fill(false);
        let any = false;
        for (let i = 0; i < n; i++) {
          if (!fieldEquals(tr.old.fields[i]!, tr.new.fields[i]!)) {
            changed[i] = true;
            any = true;
          }
        }
        if (!any) {
          tr.table.rows.set(tr.uuid, tr.old);
          tr.old.txnRow = undefined;
          tr.new.txnRow = undefined;
          txn.drop(tr);
          return;
        }
        tr.changed = changed;
      } else {
        tr.changed = tr.table.allChanged;
      }
    });
    const nRows = txnRowCount(txn);
    if (nRows === 0) return;
    if (maxRows !== undefined && nRows > maxRows) {
      throw new LimitExceededError(new LimitError('maxRowsPerTransaction', nRows, maxRows));
    }

    // 2. Reference counts and referential integrity (of a modified column, only the atoms the
    //    transaction added or removed).
    txn.forEach((tr) => {
      if (!tr.changed) return;
      const t = tr.table;
      for (const i of t.refCols) {
        if (!tr.changed[i]) continue;
        const c = t.cols[i]!;
        if (tr.old && !tr.new) this.adjustRefs(txn, t, c, tr.old.uuid, asDatum(tr.old.fields[i]!), -1);
        else if (!tr.old && tr.new) this.adjustRefs(txn, t, c, tr.new.uuid, asDatum(tr.new.fields[i]!), 1);
        else if (tr.old && tr.new) {
          const { added, removed } = addedRemoved(c, asDatum(tr.old.fields[i]!), asDatum(tr.new.fields[i]!));
          if (removed.keys.length) this.adjustRefs(txn, t, c, tr.old.uuid, removed, -1);
          if (added.keys.length) this.adjustRefs(txn, t, c, tr.new.uuid, added, 1);
        }
      }
    });
    txn.forEach((tr) => {
      if (!tr.new && tr.old && tr.nRefs > 0) {
        throw new OvsdbError('referential integrity violation',
          `cannot delete ${tr.table.schema.name} row ${tr.uuid} because of ${tr.nRefs} remaining reference(s)`);
      }
    });

    // 3. Garbage: unreferenced rows of non-root tables.
    const deleteGarbage = (tr: TxnRow): void => {
      if (tr.table.schema.isRoot || !tr.new) return;
      const row = tr.new;
      tr.new = undefined;
      row.txnRow = undefined;
      txn.noteDelete(tr.table);
      tr.table.rows.delete(tr.uuid);
      if (!tr.changed) tr.changed = tr.table.allChanged;
      for (const i of tr.table.refCols) {
        const c = tr.table.cols[i]!;
        const d = asDatum(row.fields[i]!);
        for (const [base, atoms] of [[c.type.key, d.keys], [c.type.value, d.values]] as const) {
          this.strongTargets(base, atoms, row.uuid, (t, u) => {
            const target = txn.findOrMake(t, u);
            if (!target || !target.new || target.nRefs <= 0) return;
            if (--target.nRefs === 0) deleteGarbage(target);
          }, tr.table);
        }
      }
    };
    txn.forEach((tr) => {
      if (tr.new && tr.nRefs === 0) deleteGarbage(tr);
    });

    // 4. maxRows.
    for (const t of txn.rows.keys()) {
      const max = t.schema.maxRows;
      if (max !== undefined && t.rows.size > max) {
        throw new OvsdbError('constraint violation',
          `transaction causes "${t.schema.name}" table to contain ${t.rows.size} rows, greater than the schema-defined limit of ${max} row(s)`);
      }
    }

    // 5. Weak references, incrementally as ovsdb-server does (assess_weak_refs): a deleted row
    //    hands each recorded weak reference to it to the referencing row, which drops it when
    //    visited later in this pass; references added in this transaction must point at existing
    //    rows. A referencing row already visited when the row it points at is deleted (in
    //    practice: garbage collected after the referencing row's table was swept) keeps the
    //    reference, dangling, as ovsdb-server 3.1 up to at least 3.7 does.
    txn.forEach((tr) => this.assessWeakRefs(txn, tr));
    // 6. Index uniqueness, checked by moving the transaction's rows in the indexes right away
    //    (no second map of every new row): old versions out, then each new version in, where it
    //    must find its key free. Txn.rollback puts the indexes back.
    txn.indexesMoved = true;
    for (const [t, m] of txn.rows) {
      if (t.indexCols.length === 0) continue;
      for (const tr of m.values()) if (tr.old) this.unindexRow(t, tr.old);
    }
    txn.forEach((tr) => {
      const row = tr.new;
      const t = tr.table;
      if (!row || t.indexCols.length === 0) return;
      for (let i = 0; i < t.indexCols.length; i++) {
        const key = indexKey(row.fields, t.indexCols[i]!);
        // Either a row untouched by the transaction or a new row of it.
        const dup = t.indexes[i]!.get(key);
        if (dup) throw this.duplicateIndex(t, i, dup, row);
        t.indexes[i]!.set(key, row);
      }
    });

    // 7. _version of modified rows.
    txn.forEach((tr) => {
      if (tr.old && tr.new && tr.changed && tr.changed.some((x) => x)) {
        if (tr.table.eagerVersion) {
          // An index on _version: the row's entry moves to the new version.
          unindexRow(tr.table, tr.new);
          tr.new.fields[1] = newUuid();
          indexRow(tr.table, tr.new);
        } else {
          tr.new.fields[1] = NO_VERSION;
        }
        tr.changed[1] = true;
      }
    });

    // 8. Storage, then make it permanent, then tell the listeners.
    const sink = this.sink;
    const small = txnRowCount(txn) <= SMALL_RECORD_ROWS;
    if (sink) {
      try {
        if (sink.appendText && small) {
          // A small record (the usual one-row or ovs-vsctl commit): its text is made once and
          // written with one write call.
          const text = this.recordText(txn);
          if (text !== undefined) sink.appendText(text, txn.durable);
        } else if (sink.appendJsonStream) {
          const date = Date.now();
          if (this.hasRecord(txn)) sink.appendJsonStream((emit) => { this.writeRecordText(txn, emit, date); }, txn.durable);
        } else if (sink.appendJsonChunks) {
          const out = new Utf8Chunks();
          if (this.writeRecordText(txn, (s) => out.push(s))) sink.appendJsonChunks(out.finish(), txn.durable);
        } else if (sink.appendText) {
          const parts: string[] = [];
          if (this.writeRecordText(txn, (s) => parts.push(s))) sink.appendText(parts.join(''), txn.durable);
        } else {
          const record = this.buildRecord(txn);
          if (record) sink.append(record, txn.durable);
        }
      } catch (e) {
        throw new OvsdbError('I/O error', `writing the transaction failed: ${(e as Error).message}`);
      }
    }
    const change: CommittedChange | undefined = this.listeners.size ? { txnId: '', tables: new Map() } : undefined;
    const handedOut: LazyRowChange[] | undefined = change && small ? [] : undefined;
    for (const [t, m] of txn.rows) {
      for (const tr of m.values()) {
        if (!tr.old && !tr.new) continue;
        if (tr.deletedRefs || tr.addedRefs) this.commitWeakRefs(tr);
        if (tr.old) {
          tr.old.txnRow = undefined;
          if (!tr.new) this.weakRefs.delete(tr.uuid);
        }
        if (tr.new) {
          tr.new.txnRow = undefined;
          tr.new.nRefs = tr.nRefs;
        }
        if (change && tr.changed && tr.changed.some((x) => x)) {
          let tm = change.tables.get(t.schema.name);
          if (!tm) change.tables.set(t.schema.name, (tm = new Map()));
          const ch = this.lazyChange(t, tr.old, tr.new);
          tm.set(tr.uuid, ch);
          handedOut?.push(ch);
        }
      }
    }
    this.txnId = newUuid();
    if (change && change.tables.size) {
      change.txnId = this.txnId;
      for (const l of [...this.listeners]) l(change);
    }
    this.keepRecentJson(handedOut);
    this.wakeWaiters();
  }

  private lazyChange(t: TableState, oldRow: Row | undefined, newRow: Row | undefined): LazyRowChange {
    return lazyRowChange(t, oldRow, newRow, oldRow && this.recentJson.get(oldRow));
  }

  /** After a commit's listeners ran: remembers the wire rows they had built for the commit's new
   *  row versions, so the next commit that modifies one of those rows hands out its old wire row
   *  without building it again. Only a small commit's rows are kept, and only until the next commit. */
  private keepRecentJson(changes: LazyRowChange[] | undefined): void {
    if (this.recentJson.size) this.recentJson = new Map();
    if (!changes) return;
    for (const ch of changes) {
      const st = ch[LAZY];
      if (st.newRow && st.newJson) this.recentJson.set(st.newRow, st.newJson);
    }
  }

  private wakeWaiters(): void {
    for (const w of [...this.waiters]) w();
  }

  private duplicateIndex(t: TableState, i: number, a: Row, b: Row): OvsdbError {
    const cols = t.indexCols[i]!;
    // OVS orders the two rows by all columns (in its hash order); user columns first is closest.
    const all = [...t.cols.map((_, k) => k).slice(2), 0, 1];
    if (this.compareRows(t, a, b, all) < 0) [a, b] = [b, a];
    const names = cols.map((c, k) => `${englishDelimiter(k, cols.length)}"${t.cols[c]!.name}"`).join('');
    const values = (r: Row): string => cols.map((c, k) => englishDelimiter(k, cols.length) + datumToString(t.cols[c]!.type, asDatum(r.fields[c]!))).join('');
    const describe = (r: Row, title: string): string => {
      let s = `${title} row, with UUID ${r.uuid}, `;
      const tr = r.txnRow;
      if (!tr || !tr.changed || !tr.changed.slice(1).some((x) => x)) {
        s += 'existed in the database before this transaction and was not modified by the transaction.';
      } else if (!tr.old) {
        s += 'was inserted by this transaction.';
      } else if (cols.every((c) => fieldEquals(tr.old!.fields[c]!, tr.new!.fields[c]!))) {
        s += "existed in the database before this transaction, which modified some of the row's columns but not any columns in this index.";
      } else {
        s += `had the following index values before the transaction: ${values(tr.old)}.`;
      }
      return s;
    };
    return new OvsdbError('constraint violation',
      `Transaction causes multiple rows in "${t.schema.name}" table to have identical values (${values(a)}) for index on column${cols.length > 1 ? 's' : ''} ${names}.  ${describe(a, 'First')}  ${describe(b, 'Second')}`);
  }

  private indexRow(t: TableState, r: Row): void {
    indexRow(t, r);
  }

  private unindexRow(t: TableState, r: Row): void {
    unindexRow(t, r);
  }

  /** Records (add) or forgets (!add) the weak references of `r` to existing rows (log replay). */
  private replayWeakRefs(t: TableState, r: Row, add: boolean): void {
    if (!t.hasWeak) return;
    const refs: WeakRef[] = [];
    for (const i of t.refCols) this.weakRecords(t, r, i, asDatum(r.fields[i]!), refs);
    if (add) this.commitWeakRefs({ addedRefs: refs } as TxnRow);
    else this.commitWeakRefs({ deletedRefs: refs } as TxnRow);
  }

  /** One row's entry in the on-disk record: null (deleted), the changed columns (diff form; all
   *  non-default columns for an insert), or undefined when nothing persistent changed. */
  private rowRecord(t: TableState, tr: TxnRow): JsonObject | null | undefined {
    if (!tr.new) return tr.old ? null : undefined;
    let o: JsonObject | undefined = tr.old ? undefined : {};
    for (let i = 2; i < t.cols.length; i++) {
      const as = recordAs(t, tr, i);
      if (as === RECORD_SKIP) continue;
      const c = t.cols[i]!;
      const nd = tr.new.fields[i]!;
      (o ??= {})[c.name] = as === RECORD_DIFF ? datumToJson(c.type, diffDatum(c.type, asDatum(tr.old!.fields[i]!), asDatum(nd))) : fieldToJson(c, nd);
    }
    return o;
  }

  /** rowRecord's entry as its compact JSON text (exactly JSON.stringify of rowRecord's object),
   *  written straight from the fields: no object or array per row and column. */
  private rowRecordText(t: TableState, tr: TxnRow): string | undefined {
    if (!tr.new) return tr.old ? 'null' : undefined;
    let body = '';
    for (let i = 2; i < t.cols.length; i++) {
      const as = recordAs(t, tr, i);
      if (as === RECORD_SKIP) continue;
      const c = t.cols[i]!;
      const nd = tr.new.fields[i]!;
      const v = as === RECORD_DIFF ? datumJsonText(c.type, diffDatum(c.type, asDatum(tr.old!.fields[i]!), asDatum(nd))) : fieldJsonText(c, nd);
      body += `${body ? ',' : ''}${t.colNamesJson[i]!}:${v}`;
    }
    return body || !tr.old ? `{${body}}` : undefined;
  }

  /** The OVS 3.1 on-disk transaction record (diff form), or undefined if nothing persistent changed. */
  private buildRecord(txn: Txn): JsonObject | undefined {
    let rec: JsonObject | undefined;
    for (const [t, m] of txn.rows) {
      let tj: JsonObject | undefined;
      for (const tr of m.values()) {
        const rowJson = this.rowRecord(t, tr);
        if (rowJson === undefined) continue;
        rec ??= {};
        tj ??= (rec[t.schema.name] = {}) as JsonObject;
        tj[tr.uuid] = rowJson;
      }
    }
    if (!rec) return undefined;
    if (txn.comment) rec._comment = txn.comment;
    rec._is_diff = true;
    rec._date = Date.now();
    return rec;
  }

  /** Whether the commit changes anything that goes to disk. */
  private hasRecord(txn: Txn): boolean {
    for (const [t, m] of txn.rows) for (const tr of m.values()) if (this.rowRecord(t, tr) !== undefined) return true;
    return false;
  }

  /** The record's compact JSON text, or undefined when nothing persistent changed. */
  private recordText(txn: Txn): string | undefined {
    let out = '';
    const any = this.writeRecordText(txn, (piece) => { out += piece; });
    return any ? out : undefined;
  }

  /** The same record as compact JSON text, handed to `emit` piece by piece (a row at a time): no
   *  object or string holding every row of a big transaction is ever made. False if nothing
   *  persistent changed (then nothing was emitted). */
  private writeRecordText(txn: Txn, emit: (s: string) => void, date = Date.now()): boolean {
    let any = false;
    for (const [t, m] of txn.rows) {
      let first = true;
      for (const tr of m.values()) {
        const rowText = this.rowRecordText(t, tr);
        if (rowText === undefined) continue;
        if (first) {
          emit(`${any ? ',' : '{'}${JSON.stringify(t.schema.name)}:{"${tr.uuid}":${rowText}`);
          first = false;
          any = true;
        } else {
          emit(`,"${tr.uuid}":${rowText}`);
        }
      }
      if (!first) emit('}');
    }
    if (!any) return false;
    if (txn.comment) emit(`,"_comment":${JSON.stringify(txn.comment)}`);
    emit(`,"_is_diff":true,"_date":${date}}`);
    return true;
  }

  // ---- storage support -----------------------------------------------------------------------

  /** Replays one OVSDB log transaction record (diff or non-diff form) without checks, sink or GC;
   *  onCommit listeners are told, as for any commit. */
  applyRecord(record: JsonObject): void {
    const isDiff = record._is_diff === true;
    const touched: { t: TableState; old?: Row; new?: Row }[] = [];
    for (const [tname, rowsJson] of Object.entries(record)) {
      if (tname.startsWith('_')) continue;
      const t = this.tables.get(tname);
      if (!t) throw new OvsdbError('syntax error', `No table named ${tname}.`);
      if (rowsJson === null || typeof rowsJson !== 'object' || Array.isArray(rowsJson)) {
        throw syntaxError(rowsJson, `object expected for table ${tname}`);
      }
      // Object.keys, not entries: a 100k-row record would otherwise make 100k [key, value] pairs.
      for (const uuid of Object.keys(rowsJson)) {
        const rj = rowsJson[uuid]!;
        if (!isUuid(uuid)) throw syntaxError(uuid, `"${uuid}" is not a valid UUID`);
        const u = uuid.toLowerCase();
        const old = t.rows.get(u);
        if (rj === null) {
          if (!old) throw new OvsdbError('syntax error', `transaction deletes row ${u} that does not exist`);
          t.rows.delete(u);
          touched.push({ t, old });
          continue;
        }
        if (typeof rj !== 'object' || Array.isArray(rj)) throw syntaxError(rj, 'row must be JSON object');
        const fields = old ? old.fields.slice() : t.defaults.slice();
        for (const cname in rj) {
          const v = rj[cname]!;
          const idx = t.colIndex.get(cname);
          if (idx === undefined) throw syntaxError(rj, `No column ${cname} in table ${tname}.`, 'unknown column');
          const c = t.cols[idx]!;
          if (old && isDiff && c.type.max > 1) {
            fields[idx] = asField(applyDatumDiff(c.type, asDatum(fields[idx]!), datumFromJson(c.type, v, undefined, true)));
          } else {
            fields[idx] = asField(datumFromJson(c.type, v));
          }
        }
        fields[0] = u;
        fields[1] = t.eagerVersion ? newUuid() : NO_VERSION;
        const row = newRow(u, fields, old ? old.nRefs : 0);
        t.rows.set(u, row);
        touched.push({ t, old, new: row });
      }
    }
    // Reference counts, indexes and weak-reference bookkeeping follow the rows.
    const bump = (t: TableState, r: Row, delta: number): void => {
      for (const i of t.refCols) {
        const c = t.cols[i]!;
        const d = asDatum(r.fields[i]!);
        for (const [base, atoms] of [[c.type.key, d.keys], [c.type.value, d.values]] as const) {
          this.strongTargets(base, atoms, r.uuid, (tt, u) => {
            const target = tt.rows.get(u);
            if (target) target.nRefs += delta;
          }, t);
        }
      }
    };
    for (const x of touched) if (x.old) { bump(x.t, x.old, -1); this.unindexRow(x.t, x.old); this.replayWeakRefs(x.t, x.old, false); }
    for (const x of touched) if (x.old && !x.new) this.weakRefs.delete(x.old.uuid);
    for (const x of touched) if (x.new) { bump(x.t, x.new, 1); this.indexRow(x.t, x.new); this.replayWeakRefs(x.t, x.new, true); }
    if (!touched.length) return;
    this.txnId = newUuid();
    if (this.listeners.size) {
      // Monitors see replayed changes like any other commit.
      const change: CommittedChange = { txnId: this.txnId, tables: new Map() };
      for (const x of touched) {
        let tm = change.tables.get(x.t.schema.name);
        if (!tm) change.tables.set(x.t.schema.name, (tm = new Map()));
        const uuid = (x.new ?? x.old)!.uuid;
        const first = tm.get(uuid) as LazyRowChange | undefined;
        tm.set(uuid, this.lazyChange(x.t, first ? first[LAZY].oldRow : x.old, x.new));
      }
      for (const l of [...this.listeners]) l(change);
    }
    this.keepRecentJson(undefined);
    this.wakeWaiters();
  }

  /** All rows as one non-diff record, as `ovsdb-tool compact` writes (ephemeral columns omitted;
   *  ovsdb-tool passes the comment "compacted by ovsdb-tool <version>"). */
  snapshotRecord(comment?: string): JsonObject {
    const rec: JsonObject = {};
    for (const t of this.tables.values()) {
      if (!t.rows.size) continue;
      const tj: JsonObject = {};
      for (const r of t.rows.values()) {
        const o: JsonObject = {};
        for (let i = 2; i < t.cols.length; i++) {
          const c = t.cols[i]!;
          if (!c.ephemeral && !isDefault(t, i, r.fields[i]!)) o[c.name] = fieldToJson(c, r.fields[i]!);
        }
        tj[r.uuid] = o;
      }
      rec[t.schema.name] = tj;
    }
    rec._date = Date.now();
    if (comment) rec._comment = comment;
    return rec;
  }
}

/** Transactions of at most this many rows write their record as one string (appendText): one
 *  production of the text and one write. Bigger ones stream it (appendJsonStream), so a 100,000-row
 *  record is never one string. */
const SMALL_RECORD_ROWS = 256;

function txnRowCount(txn: Txn): number {
  let n = 0;
  for (const m of txn.rows.values()) n += m.size;
  return n;
}

/** Text collected as UTF-8 in buffers of about a megabyte (for CommitSink.appendJsonChunks). */
class Utf8Chunks {
  private static readonly SIZE = 1 << 20;
  private readonly chunks: Buffer[] = [];
  private buf: Buffer | undefined;
  private pos = 0;

  push(s: string): void {
    const worst = s.length * 3;
    if (!this.buf || this.buf.length - this.pos < worst) {
      this.flush();
      this.buf = Buffer.allocUnsafe(Math.max(Utf8Chunks.SIZE, worst));
    }
    this.pos += this.buf.write(s, this.pos, 'utf8');
  }

  finish(): Buffer[] {
    this.flush();
    return this.chunks;
  }

  private flush(): void {
    if (this.buf && this.pos) this.chunks.push(this.buf.subarray(0, this.pos));
    this.buf = undefined;
    this.pos = 0;
  }
}

/** A RowChange whose wire rows are built on first access (committed rows never change, so the
 *  result is the same as building them at commit time, without the cost when nobody looks).
 *  `old`/`new` are own enumerable accessors, so spreading or JSON.stringify see them; the state
 *  hides behind a symbol key. */
const LAZY = Symbol('lazyRowChange');
interface LazyState {
  table: TableState;
  oldRow: Row | undefined;
  newRow: Row | undefined;
  oldJson: RowJson | undefined;
  newJson: RowJson | undefined;
}
type LazyRowChange = RowChange & { [LAZY]: LazyState };

const OLD_ACCESSOR: PropertyDescriptor = {
  enumerable: true,
  configurable: true,
  get(this: LazyRowChange): RowJson {
    const st = this[LAZY];
    return (st.oldJson ??= rowJsonOf(st.table, st.oldRow!));
  },
};
const NEW_ACCESSOR: PropertyDescriptor = {
  enumerable: true,
  configurable: true,
  get(this: LazyRowChange): RowJson {
    const st = this[LAZY];
    if (st.newJson) return st.newJson;
    // A modification whose old row is already in wire form: the columns the new row shares with
    // it (the same field, untouched by the transaction) share their wire value too.
    return (st.newJson = st.oldJson && st.oldRow ? rowJsonFrom(st.table, st.newRow!, st.oldRow, st.oldJson) : rowJsonOf(st.table, st.newRow!));
  },
};

/** The wire form of row `r`, taking from `base` (the wire form of row `from`) each column whose
 *  field `r` shares with `from` (fields are never changed in place, so the same field has the same
 *  wire value); _version is always r's own. */
function rowJsonFrom(t: TableState, r: Row, from: Row, base: RowJson): RowJson {
  const out: RowJson = {};
  for (let i = 0; i < t.cols.length; i++) {
    const c = t.cols[i]!;
    const f = r.fields[i]!;
    const v = i !== 1 && f === from.fields[i] ? base[c.name] : undefined;
    out[c.name] = v !== undefined ? v : fieldToJson(c, fieldAt(r, i));
  }
  return out;
}

function lazyRowChange(table: TableState, oldRow: Row | undefined, newRow: Row | undefined, oldJson?: RowJson): LazyRowChange {
  const rc = { [LAZY]: { table, oldRow, newRow, oldJson, newJson: undefined } } as LazyRowChange;
  if (oldRow) Object.defineProperty(rc, 'old', OLD_ACCESSOR);
  if (newRow) Object.defineProperty(rc, 'new', NEW_ACCESSOR);
  return rc;
}

/** For a modification made by one commit (a RowChange from onCommit, not a merged one): the
 *  update2 diff of set or map `column` from the rows the database holds, as `diffDatumJson` of
 *  the two wire values gives it, or null when the column did not change; undefined when the
 *  change does not come from a MemoryDatabase (then compare the wire values). Saves turning a
 *  big column (e.g. Open_vSwitch.bridges) into JSON and back for every update. */
export function columnDiffOf(ch: RowChange, column: string): Json | null | undefined {
  const st = commitPair(ch);
  if (!st) return undefined;
  const t = st.table;
  const i = t.colIndex.get(column);
  if (i === undefined) return undefined;
  const c = t.cols[i]!;
  const o = fieldAt(st.oldRow, i);
  const n = fieldAt(st.newRow, i);
  if (fieldEquals(o, n)) return null;
  if (c.type.max <= 1) return fieldToJson(c, n);
  const d = diffDatum(c.type, asDatum(o), asDatum(n));
  return d.keys.length === 0 ? null : datumToJson(c.type, d);
}

/** For a modification made by one commit (as for columnDiffOf): the names of the columns whose
 *  value changed, `_version` included; undefined when the change does not come from a
 *  MemoryDatabase or is an insert or delete. */
export function changedColumnsOf(ch: RowChange): string[] | undefined {
  const st = commitPair(ch);
  if (!st) return undefined;
  const out: string[] = [];
  for (let i = 0; i < st.table.cols.length; i++) {
    if (!fieldEquals(fieldAt(st.oldRow, i), fieldAt(st.newRow, i))) out.push(st.table.cols[i]!.name);
  }
  return out;
}

/** True for a modification RowChange handed out by a MemoryDatabase commit (see columnDiffOf). */
export function isCommitModification(ch: RowChange): boolean {
  return commitPair(ch) !== undefined;
}

/** The database rows behind a modification RowChange of one MemoryDatabase commit. */
function commitPair(ch: RowChange): (LazyState & { table: TableState; oldRow: Row; newRow: Row }) | undefined {
  const st = (ch as Partial<LazyRowChange>)[LAZY];
  return st?.table && st.oldRow && st.newRow ? (st as LazyState & { table: TableState; oldRow: Row; newRow: Row }) : undefined;
}

/** How column `i` of a committed row goes into the on-disk record (rowRecord, rowRecordText). */
const RECORD_SKIP = 0;
const RECORD_VALUE = 1;
const RECORD_DIFF = 2;
type RecordAs = typeof RECORD_SKIP | typeof RECORD_VALUE | typeof RECORD_DIFF;

/** Of a row with a new version: an ephemeral column, an unchanged column of a modified row and a
 *  default column of an inserted row are left out; a changed set or map of a modified row is
 *  written as its diff; anything else as its new value. */
function recordAs(t: TableState, tr: TxnRow, i: number): RecordAs {
  const c = t.cols[i]!;
  if (c.ephemeral) return RECORD_SKIP;
  if (tr.old) return !tr.changed?.[i] ? RECORD_SKIP : c.type.max > 1 ? RECORD_DIFF : RECORD_VALUE;
  return isDefault(t, i, tr.new!.fields[i]!) ? RECORD_SKIP : RECORD_VALUE;
}

function errorJson(e: OvsdbError): JsonObject {
  return { ...e.toJson() };
}

function compareAtomsOf(base: BaseType, a: Atom, b: Atom): number {
  switch (base.type) {
    case 'integer': case 'real': return (a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0;
    case 'boolean': return (a ? 1 : 0) - (b ? 1 : 0);
    default: return a === b ? 0 : (a as string) < (b as string) ? -1 : 1;
  }
}

function isDefault(t: TableState, i: number, f: Field): boolean {
  return fieldEquals(f, t.defaults[i]!);
}

/** Map key of an index: a lone atom is its own key (within one column all atoms have one type),
 *  the empty datum a marker, anything else its JSON text after a NUL. A lone string that starts
 *  with U+0000 or U+0001 gets a U+0001 in front, so no two datums share a key. */
type IndexKey = Atom | typeof EMPTY_INDEX_KEY;
const EMPTY_INDEX_KEY = Symbol('empty datum');

function indexKey(fields: Field[], cols: number[]): IndexKey {
  if (cols.length === 1) {
    const f = fields[cols[0]!]!;
    if (typeof f !== 'object') return typeof f === 'string' && f.charCodeAt(0) < 2 ? '\u0001' + f : f;
    const d = f;
    if (!d.values && d.keys.length <= 1) {
      if (!d.keys.length) return EMPTY_INDEX_KEY;
      const a = d.keys[0]!;
      return typeof a === 'string' && a.charCodeAt(0) < 2 ? '\u0001' + a : a;
    }
    return '\u0000' + (d.values ? stringifyJson([d.keys, d.values]) : stringifyJson(d.keys));
  }
  return stringifyJson(cols.map((c) => {
    const d = asDatum(fields[c]!);
    return [d.keys, d.values ?? null];
  }));
}

function indexRow(t: TableState, r: Row): void {
  for (let i = 0; i < t.indexCols.length; i++) t.indexes[i]!.set(indexKey(r.fields, t.indexCols[i]!), r);
}

function unindexRow(t: TableState, r: Row): void {
  for (let i = 0; i < t.indexCols.length; i++) {
    const k = indexKey(r.fields, t.indexCols[i]!);
    if (t.indexes[i]!.get(k) === r) t.indexes[i]!.delete(k);
  }
}

/** `d` without the entries (pairs for maps) at the indexes `drop` picks. */
function removePairs(d: Datum, drop: (k: number) => boolean): Datum {
  const keys: Atom[] = [];
  const values: Atom[] | undefined = d.values ? [] : undefined;
  for (let k = 0; k < d.keys.length; k++) {
    if (drop(k)) continue;
    keys.push(d.keys[k]!);
    if (values) values.push(d.values![k]!);
  }
  return values ? { keys, values } : { keys };
}

/** A string naming entry `k` of `d` (its key, and its value for maps). */
function pairKey(d: Datum, k: number): string {
  return d.values ? stringifyJson([d.keys[k]!, d.values[k]!]) : stringifyJson(d.keys[k]!);
}

/** Keys (pairs for maps) added to and removed from a column by a modification: one merge of the
 *  two sorted datums (a changed map value counts as the old pair removed and the new one added). */
function addedRemoved(c: ColumnSchema, oldD: Datum, newD: Datum): { added: Datum; removed: Datum } {
  const isMap = !!oldD.values;
  const added: Datum = isMap ? { keys: [], values: [] } : { keys: [] };
  const removed: Datum = isMap ? { keys: [], values: [] } : { keys: [] };
  if (oldD === newD) return { added, removed };
  const kt = c.type.key.type;
  const ok = oldD.keys;
  const nk = newD.keys;
  let o = 0;
  let n = 0;
  while (o < ok.length && n < nk.length) {
    const cmp = compareAtoms(kt, ok[o]!, nk[n]!);
    if (cmp < 0) {
      removed.keys.push(ok[o]!);
      if (isMap) removed.values!.push(oldD.values![o]!);
      o++;
    } else if (cmp > 0) {
      added.keys.push(nk[n]!);
      if (isMap) added.values!.push(newD.values![n]!);
      n++;
    } else {
      if (isMap && oldD.values![o] !== newD.values![n]) {
        removed.keys.push(ok[o]!);
        removed.values!.push(oldD.values![o]!);
        added.keys.push(nk[n]!);
        added.values!.push(newD.values![n]!);
      }
      o++;
      n++;
    }
  }
  for (; o < ok.length; o++) {
    removed.keys.push(ok[o]!);
    if (isMap) removed.values!.push(oldD.values![o]!);
  }
  for (; n < nk.length; n++) {
    added.keys.push(nk[n]!);
    if (isMap) added.values!.push(newD.values![n]!);
  }
  return { added, removed };
}

export function createDatabase(schema: DatabaseSchema, opts?: { sink?: CommitSink }): MemoryDatabase {
  return new MemoryDatabase(schema, opts);
}

export { atomToString };
