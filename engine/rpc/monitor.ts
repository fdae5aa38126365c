// OVSDB monitors (RFC 7047 §4.1.5 "monitor", OVS's "monitor_cond" and "monitor_cond_since"):
// parsing monitor requests, composing the initial contents and the per-commit updates in the
// three wire versions:
//   v1 (update):          {"new": all monitored columns} / {"old": changed columns (old values),
//                         "new": all} / {"old": all}
//   v2/v3 (update2/3):    {"initial"|"insert": non-default monitored columns} /
//                         {"modify": diffs of changed columns} / {"delete": null}
// A row entering a monitor's condition is reported as an insert, one leaving it as a delete.
import type { CommittedChange, Json, JsonObject, RowChange, RowJson, VersionedRow } from '../ovsdb/api.js';
import { compileWhere } from '../ovsdb/condition.js';
import { columnDiffOf, isCommitModification } from '../ovsdb/database.js';
import { datumEqualJson, defaultDatumJson, diffDatumJson } from '../ovsdb/datum.js';
import { OvsdbError, syntaxError } from '../ovsdb/errors.js';
import { notificationText } from './jsonrpc.js';
import type { ColumnSchema, DatabaseSchema, TableSchema } from '../ovsdb/schema.js';
import { stringifyJson } from '../util/json-int64.js';

export type MonitorVersion = 1 | 2 | 3;

export interface Select {
  initial: boolean;
  insert: boolean;
  delete: boolean;
  modify: boolean;
}

type RowPredicate = (row: RowJson) => boolean;

export interface TableMonitor {
  table: TableSchema;
  columns: ColumnSchema[];
  select: Select;
  /** undefined: every row. */
  where?: RowPredicate;
  /** The names of `columns` (made on first use). */
  columnNames?: string[];
}

const ALL_SELECT: Select = { initial: true, insert: true, delete: true, modify: true };

function isObject(v: Json | undefined): v is JsonObject {
  return v !== null && v !== undefined && typeof v === 'object' && !Array.isArray(v);
}

/** The predicate of a "where" clause list; `[]` (or absent) means every row. */
export function compileCondition(table: TableSchema, where: Json | undefined): RowPredicate | undefined {
  if (where === undefined) return undefined;
  if (Array.isArray(where) && where.length === 0) return undefined;
  if (Array.isArray(where) && where.every((c) => c === true)) return undefined;
  return compileWhere(table, where);
}

function parseSelect(json: Json | undefined): Select {
  if (json === undefined) return { ...ALL_SELECT };
  if (!isObject(json)) throw syntaxError(json, '"select" must be an object');
  const s: Select = { ...ALL_SELECT };
  for (const [k, v] of Object.entries(json)) {
    if (!(k in s)) throw syntaxError(json, `"select" has unknown member "${k}"`);
    if (typeof v !== 'boolean') throw syntaxError(v, `"select" member "${k}" must be a boolean`);
    s[k as keyof Select] = v;
  }
  return s;
}

