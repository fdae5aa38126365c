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
import { VsctlSession } from '../vsctl/session.js';

interface SimpleSelect { table: string; columns?: string[]; uuid?: string }

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export class MirrorClient implements OvsdbClient {
  private readonly local: LocalClient;
  /** Per row object: its projection for the column list last asked first (ovs-vsctl asks one
   *  list per table), and any others. */
  private readonly projections = new WeakMap<RowJson, { key: string; p: RowJson; more?: Map<string, RowJson> }>();
  /** How many verify waits were left out: not planned (verifiedHolds) or not sent (transactSkippingWaits). */
  waitsSkipped = 0;
  /** How many plans were made with everything they read still current (readStillCurrent): all
   *  their verify waits left out without being counted one by one. */
  plansAllCurrent = 0;
  /** mirror.commits when verifiedHolds() last answered true (cleared by the next read). */
  private oracleAt: number | undefined;
  /** mirror.commits when each answer to a transaction of selects was made (readStillCurrent). */
  private readonly readAt = new WeakMap<readonly Json[], number>();
  /** Column names per table, from the schema (plus _uuid and _version). */
  private readonly columns = new Map<string, Set<string>>();
  /** ovs-vsctl's replica and cache kept across calls (engine/vsctl/session.ts); made on first use. */
  private session?: VsctlSession;

  /** `keepReplica`: offer ovs-vsctl's library a session (false: every call reads the tables and
   *  builds its cache again, as before sessions; kept for comparison in benchmarks). */
  constructor(private readonly db: Database, readonly mirror: RowMirror = new RowMirror(db), readonly keepReplica = true) {
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
      if (!s) {
        // A plan made with verifiedHolds() is only good while nothing has committed since (the
        // library sends it in the same synchronous step, so this does not happen; if it ever
        // did, the transaction is not run and answers as one to try again after reading anew).
        if (this.oracleAt !== undefined && this.oracleAt !== this.mirror.commits) return ops.map(() => null);
        return this.transactSkippingWaits(db, ops);
      }
      selects.push(s);
    }
    this.oracleAt = undefined;
    const answer: Json[] = selects.map((s) => ({ rows: this.select(s) }));
    this.readAt.set(answer, this.mirror.commits);
    return answer;
  }

  /** Runs `ops` on the database, leaving out the `wait` ops this client can see pass: ovs-vsctl
   *  verifies every bridge's ports and every port's interfaces (one wait op each), which the
   *  database would otherwise parse and compare value by value. A wait op is left out only when
   *  it waits for one row (`_uuid ==`) to hold, in every column it names, the very value object
   *  the mirror holds now (values handed out by a select and sent back unchanged): such a wait
   *  passes. The check and the transaction run in one synchronous step, so no other commit can
   *  come between. Each left-out op answers {}, as the database would; when the transaction
   *  fails, the database runs it again whole, so errors read exactly as the database's. */
  private transactSkippingWaits(db: string, ops: Json[]): Promise<Json[]> {
    let kept: Json[] | undefined;
    let skipped: boolean[] | undefined;
    for (let i = 0; i < ops.length; i++) {
      if (this.waitHolds(ops[i] as Json)) {
        if (!kept) { kept = ops.slice(0, i); skipped = new Array<boolean>(ops.length).fill(false); }
        skipped![i] = true;
      } else if (kept) {
        kept.push(ops[i] as Json);
      }
    }
    if (!kept || !skipped) return this.local.transact(db, ops);
    this.waitsSkipped += ops.length - kept.length;
    const pending = this.local.transact(db, kept);
    return pending.then((results) => {
      // A failed transaction changed nothing; its error may name an operation by its position
      // ("operation 2 of 4"), so the database answers the whole transaction instead.
      const failed = (r: Json | undefined): boolean => r !== null && typeof r === 'object' && !Array.isArray(r) && typeof r.error === 'string';
      if (results.some(failed)) return this.local.transact(db, ops);
      const out: Json[] = [];
      let j = 0;
      for (let i = 0; i < ops.length; i++) out.push(skipped![i] ? {} : results[j++] as Json);
      return out;
    });
  }

  /** VerifyOracle (engine/vsctl/verify-oracle.ts): whether row `uuid` holds, in every column,
   *  the value object `raw` has, i.e. the value this client handed out is still the current one.
   *  transact() runs synchronously up to the database's execution, as the oracle requires. */
  verifiedHolds(db: string, table: string, uuid: string, columns: readonly string[], raw: RowJson): boolean {
    if (db !== this.db.name || !this.columns.has(table)) return false;
    const row = this.mirror.rows(table).get(uuid);
    if (!row) return false;
    for (const col of columns) {
      const v = raw[col];
      if (v === undefined || v !== row[col]) return false;
    }
    this.waitsSkipped++;
    this.oracleAt = this.mirror.commits;
    return true;
  }

  /** VerifyOracle: whether nothing has committed since this client answered `read` (a
   *  transaction of selects): every row it handed out is then the mirror's current object. As
   *  with verifiedHolds, the plan made on this answer must be sent in the same synchronous step. */
  readStillCurrent(db: string, read: readonly Json[]): boolean {
    if (db !== this.db.name || this.readAt.get(read) !== this.mirror.commits) return false;
    this.oracleAt = this.mirror.commits;
    this.plansAllCurrent++;
    return true;
  }

  /** Whether `op` is a wait for one row to equal values the mirror holds right now (see above). */
  private waitHolds(op: Json): boolean {
    if (typeof op !== 'object' || op === null || Array.isArray(op) || op.op !== 'wait' || op.until !== '==') return false;
    const table = op.table, where = op.where, columns = op.columns, rows = op.rows;
    if (typeof table !== 'string' || !Array.isArray(where) || where.length !== 1 || !Array.isArray(columns) || columns.length === 0) return false;
    if (!Array.isArray(rows) || rows.length !== 1) return false;
    const expected = rows[0];
    if (typeof expected !== 'object' || expected === null || Array.isArray(expected)) return false;
    const c = where[0];
    if (!Array.isArray(c) || c.length !== 3 || c[0] !== '_uuid' || c[1] !== '==') return false;
    const v = c[2];
    if (!Array.isArray(v) || v.length !== 2 || v[0] !== 'uuid' || typeof v[1] !== 'string') return false;
    if (!this.columns.has(table)) return false;
    const row = this.mirror.rows(table).get(v[1]);
    if (!row) return false;
    if (Object.keys(expected).length !== columns.length) return false;
    for (const col of columns) {
      if (typeof col !== 'string') return false;
      const e = expected[col];
      // The same column of the same table: identical JSON is the same datum.
      if (e === undefined || e !== row[col]) return false;
    }
    return true;
  }

  /** SessionProvider (engine/vsctl/session.ts): the session for this client's database. */
  vsctlSession(db: string): VsctlSession | undefined {
    if (db !== this.db.name || !this.keepReplica) return undefined;
    return (this.session ??= new VsctlSession(this.mirror, {
      // A plan is checked against commits since its transaction began, not since a select.
      begin: () => { this.oracleAt = undefined; },
      current: () => { this.oracleAt = this.mirror.commits; this.plansAllCurrent++; },
    }));
  }

  /** Nothing to release per use: the mirror lives as long as the engine. */
  async close(): Promise<void> { /* shared client */ }

  /** Stops following the database. */
  dispose(): void { this.session?.close(); this.mirror.close(); }

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
    const key = s.columns ? s.columns.join('\0') : '';
    if (s.uuid !== undefined) {
      const r = rows.get(s.uuid);
      if (r) out.push(this.project(r, s.columns, key));
      return out;
    }
    for (const r of rows.values()) out.push(this.project(r, s.columns, key));
    return out;
  }

  /** `row` with only `columns` (key: the columns joined by NUL), the same object while the row lasts. */
  private project(row: RowJson, columns: string[] | undefined, key: string): RowJson {
    if (!columns) return row;
    const memo = this.projections.get(row);
    if (memo) {
      if (memo.key === key) return memo.p;
      const hit = memo.more?.get(key);
      if (hit) return hit;
    }
    const p: RowJson = {};
    for (const c of columns) { const v = row[c]; if (v !== undefined) p[c] = v; }
    if (!memo) this.projections.set(row, { key, p });
    else (memo.more ??= new Map()).set(key, p);
    return p;
  }
}
