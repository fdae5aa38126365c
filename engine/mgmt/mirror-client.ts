// The OvsdbClient the management API gives ovs-vsctl's command library: one per engine (so the
// library's parsed schema stays cached), answering read-only transactions made only of simple
// selects (all rows, or one row by _uuid) from the RowMirror, and passing everything else
// (commits, waits, selects with other conditions) to the database unchanged.
//
// A select's answer is the same as the database's: the rows in the database's order, each with
// the requested columns (all columns, _uuid and _version included, without a column list).
// Projections are memoised per row object, so an unchanged row is projected once.
import type { Database, Json, JsonObject, OvsdbClient, RowJson } from '../ovsdb/api.js';
import { LocalClient } from '../ovsdb/local-client.js';
import { RowMirror } from './row-mirror.js';

interface SimpleSelect { table: string; columns?: string[]; uuid?: string }

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export class MirrorClient implements OvsdbClient {
  private readonly local: LocalClient;
  private readonly projections = new WeakMap<RowJson, Map<string, RowJson>>();
  /** Column names per table, from the schema (plus _uuid and _version). */
  private readonly columns = new Map<string, Set<string>>();

  constructor(private readonly db: Database, readonly mirror: RowMirror = new RowMirror(db)) {
    this.local = new LocalClient(new Map([[db.name, db]]));
    const tables = db.schemaJson.tables as JsonObject | undefined;
    for (const [name, t] of Object.entries(tables ?? {})) {
      const cols = (t as JsonObject | null)?.columns;
      this.columns.set(name, new Set(['_uuid', '_version', ...Object.keys((cols as JsonObject | null) ?? {})]));
    }
  }

  listDbs(): Promise<string[]> { return this.local.listDbs(); }

  getSchema(db: string): Promise<JsonObject> { return this.local.getSchema(db); }

  async transact(db: string, ops: Json[]): Promise<Json[]> {
    if (db !== this.db.name || ops.length === 0) return this.local.transact(db, ops);
    const selects: SimpleSelect[] = [];
    for (const op of ops) {
      const s = this.simpleSelect(op);
      if (!s) return this.local.transact(db, ops);
      selects.push(s);
    }
    return selects.map((s) => ({ rows: this.select(s) }));
  }

  /** Nothing to release per use: the mirror lives as long as the engine. */
  async close(): Promise<void> { /* shared client */ }

  /** Stops following the database. */
  dispose(): void { this.mirror.close(); }

  /** `op` as a select this client can answer itself, or undefined. */
  private simpleSelect(op: Json): SimpleSelect | undefined {
    if (typeof op !== 'object' || op === null || Array.isArray(op) || op.op !== 'select') return undefined;
    for (const k of Object.keys(op)) if (k !== 'op' && k !== 'table' && k !== 'where' && k !== 'columns') return undefined;
    const table = op.table;
    if (typeof table !== 'string') return undefined;
    const known = this.columns.get(table);
    if (!known) return undefined;
    const s: SimpleSelect = { table };
    if (op.columns !== undefined) {
      const cols = op.columns;
      if (!Array.isArray(cols) || cols.some((c) => typeof c !== 'string' || !known.has(c))) return undefined;
      if (new Set(cols).size !== cols.length) return undefined;
      s.columns = cols as string[];
    }
    const where = op.where;
    if (!Array.isArray(where)) return undefined;
    if (where.length === 0) return s;
    // [["_uuid", "==", ["uuid", "<uuid>"]]]
    const c = where[0];
    if (where.length !== 1 || !Array.isArray(c) || c.length !== 3 || c[0] !== '_uuid' || c[1] !== '==') return undefined;
    const v = c[2];
    if (!Array.isArray(v) || v.length !== 2 || v[0] !== 'uuid' || typeof v[1] !== 'string' || !UUID_RE.test(v[1])) return undefined;
    s.uuid = v[1];
    return s;
  }

  private select(s: SimpleSelect): RowJson[] {
    const rows = this.mirror.rows(s.table);
    const out: RowJson[] = [];
    if (s.uuid !== undefined) {
      const r = rows.get(s.uuid);
      if (r) out.push(this.project(r, s.columns));
      return out;
    }
    for (const r of rows.values()) out.push(this.project(r, s.columns));
    return out;
  }

  private project(row: RowJson, columns: string[] | undefined): RowJson {
    if (!columns) return row;
    const key = columns.join('\0');
    let memo = this.projections.get(row);
    const hit = memo?.get(key);
    if (hit) return hit;
    const p: RowJson = {};
    for (const c of columns) { const v = row[c]; if (v !== undefined) p[c] = v; }
    if (!memo) this.projections.set(row, (memo = new Map()));
    memo.set(key, p);
    return p;
  }
}