/** Parses `{table: request | [request...]}` for one monitor. */
export function parseMonitorRequests(schema: DatabaseSchema, requests: Json | undefined, version: MonitorVersion): Map<string, TableMonitor> {
  if (!isObject(requests)) throw syntaxError(requests ?? null, 'monitor requests must be an object mapping table names to monitor requests');
  const out = new Map<string, TableMonitor>();
  for (const [tableName, reqJson] of Object.entries(requests)) {
    const table = schema.tables.get(tableName);
    if (!table) throw new OvsdbError('syntax error', `no table named ${tableName}`);
    const reqs = Array.isArray(reqJson) ? reqJson : [reqJson];
    const seen = new Set<string>();
    const columns: ColumnSchema[] = [];
    const select: Select = { initial: false, insert: false, delete: false, modify: false };
    const preds: RowPredicate[] = [];
    let everyRow = reqs.length === 0;
    for (const req of reqs) {
      if (!isObject(req)) throw syntaxError(req, `monitor request for table ${tableName} must be an object`);
      for (const k of Object.keys(req)) {
        if (k !== 'columns' && k !== 'select' && !(k === 'where' && version > 1)) {
          throw syntaxError(req, `monitor request for table ${tableName} has unknown member "${k}"`);
        }
      }
      let cols: ColumnSchema[];
      if (req.columns === undefined) {
        cols = [...table.columns.values()].filter((c) => c.name !== '_uuid');
      } else {
        if (!Array.isArray(req.columns)) throw syntaxError(req.columns, '"columns" must be an array of column names');
        cols = [];
        for (const c of req.columns) {
          if (typeof c !== 'string') throw syntaxError(req.columns, '"columns" must be an array of column names');
          const col = table.columns.get(c);
          if (!col) throw syntaxError(req.columns, `${c} is not a valid column name`);
          cols.push(col);
        }
      }
      for (const c of cols) {
        if (seen.has(c.name)) {
          if (req.columns === undefined) continue;
          throw syntaxError(req.columns ?? null, 'column name mentioned more than once');
        }
        seen.add(c.name);
        columns.push(c);
      }
      const s = parseSelect(req.select);
      select.initial ||= s.initial;
      select.insert ||= s.insert;
      select.delete ||= s.delete;
      select.modify ||= s.modify;
      if (version > 1) {
        const p = compileCondition(table, req.where);
        if (p) preds.push(p); else everyRow = true;
      } else {
        everyRow = true;
      }
    }
    if (reqs.length === 0) Object.assign(select, ALL_SELECT);
    const where = everyRow ? undefined : preds.length === 1 ? preds[0] : (row: RowJson) => preds.some((p) => p(row));
    out.set(tableName, { table, columns, select, where });
  }
  return out;
}

function value(row: RowJson, col: ColumnSchema): Json {
  const v = row[col.name];
  return v === undefined ? defaultDatumJson(col.type) : v;
}

const defaultsCache = new WeakMap<ColumnSchema, string>();

/** True when `v` is the column's default value (such columns are left out of update2 "initial"
 *  and "insert"). Compared in canonical JSON: a default may itself break an enum constraint
 *  (e.g. "" for an enum of strings), so it is never parsed as a datum. */
function isDefault(col: ColumnSchema, v: Json): boolean {
  if (col.name === '_uuid' || col.name === '_version') return false;
  let d = defaultsCache.get(col);
  if (d === undefined) {
    d = stringifyJson(defaultDatumJson(col.type));
    defaultsCache.set(col, d);
  }
  // Fast answers without serialising: a scalar equals only a scalar default; a set or map with
  // two or more elements is never a default (defaults are empty or one atom).
  if (v === null || typeof v !== 'object') {
    const c0 = d.charCodeAt(0);
    if (c0 === 0x5b /* [ */ || c0 === 0x7b /* { */) return false;
    if (typeof v === 'string') return d.charCodeAt(0) === 0x22 && d === stringifyJson(v);
    return d === stringifyJson(v);
  }
  if (Array.isArray(v) && (v[0] === 'set' || v[0] === 'map') && Array.isArray(v[1]) && v[1].length >= 2) return false;
  if (stringifyJson(v) === d) return true;
  // Same value written differently (e.g. a 1-element set as ["set",[x]] instead of x).
  try {
    return datumEqualJson(col.type, v, JSON.parse(d) as Json);
  } catch {
    return false;
  }
}

/** A column of more than one element at most: its update2 diff is a set/map difference (for
 *  at most one element, the diff is the new value). */
function isCollection(col: ColumnSchema): boolean {
  return col.type.max > 1;
}

function isEmptyCollection(v: Json): boolean {
  return Array.isArray(v) && v.length === 2 && (v[0] === 'set' || v[0] === 'map') && Array.isArray(v[1]) && v[1].length === 0;
}

/** Equal data: the same value object or the same text decide without parsing (one datum has one
 *  text per spelling); only different spellings (e.g. set order) go to the datum comparison. */
