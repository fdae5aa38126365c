// ovs-vsctl's replica and bridge/port cache kept from one transaction to the next, for a client
// that reads an in-process database (the engine's MirrorClient): instead of reading every table
// and building the cache again for each call, the rows a commit changed (any client's) are
// replaced and only the bridges they belong to are placed again, so a call costs O(change).
//
// Transactions run one at a time (run() queues them). Each starts from exactly the database's
// state at that moment and ends, committed or not, with its own edits undone (the replica's
// written, inserted and deleted rows, the cache's journalled changes): what it committed comes
// back, like any other client's commit, as changed rows before the next transaction starts.
import type { CommittedChange, RowJson } from '../ovsdb/api.js';
import { Replica } from './replica.js';
import type { VsctlSchema } from './schema.js';
import type { VswitchCache } from './vswitch-cache.js';

/** What the session reads: the database's current rows (wire form, one object per row version,
 *  in the database's order) and a notification after each commit has been applied to them. */
export interface SessionRowSource {
  /** Commits seen so far (any table). */
  readonly commits: number;
  rows(table: string): ReadonlyMap<string, RowJson>;
  listen(fn: (change: CommittedChange) => void): () => void;
}

/** The state a transaction of the session sees (handed to executeParsed). */
export interface SessionTxn {
  readonly replica: Replica;
  /** The cache kept across transactions (SharedState.keptCache). */
  readonly keptCache: { get(): VswitchCache | undefined; set(c: VswitchCache): void };
  /** Whether nothing has committed since the transaction started (its verifies all hold). */
  stillCurrent(): boolean;
}

export class VsctlSession {
  private replica?: Replica;
  private cache?: VswitchCache;
  /** Rows changed by commits since the last transaction: table -> uuids (coalesced, so it stays
   *  bounded by the number of rows however many commits come between two calls). */
  private dirty = new Map<string, Set<string>>();
  private queue: Promise<void> = Promise.resolve();
  /** A transaction is running (started, not yet ended). */
  private busy = false;
  private readonly unlisten: () => void;
  /** Transactions run, caches dropped and rebuilt, rows replaced (for tests and ovsps/stats). */
  readonly counters = { txns: 0, cacheBuilds: 0, cacheDrops: 0, rowsReplaced: 0 };

  /** `hooks`: begin() is called as each transaction starts, current() each time a plan finds
   *  nothing committed since (the client's verify oracle keeps its own account of both). */
  constructor(private readonly src: SessionRowSource, private readonly hooks: { begin?(): void; current?(): void } = {}) {
    this.unlisten = src.listen((c) => {
      if (!this.replica) return;
      for (const [table, rows] of c.tables) {
        // Any table the replica holds: a commit may come while a transaction that sees only
        // some of them runs (its own, which may garbage-collect rows of tables it did not read).
        if (!this.replica.holds(table)) continue;
        let d = this.dirty.get(table);
        if (!d) this.dirty.set(table, (d = new Set()));
        for (const uuid of rows.keys()) d.add(uuid);
      }
    });
  }

  /** Runs `fn` as the only transaction of this session: with the replica brought up to date and
   *  holding `tables`, and everything `fn` did to it undone afterwards (also when it throws). */
  run<T>(schema: VsctlSchema, tables: readonly string[], fn: (txn: SessionTxn) => Promise<T>): Promise<T> {
    const go = async (): Promise<T> => {
      this.hooks.begin?.();
      let replica: Replica;
      try {
        replica = this.begin(schema, tables);
      } catch (e) {
        this.reset();
        throw e;
      }
      this.busy = true;
      const at = this.src.commits;
      const txn: SessionTxn = {
        replica,
        keptCache: { get: () => this.cache, set: (c) => { this.cache = c; this.counters.cacheBuilds++; } },
        stillCurrent: () => {
          if (this.src.commits !== at) return false;
          this.hooks.current?.();
          return true;
        },
      };
      try {
        return await fn(txn);
      } finally {
        try {
          replica.endTransaction();
          replica.setVisible(undefined);
          this.cache?.rollback();
        } catch {
          this.reset();
        }
        this.busy = false;
      }
    };
    const result = this.queue.then(go);
    this.queue = result.then(() => undefined, () => undefined);
    return result;
  }

  /** Forgets the replica and the cache (after an unexpected error): the next transaction reads
   *  every table again, as the first one did. */
  private reset(): void {
    this.replica = undefined;
    this.cache = undefined;
    this.dirty = new Map();
  }

  /** Stops following the database. */
  close(): void {
    this.unlisten();
    this.replica = undefined;
    this.cache = undefined;
  }

  /** Between transactions: the kept bridge/port cache brought up to date with the database, or
   *  undefined (none kept, or a transaction is running). Read it at once, without waiting. */
  currentCache(): VswitchCache | undefined {
    if (this.busy || !this.replica || !this.cache) return undefined;
    try {
      this.sync(this.replica);
    } catch {
      this.reset();
      return undefined;
    }
    return this.cache;
  }

  /** The replica, current, with `tables` loaded. */
  private begin(schema: VsctlSchema, tables: readonly string[]): Replica {
    this.counters.txns++;
    if (this.replica && this.replica.schema !== schema) { this.replica = undefined; this.cache = undefined; }
    let r = this.replica;
    if (!r) {
      r = this.replica = new Replica(schema, new Map(), true);
      r.partialSetWrites = true;
    }
    this.sync(r);
    for (const t of tables) if (!r.isLoaded(t) && schema.tables.has(t)) r.loadTable(t, this.src.rows(t).values());
    r.setVisible(new Set(tables));
    return r;
  }

  /** Replaces the rows changed since the last sync and updates the kept cache (or drops it). */
  private sync(r: Replica): void {
    r.setVisible(undefined);
    if (this.dirty.size) {
      const changed = this.dirty;
      this.dirty = new Map();
      for (const [table, uuids] of changed) {
        const rows = this.src.rows(table);
        for (const u of uuids) if (r.replaceRow(table, u, rows.get(u))) this.counters.rowsReplaced++;
      }
      if (this.cache && !this.cache.update(r, r.rows('Open_vSwitch')[0], changed)) {
        this.cache = undefined;
        this.counters.cacheDrops++;
      }
    }
  }
}

/** A client that offers a session for database `db` (the engine's MirrorClient). */
export interface SessionProvider {
  vsctlSession(db: string): VsctlSession | undefined;
}

export function sessionOf(client: unknown, db: string): VsctlSession | undefined {
  const c = client as Partial<SessionProvider>;
  return typeof c.vsctlSession === 'function' ? c.vsctlSession(db) : undefined;
}
