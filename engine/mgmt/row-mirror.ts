// A read-only copy of some tables of an in-process database, in wire form, kept current from the
// database's commit notifications (what the OVS IDL is to ovs-vsctl, without the network).
// The management API reads it instead of running `select` transactions: a select converts every
// row of the table to wire form again, which made each cmdlet cost O(rows) in conversions.
//
// Tables are copied on first use (db.rows(), once) and from then on only the rows a commit changed
// are replaced. Rows handed out are the objects the database gave; nobody may modify them.
import type { CommittedChange, Database, RowJson } from '../ovsdb/api.js';

export class RowMirror {
  private readonly tables = new Map<string, Map<string, RowJson>>();
  /** Per table, bumped on every commit that changed one of its rows (for callers' memos). */
  private readonly versions = new Map<string, number>();
  private readonly unsubscribe: () => void;
  /** Commits seen since the mirror was made (any table). */
  commits = 0;
  private readonly listeners = new Set<(change: CommittedChange) => void>();
  /** Per table whose "name" column the schema indexes (unique): name -> uuid, made on first use. */
  private readonly names = new Map<string, Map<string, string>>();

  constructor(readonly db: Database) {
    this.unsubscribe = db.onCommit((c) => this.apply(c));
  }

  /** Whether the database's schema has this table. */
  hasTable(table: string): boolean {
    const tables = this.db.schemaJson.tables;
    return typeof tables === 'object' && tables !== null && !Array.isArray(tables) && Object.prototype.hasOwnProperty.call(tables, table);
  }

  /** The current rows of `table` by uuid, in the database's row order. Unknown table: empty. */
  rows(table: string): ReadonlyMap<string, RowJson> {
    let m = this.tables.get(table);
    if (!m) {
      m = new Map();
      if (this.hasTable(table)) {
        for (const r of this.db.rows(table)) {
          const u = r._uuid;
          if (Array.isArray(u) && typeof u[1] === 'string') m.set(u[1], r);
        }
        this.tables.set(table, m);
      }
    }
    return m;
  }

  /** The uuid of the row of `table` named `name`, for a table whose schema makes "name" unique
   *  (an index of that one column: Bridge, Port, Interface); undefined for other tables too. */
  named(table: string, name: string): string | undefined {
    let m = this.names.get(table);
    if (!m) {
      if (!this.nameIndexed(table)) return undefined;
      m = new Map();
      for (const [uuid, r] of this.rows(table)) if (typeof r.name === 'string') m.set(r.name, uuid);
      this.names.set(table, m);
    }
    return m.get(name);
  }

  /** Whether `name` alone is an index of `table` (so no two rows share a name). */
  nameIndexed(table: string): boolean {
    const t = (this.db.schemaJson.tables as Record<string, { indexes?: unknown }> | undefined)?.[table];
    return Array.isArray(t?.indexes) && t.indexes.some((ix) => Array.isArray(ix) && ix.length === 1 && ix[0] === 'name');
  }

  /** A number that changes whenever a row of `table` changes. */
  version(table: string): number {
    return this.versions.get(table) ?? 0;
  }

  /** Calls `fn` after each commit, once the mirror holds its rows; returns how to stop. */
  listen(fn: (change: CommittedChange) => void): () => void {
    this.listeners.add(fn);
    return () => { this.listeners.delete(fn); };
  }

  close(): void {
    this.unsubscribe();
    this.tables.clear();
    this.names.clear();
    this.listeners.clear();
  }

  private apply(change: CommittedChange): void {
    this.commits++;
    for (const [table, rows] of change.tables) {
      this.versions.set(table, (this.versions.get(table) ?? 0) + 1);
      const names = this.names.get(table);
      if (names) {
        // Removals first: within one commit a name may pass from a deleted row to a new one.
        for (const [uuid, c] of rows) if (typeof c.old?.name === 'string' && names.get(c.old.name) === uuid) names.delete(c.old.name);
        for (const [uuid, c] of rows) if (typeof c.new?.name === 'string') names.set(c.new.name, uuid);
      }
      const m = this.tables.get(table);
      if (!m) continue;
      for (const [uuid, c] of rows) {
        if (c.new) {
          // An update keeps the row's place, an insert goes last: the database's own order.
          m.set(uuid, c.new);
        } else {
          m.delete(uuid);
        }
      }
    }
    for (const fn of this.listeners) fn(change);
  }
}