function sameDatum(col: ColumnSchema, a: Json, b: Json): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') {
    // Two different scalars of one column are different atoms (a scalar is never a 1-element
    // set spelled differently here: the other side would be an array).
    if (typeof a !== 'object' && typeof b !== 'object') return false;
  } else if (stringifyJson(a) === stringifyJson(b)) {
    return true;
  }
  return datumEqualJson(col.type, a, b);
}

function fullRow(tm: TableMonitor, row: RowJson, skipDefaults: boolean): JsonObject {
  const out: JsonObject = {};
  for (const c of tm.columns) {
    const v = value(row, c);
    if (skipDefaults && isDefault(c, v)) continue;
    out[c.name] = v;
  }
  return out;
}

let uniqueShapes = 0;

/** A key no other monitor has (its updates are composed for it alone). */
export function uniqueShapeKey(): string {
  return `#${++uniqueShapes}`;
}

/** The shape key of a monitor made from `requests` by parseMonitorRequests: monitors with equal
 *  keys on one database receive the same updates, so one composition serves them all. */
export function shapeKeyOf(version: MonitorVersion, requests: Json): string {
  const full = `${version}${stringifyJson(requests)}`;
  let key = shapeKeys.get(full);
  if (key === undefined) {
    // Short keys: they are looked up once per session per flush. The table is bounded; after a
    // clear, new monitors get new keys (never an old one), they just share less with old ones.
    if (shapeKeys.size >= 10000) shapeKeys.clear();
    key = `s${++shapeCount}`;
    shapeKeys.set(full, key);
  }
  return key;
}

const shapeKeys = new Map<string, string>();
let shapeCount = 0;

const UPDATE_METHOD = { 1: 'update', 2: 'update2', 3: 'update3' } as const;

/** One monitor of one session on one database. */
export class Monitor {
  private idValue: Json;
  private idTextValue: string;
  readonly version: MonitorVersion;
  readonly tables: Map<string, TableMonitor>;
  /** Monitors with equal keys (on one database) have the same tables, columns, select and
   *  conditions; see shapeKeyOf. */
  shapeKey: string;
  /** Where this monitor is in its database's ChangeFeed: the sequence number of the first commit
   *  it has not been sent, and (after the feed dropped old commits) those commits merged. */
  since = 0;
  folded: Map<string, Map<string, RowChange>> | undefined;
  foldedFrom = 0;

  constructor(id: Json, version: MonitorVersion, tables: Map<string, TableMonitor>, shapeKey: string = uniqueShapeKey()) {
    this.idValue = id;
    this.idTextValue = stringifyJson(id);
    this.version = version;
    this.tables = tables;
    this.shapeKey = shapeKey;
  }

  get id(): Json {
    return this.idValue;
  }

  set id(v: Json) {
    this.idValue = v;
    this.idTextValue = stringifyJson(v);
  }

  /** The JSON-RPC method of this monitor's update notifications. */
  get updateMethod(): string {
    return UPDATE_METHOD[this.version];
  }

  /** The monitor id as JSON text. */
  get idText(): string {
    return this.idTextValue;
  }

  /** The params of an update notification, as JSON text, around an already-serialised update. */
  paramsText(updatesText: string, txnId: string): string {
    return this.version === 3
      ? `[${this.idTextValue},${stringifyJson(txnId)},${updatesText}]`
      : `[${this.idTextValue},${updatesText}]`;
  }


  private matches(tm: TableMonitor, row: RowJson | undefined): boolean {
    return row !== undefined && (tm.where === undefined || tm.where(row));
  }

  /** Initial contents (only tables whose select has "initial"). */
  initial(rows: (table: string) => Iterable<RowJson>): JsonObject {
    const out: JsonObject = {};
    for (const [name, tm] of this.tables) {
      if (!tm.select.initial) continue;
      const t: JsonObject = {};
      let any = false;
      for (const row of rows(name)) {
        if (!this.matches(tm, row)) continue;
        const uuid = uuidOf(row);
        t[uuid] = this.version === 1 ? { new: fullRow(tm, row, false) } : { initial: fullRow(tm, row, true) };
        any = true;
      }
      if (any) out[name] = t;
    }
    return out;
  }

