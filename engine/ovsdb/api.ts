// The contracts between the OVSDB core and its users (storage, the JSON-RPC server, the switch
// reconciler, ovs-vsctl's command library). Wire values are RFC 7047 JSON throughout.
import type { LimitError } from '../util/limits.js';

export type Json = null | boolean | number | bigint | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

/** An RFC 7047 error object as it appears in a transact result array or a JSON-RPC error. */
export interface OvsdbErrorJson {
  error: string;
  details?: string;
  syntax?: string;
}

/** A row in wire form: column name -> RFC 7047 <value> (sets/maps/uuids encoded). */
export type RowJson = { [column: string]: Json };

/** One row's change in one committed transaction. `old` absent = inserted; `new` absent = deleted.
 *  Both are full rows in wire form (all columns, including `_uuid` and `_version`). */
export interface RowChange {
  old?: RowJson;
  new?: RowJson;
}

/** What a commit changed, for monitors and the reconciler. */
export interface CommittedChange {
  /** A fresh UUID string per committed transaction (used by monitor_cond_since as last-txn-id). */
  txnId: string;
  /** table name -> row uuid -> change. Only tables/rows that really changed appear. */
  tables: Map<string, Map<string, RowChange>>;
  /** Ids of the sessions whose transact produced this change (empty for internal writers). */
  origin?: string;
}

/** Who is transacting; used by `assert` (locks) and by RBAC later. */
export interface TransactSession {
  readonly id: string;
  /** True when this session currently owns lock `name`. */
  holdsLock(name: string): boolean;
}

/** Where committed transactions go (the OVSDB log file, or nothing for an in-memory database).
 *  `append` is called synchronously inside the commit, after the transaction is validated and
 *  before the reply; it must throw on I/O failure (the core then rolls back and reports
 *  "I/O error" / "resources exhausted"). `durable` asks for fsync before returning. */
export interface CommitSink {
  append(record: JsonObject, durable: boolean): void;
  /** Optional fast path: when present the core calls this instead of `append`, with the same
   *  record already serialised as compact JSON (one line, no trailing newline). */
  appendText?(json: string, durable: boolean): void;
  /** Optional, preferred over appendText: the same compact JSON as UTF-8 pieces that concatenate
   *  to it (a big transaction's record is then never one string). */
  appendJsonChunks?(chunks: readonly Buffer[], durable: boolean): void;
  /** Optional, preferred over all the others: `produce` hands the same compact JSON to `emit`
   *  piece by piece, as often as the sink calls it (the same text every time), so the sink can
   *  size and hash the record before writing it without ever holding it whole. */
  appendJsonStream?(produce: (emit: (s: string) => void) => void, durable: boolean): void;
}

export interface TransactOptions {
  session?: TransactSession;
  /** Aborts a transaction still blocked in a `wait` op (JSON-RPC `cancel`); result is "canceled". */
  signal?: AbortSignal;
  /** Instead of `signal`: called (once) only when the transaction blocks in a `wait` op, so a
   *  caller need not make an AbortController for every transaction that never waits. */
  cancelSignal?: () => AbortSignal;
  /** At most this many rows inserted, modified or deleted (rows left as they were do not count):
   *  above it the commit fails with "resources exhausted" and nothing changes. */
  maxRows?: number;
  /** Called when the commit fails because of `maxRows`, with the breach (the row count in
   *  `seen`); the result array still ends with the "resources exhausted" error. */
  onLimit?: (breach: LimitError) => void;
}

/** The database API: the only way anything reads or writes an OVSDB database in-process. */
export interface Database {
  readonly name: string;
  /** The schema exactly as given (wire JSON), for get_schema. */
  readonly schemaJson: JsonObject;
  /** Runs RFC 7047 operations atomically; resolves with the RFC 7047 result array (one entry per op,
   *  an error object at the failing op, null after it, and an extra element for commit-time errors).
   *  Never rejects for a bad transaction: only for a bug or a closed database. */
  transact(ops: Json[], options?: TransactOptions): Promise<Json[]>;
  /** Optional fast path (MemoryDatabase has it): one synchronous attempt of transact(). Returns the
   *  results unless the transaction blocks in a `wait` op; then nothing has changed, it returns
   *  undefined and the caller runs transact() to wait. Throws what transact() rejects with. */
  transactNow?(ops: Json[], options?: TransactOptions): Json[] | undefined;
  /** Called after every commit that changed something, in commit order, before transact resolves. */
  onCommit(listener: (change: CommittedChange) => void): () => void;
  /** The current rows of a table, in wire form (with `_uuid` and `_version`). */
  rows(table: string): Iterable<RowJson>;
  /** The txn id of the latest commit (all-zero UUID before any). */
  readonly lastTxnId: string;
  /** Optional, for monitors' initial contents: the rows of `table` with their `_version`, each
   *  row's wire JSON made only when asked for (a row whose text a monitor already has for that
   *  version costs nothing). */
  versionedRows?(table: string): Iterable<VersionedRow>;
}

/** A row as `Database.versionedRows` hands it out (valid until the next transaction). */
export interface VersionedRow {
  readonly uuid: string;
  /** The row's `_version` uuid. */
  readonly version: string;
  /** The row in wire form: every column, or only `columns` (plus `_uuid` and `_version`). */
  json(columns?: readonly string[]): RowJson;
}

/** A client of an OVSDB server: the same shape in-process (over a Database) and over JSON-RPC. */
export interface OvsdbClient {
  listDbs(): Promise<string[]>;
  getSchema(db: string): Promise<JsonObject>;
  transact(db: string, ops: Json[]): Promise<Json[]>;
  close(): Promise<void>;
}