  /** `initial` as JSON text (the same text JSON.stringify would give). With `cache`, each row's
   *  text is reused while the row keeps its `_version` (a row's contents are fixed for one
   *  version), for monitors of one shape: clients that connect one after another (ovs-vsctl)
   *  re-send mostly unchanged rows. */
  initialText(rows: (table: string) => Iterable<RowJson>, cache?: RowTextCache, versioned?: (table: string) => Iterable<VersionedRow> | undefined): string {
    const parts: string[] = [];
    for (const [name, tm] of this.tables) {
      if (!tm.select.initial) continue;
      const shared = this.shapeKey.startsWith('#') ? undefined : cache?.table(`${this.shapeKey}\n${name}`);
      const fresh = shared ? new Map<string, CachedRow>() : undefined;
      const items: string[] = [];
      // Rows as the database holds them when it can hand them out so: a row whose text is cached
      // for its _version is not turned into JSON at all, and the others only in the monitored
      // columns. Otherwise the wire rows (a row without a _version is not cached).
      const vrows: Iterable<InitialRow> = versioned?.(name) ?? wireRows(rows(name));
      const columns = tm.where ? undefined : (tm.columnNames ??= tm.columns.map((c) => c.name));
      for (const vr of vrows) {
        let row: RowJson | undefined;
        if (tm.where) {
          row = vr.json();
          if (!tm.where(row)) continue;
        }
        const uuid = vr.uuid;
        const version = vr.version;
        const hit = version !== undefined ? shared?.get(uuid) : undefined;
        let text = hit && hit.version === version ? hit.text : undefined;
        if (text === undefined) {
          row ??= vr.json(columns);
          text = stringifyJson(this.version === 1 ? { new: fullRow(tm, row, false) } : { initial: fullRow(tm, row, true) });
        }
        if (version !== undefined) fresh?.set(uuid, { version, text });
        items.push(`${stringifyJson(uuid)}:${text}`);
      }
      if (shared && fresh) cache!.replace(`${this.shapeKey}\n${name}`, fresh);
      if (items.length) parts.push(`${stringifyJson(name)}:{${items.join(',')}}`);
    }
    return `{${parts.join(',')}}`;
  }

  /** The updates one commit (or a merged run of commits) means for this monitor, or undefined. */
  updates(tables: Map<string, Map<string, RowChange>>): JsonObject | undefined {
    let out: JsonObject | undefined;
    for (const [name, rows] of tables) {
      const tm = this.tables.get(name);
      if (!tm) continue;
      let t: JsonObject | undefined;
      for (const [uuid, ch] of rows) {
        const u = this.rowUpdate(tm, ch);
        if (u === undefined) continue;
        t ??= {};
        t[uuid] = u;
      }
      if (t) {
        out ??= {};
        out[name] = t;
      }
    }
    return out;
  }

  private rowUpdate(tm: TableMonitor, ch: RowChange): Json | undefined {
    // A modification straight from a commit, for a monitor without a condition, in update2/3
    // form: diffed from the database's rows, so the rows are never turned into JSON (a big set
    // such as Open_vSwitch.bridges is not encoded twice and parsed back to be diffed).
    if (this.version !== 1 && tm.where === undefined && isCommitModification(ch)) {
      if (!tm.select.modify) return undefined;
      const changed: JsonObject = {};
      let any = false;
      for (const c of tm.columns) {
        const d = columnDiffOf(ch, c.name);
        if (d === null || d === undefined) continue;
        changed[c.name] = d;
        any = true;
      }
      return any ? { modify: changed } : undefined;
    }
    const wasIn = this.matches(tm, ch.old);
    const isIn = this.matches(tm, ch.new);
    if (!wasIn && !isIn) return undefined;
    if (!wasIn) {
      if (!tm.select.insert) return undefined;
      return this.version === 1 ? { new: fullRow(tm, ch.new!, false) } : { insert: fullRow(tm, ch.new!, true) };
    }
    if (!isIn) {
      if (!tm.select.delete) return undefined;
      return this.version === 1 ? { old: fullRow(tm, ch.old!, false) } : { delete: null };
    }
    if (!tm.select.modify) return undefined;
    const oldRow = ch.old!;
    const newRow = ch.new!;
    const changed: JsonObject = {};
    let any = false;
    for (const c of tm.columns) {
      const o = value(oldRow, c);
      const n = value(newRow, c);
      if (this.version !== 1 && isCollection(c)) {
        // A set or map: equal data have an empty diff, so compute the diff once instead of
        // comparing and then diffing (each parses both values).
        if (o === n || stringifyJson(o) === stringifyJson(n)) continue;
        const d = diffDatumJson(c.type, o, n);
        if (isEmptyCollection(d)) continue;
        changed[c.name] = d;
        any = true;
        continue;
      }
      if (sameDatum(c, o, n)) continue;
      changed[c.name] = this.version === 1 ? o : diffDatumJson(c.type, o, n);
      any = true;
    }
    if (!any) return undefined;
    return this.version === 1 ? { old: changed, new: fullRow(tm, newRow, false) } : { modify: changed };
  }

  /** Replaces the conditions of some tables (monitor_cond_change) and returns the updates that
   *  bring the client from the old condition to the new one (inserts and deletes). */
  changeConditions(newWhere: Map<string, RowPredicate | undefined>, rows: (table: string) => Iterable<RowJson>): JsonObject | undefined {
    const changes = new Map<string, Map<string, RowChange>>();
    const before = new Map<string, RowPredicate | undefined>();
    for (const [name, where] of newWhere) {
      const tm = this.tables.get(name)!;
      before.set(name, tm.where);
      const m = new Map<string, RowChange>();
      for (const row of rows(name)) {
        const wasIn = tm.where === undefined || tm.where(row);
        const isIn = where === undefined || where(row);
        if (wasIn && !isIn) m.set(uuidOf(row), { old: row });
        else if (!wasIn && isIn) m.set(uuidOf(row), { new: row });
      }
      if (m.size) changes.set(name, m);
      tm.where = where;
    }
    // Entering rows are inserts and leaving rows deletes regardless of the new condition, so
    // compose them with conditions switched off for those rows.
    const saved = new Map<string, RowPredicate | undefined>();
    for (const name of changes.keys()) {
      const tm = this.tables.get(name)!;
      saved.set(name, tm.where);
      tm.where = undefined;
    }
    const out = this.updates(changes);
    for (const [name, w] of saved) this.tables.get(name)!.where = w;
    return out;
  }
}

interface CachedRow {
  version: string;
  text: string;
}

/** Row texts of monitors' initial contents per (monitor shape, table), see Monitor.initialText.
 *  Each composition replaces its table's entries, so deleted rows do not linger. */
export class RowTextCache {
  private readonly tables = new Map<string, Map<string, CachedRow>>();

  table(key: string): Map<string, CachedRow> {
    return this.tables.get(key) ?? new Map();
  }

  replace(key: string, rows: Map<string, CachedRow>): void {
    // Bounded: a server sees few distinct monitor shapes; if it sees many, start over.
    if (!this.tables.has(key) && this.tables.size >= 64) this.tables.clear();
    this.tables.set(key, rows);
  }
}

/** A row of a monitor's initial contents: a database's VersionedRow, or a wire row (wireRows). */
interface InitialRow {
  readonly uuid: string;
  /** Undefined for a wire row without a valid `_version` (its text is then not cached). */
  readonly version: string | undefined;
  json(columns?: readonly string[]): RowJson;
}

/** Wire rows seen as InitialRows (`json` gives the whole row; fullRow picks the columns). */
function* wireRows(rows: Iterable<RowJson>): Iterable<InitialRow> {
  for (const row of rows) yield new WireRow(row);
}

class WireRow implements InitialRow {
  constructor(private readonly row: RowJson) {}

  get uuid(): string {
    return uuidOf(this.row);
  }

  get version(): string | undefined {
    return versionOf(this.row);
  }

  json(): RowJson {
    return this.row;
  }
}

function versionOf(row: RowJson): string | undefined {
  const v = row._version;
  return Array.isArray(v) && v.length === 2 && typeof v[1] === 'string' ? v[1] : undefined;
}

export function uuidOf(row: RowJson): string {
  const u = row._uuid;
  if (Array.isArray(u) && u.length === 2 && typeof u[1] === 'string') return u[1];
  throw new OvsdbError('internal error', `row without a valid _uuid: ${stringifyJson(u)}`);
}

/** Merges the row changes of consecutive commits into one net change per row. */
export function mergeChanges(changes: CommittedChange[]): Map<string, Map<string, RowChange>> {
  const out = new Map<string, Map<string, RowChange>>();
  for (const c of changes) {
    for (const [table, rows] of c.tables) {
      let t = out.get(table);
      if (!t) out.set(table, (t = new Map()));
      for (const [uuid, ch] of rows) {
        const prev = t.get(uuid);
        if (!prev) {
          // Read old/new explicitly: a RowChange may compute them lazily (getters), which a
          // spread would not copy.
          const first: RowChange = {};
          if (ch.old) first.old = ch.old;
          if (ch.new) first.new = ch.new;
          t.set(uuid, first);
          continue;
        }
        const merged: RowChange = {};
        if (prev.old) merged.old = prev.old;
        if (ch.new) merged.new = ch.new;
        if (!merged.old && !merged.new) t.delete(uuid);
        else t.set(uuid, merged);
      }
    }
  }
  return out;
}

/** Commits kept at most per database for monitors that were not yet sent them; beyond that the
 *  older half is merged into each lagging monitor's own net change. */
const FEED_MAX = 512;

type TableChanges = Map<string, Map<string, RowChange>>;

/**
 * The commits of one database not yet sent to all of its monitors, and the composition of their
 * updates. Commits are appended once (not once per monitor); each monitor remembers where it is.
 * Updates are composed once per (monitor shape, range of commits) as JSON text shared by every
 * session whose monitor has that shape and is at the same place: most clients monitor the same
 * tables and columns and are flushed together at the end of an event-loop turn, so one
 * composition and one serialisation serve them all (ovsdb-server shares them the same way).
 */
export class ChangeFeed {
  private log: CommittedChange[] = [];
  /** Sequence number of log[0]. */
  private base = 0;
  /** Sequence number of the first commit after the last flush round. */
  private roundFrom = 0;
  private readonly monitors = new Set<Monitor>();
  private readonly bodies = new Map<string, string | null>();
  /** Encoded notifications: sessions whose monitors also have the same id (e.g. every client of
   *  one program) are sent the very same bytes. */
  private readonly encoded = new Map<string, Buffer>();
  private readonly merged = new Map<string, TableChanges>();

  /** Sequence number the next commit will have. */
  get end(): number {
    return this.base + this.log.length;
  }

  get monitorCount(): number {
    return this.monitors.size;
  }

  /** How many of the monitors are monitor_cond_since ones (the only ones told transaction ids). */
  get sinceMonitorCount(): number {
    return this.sinceMonitors;
  }

  private sinceMonitors = 0;

  /** Starts feeding `monitor` with the commits after now. */
  add(monitor: Monitor): void {
    monitor.since = this.end;
    monitor.folded = undefined;
    if (!this.monitors.has(monitor) && monitor.version === 3) this.sinceMonitors++;
    this.monitors.add(monitor);
  }

  remove(monitor: Monitor): void {
    if (this.monitors.delete(monitor) && monitor.version === 3) this.sinceMonitors--;
    monitor.folded = undefined;
    if (this.monitors.size === 0) {
      this.base = this.end;
      this.log = [];
    }
  }

  append(change: CommittedChange): void {
    if (this.monitors.size === 0) {
      this.base++;
      return;
    }
    this.log.push(change);
    if (this.log.length > FEED_MAX) this.trim();
  }

  /** True when `monitor` has commits it was not sent yet. */
  hasPending(monitor: Monitor): boolean {
    return monitor.since < this.end || monitor.folded !== undefined;
  }

  /** Forgets earlier compositions (once per flush round: ranges already sent are not asked for again). */
  reset(): void {
    this.bodies.clear();
    this.encoded.clear();
    this.merged.clear();
  }

  /** The encoded notification for the commits `monitor` was not sent yet (merged into one
   *  update), marking them sent; undefined when there are none or they net to nothing for it. */
  takeNotification(monitor: Monitor): Buffer | undefined {
    if (!this.hasPending(monitor)) return undefined;
    const end = this.end;
    const from = monitor.folded ? monitor.foldedFrom : monitor.since;
    const key = `${from}-${end}`;
    const bodyKey = `${monitor.shapeKey}\n${key}`;
    const body = this.body(monitor, key, () => {
      const parts = this.log.slice(monitor.since - this.base);
      if (monitor.folded) parts.unshift({ txnId: '', tables: monitor.folded });
      return parts;
    });
    monitor.since = end;
    monitor.folded = undefined;
    if (body === null) return undefined;
    const encKey = `${bodyKey}\n${monitor.idText}`;
    let bytes = this.encoded.get(encKey);
    if (bytes === undefined) {
      const txnId = this.log[this.log.length - 1]!.txnId;
      bytes = Buffer.from(notificationText(monitor.updateMethod, monitor.paramsText(body, txnId)), 'utf8');
      this.encoded.set(encKey, bytes);
    }
    return bytes;
  }

  /** The update (JSON text, null for none) that the commits of range `key` mean for monitors of
   *  `monitor`'s shape, composed once. */
  private body(monitor: Monitor, key: string, parts: () => CommittedChange[]): string | null {
    const bodyKey = `${monitor.shapeKey}\n${key}`;
    let body = this.bodies.get(bodyKey);
    if (body === undefined) {
      let tables = this.merged.get(key);
      if (tables === undefined) {
        const p = parts();
        tables = p.length === 1 ? p[0]!.tables : mergeChanges(p);
        this.merged.set(key, tables);
      }
      const u = monitor.updates(tables);
      body = u ? stringifyJson(u) : null;
      this.bodies.set(bodyKey, body);
    }
    return body;
  }

  /** Ends a flush round: the next round's commits start here; commits every monitor was sent
   *  are dropped. */
  endRound(): void {
    const end = this.end;
    this.roundFrom = end;
    let min = end;
    for (const m of this.monitors) if (m.since < min) min = m.since;
    if (min > this.base) {
      this.log = min === end ? [] : this.log.slice(min - this.base);
      this.base = min;
    }
  }

  /** Bytes (JSON text) of the update this round's commits mean for `monitor`'s shape: about what
   *  a peer that is not reading falls further behind by (an upper bound of what the merged update
   *  will add). Shares the composition with the sessions flushed this round. */
  roundBytes(monitor: Monitor): number {
    const from = Math.max(this.roundFrom, this.base);
    const end = this.end;
    if (from >= end) return 0;
    const body = this.body(monitor, `${from}-${end}`, () => this.log.slice(from - this.base));
    return body === null ? 0 : body.length;
  }

  /** Drops the older half of the log; monitors still behind it keep those commits merged. */
  private trim(): void {
    const cut = this.base + (this.log.length >> 1);
    // Monitors at the same place (same position, same earlier fold) share one fold: the folded
    // maps are never modified afterwards, only read.
    const folds = new Map<string, TableChanges>();
    const foldIds = new Map<TableChanges, number>();
    for (const m of this.monitors) {
      if (m.since >= cut) continue;
      let prev = '';
      if (m.folded) {
        let id = foldIds.get(m.folded);
        if (id === undefined) foldIds.set(m.folded, (id = foldIds.size));
        prev = String(id);
      }
      const key = `${m.since}|${prev}`;
      let folded = folds.get(key);
      if (folded === undefined) {
        const parts = this.log.slice(m.since - this.base, cut - this.base);
        if (m.folded) parts.unshift({ txnId: '', tables: m.folded });
        folded = mergeChanges(parts);
        folds.set(key, folded);
      }
      if (!m.folded) m.foldedFrom = m.since;
      m.folded = folded;
      m.since = cut;
    }
    this.log = this.log.slice(cut - this.base);
    this.base = cut;
  }
}
