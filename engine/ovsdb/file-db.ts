// A standalone OVSDB database kept in an OVS log file: the in-memory database (database.ts)
// replayed from the file's records, with a commit sink that appends each committed transaction to
// the file before the transaction replies (fsync when the transaction asks to be durable).
// Compaction rewrites the file as schema + one snapshot record, atomically. A writer holds the OVS
// lock file, so two writers (ours or Debian's ovsdb-server/ovsdb-tool) cannot open the same file.
import type { Json, JsonObject, RowJson } from './api.js';
import { createDatabase, type MemoryDatabase } from './database.js';
import { parseSchema, type DatabaseSchema } from './schema.js';
import { checkDatumJson, datumEqualJson, defaultDatumJson } from './datum.js';
import { OvsdbError } from './errors.js';
import { lockDatabase, LockError } from './lockfile.js';
import {
  composeRecord, createLog, LogError, OVSDB_MAGIC, openLogForWrite, readLog, writeFileAtomic, type LogContents, type LogWriter, type TornTail,
} from './log-file.js';
import { canonicalSchemaJson } from './schema-canonical.js';
import { realpathSync } from 'node:fs';
import { resolve } from 'node:path';

/** OVS compacts once the log passes 10 MB and has at least doubled since the last compaction,
 *  at most every 10 minutes. */
const AUTO_COMPACT_MIN_BYTES = 10 * 1024 * 1024;
const AUTO_COMPACT_MIN_INTERVAL_MS = 10 * 60 * 1000;

export interface FileDatabaseExtras {
  /** The path the database was opened with. */
  readonly path: string;
  /** Rewrites the file as schema + one snapshot record (temp file, fsync, rename, dir fsync). */
  compact(): Promise<void>;
  /** Stops writing to the file and releases its lock. */
  close(): Promise<void>;
  /** Converts the database to `schema` in place, as ovsdb-server's "convert" does: the file is
   *  rewritten (atomically) as the new schema plus the converted rows, and later commits go to it
   *  from the returned database; this object stops writing. Throws OvsdbError when a value does
   *  not fit the new schema, leaving file and database as they were. */
  convert(schema: DatabaseSchema, comment: string): FileDatabase;
  /** The torn final record cut off when the file was opened, if any. */
  readonly repairedTail?: TornTail;
}

/** A MemoryDatabase whose commits go to its file. */
export type FileDatabase = MemoryDatabase & FileDatabaseExtras;

export interface OpenDatabaseFileOptions {
  /** Open without the lock and never write (ovsdb-tool query, show commands). A torn tail is then
   *  an error, as with ovsdb-tool, since nothing may be truncated. */
  readOnly?: boolean;
  /** Name used in messages (default: the path as given). */
  name?: string;
  /** Cut off a torn final record on open, with a warning, as ovsdb-server does (default true).
   *  false: fail with the read error instead, as ovsdb-tool does. */
  repairTornTail?: boolean;
  /** Receives warnings (e.g. a torn tail truncated on open). Default: written to stderr. */
  onWarning?: (message: string) => void;
  /** Compact automatically when the log grows a lot, as ovsdb-server does (default: on, past 10 MB
   *  and twice the size after the last compaction, at most every 10 minutes). `false` turns it off;
   *  an object sets the thresholds. */
  autoCompact?: boolean | { minBytes: number; minIntervalMs: number };
}

/** Replays transaction records 1..n into a fresh database of the file's schema. */
function replay(contents: LogContents, name: string): MemoryDatabase {
  const first = contents.records[0];
  if (!first) throw new LogError('OVSDB_E_LOG_FORMAT', `ovsdb error: ${name}: database file is empty (no schema record)`);
  // A bad schema record is reported as OVS reports it (SchemaError's text), as a schema file is.
  const db = createDatabase(parseSchema(first.json));
  for (let i = 1; i < contents.records.length; i++) {
    const rec = contents.records[i]!;
    try {
      db.applyRecord(rec.json);
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      throw new LogError('OVSDB_E_LOG_CORRUPT', `syntax error: ${name}: transaction record ${i} at offset ${rec.offset} cannot be applied: ${msg}`, rec.offset);
    }
  }
  return db;
}

function snapshotWithComment(db: MemoryDatabase, comment: string): JsonObject {
  const snap = db.snapshotRecord();
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(snap)) if (k !== '_date' && k !== '_comment' && k !== '_is_diff') out[k] = v;
  out['_date'] = Date.now();
  out['_comment'] = comment;
  return out;
}

/** The records of a compacted copy of `db`: canonical schema + one snapshot. */
export function compactedRecords(db: MemoryDatabase, comment: string): JsonObject[] {
  return [canonicalSchemaJson(db.schema), snapshotWithComment(db, comment)];
}

function attach(db: MemoryDatabase, extras: FileDatabaseExtras): FileDatabase {
  const fdb = db as FileDatabase;
  Object.defineProperty(fdb, 'path', { value: extras.path, enumerable: true });
  Object.defineProperty(fdb, 'compact', { value: extras.compact });
  Object.defineProperty(fdb, 'close', { value: extras.close });
  Object.defineProperty(fdb, 'convert', { value: extras.convert });
  if (extras.repairedTail) Object.defineProperty(fdb, 'repairedTail', { value: extras.repairedTail, enumerable: true });
  return fdb;
}

/** Opens the standalone database file at `path`: validates and replays every record, cuts off a
 *  torn final record (with a warning), then appends every later commit to the file. */
export async function openDatabaseFile(path: string, options: OpenDatabaseFileOptions = {}): Promise<FileDatabase> {
  const name = options.name ?? path;
  const warn = options.onWarning ?? ((m: string) => { process.stderr.write(`${m}\n`); });

  if (options.readOnly) {
    const contents = readLog(path, name);
    if (contents.tail) throw contents.tail.error;
    const db = replay(contents, name);
    db.setSink({ append() { /* read-only: committed changes stay in memory */ } });
    return attach(db, {
      path,
      compact: () => Promise.reject(new LogError('OVSDB_E_LOG_IO', `I/O error: ${name}: database is open read-only`)),
      close: async () => { db.setSink(undefined); },
      convert: () => { throw new OvsdbError('not allowed', `conversion is not allowed for read-only database ${db.name}`); },
    });
  }

  const opened = openLogForWrite(path, name, [OVSDB_MAGIC], options.repairTornTail !== false);
  const writer: LogWriter = opened.writer;
  let db: MemoryDatabase;
  try {
    if (opened.truncated) {
      warn(`${opened.truncated.error.message}; truncated ${opened.truncated.length} bytes of an incomplete final record at offset ${opened.truncated.offset}`);
    }
    db = replay(opened.contents, name);
  } catch (e) {
    writer.close();
    throw e;
  }

  let base = writer.offset;
  let lastCompact = Date.now();
  let compactScheduled = false;
  const autoCompact = options.autoCompact !== false;
  const minBytes = typeof options.autoCompact === 'object' ? options.autoCompact.minBytes : AUTO_COMPACT_MIN_BYTES;
  const minInterval = typeof options.autoCompact === 'object' ? options.autoCompact.minIntervalMs : AUTO_COMPACT_MIN_INTERVAL_MS;

  const compactNow = (comment: string): void => {
    writer.replace(compactedRecords(db, comment));
    base = writer.offset;
    lastCompact = Date.now();
  };

  const afterAppend = (): void => {
    if (autoCompact && !compactScheduled && writer.offset > minBytes && writer.offset / 2 > base
      && Date.now() - lastCompact >= minInterval) {
      compactScheduled = true;
      setImmediate(() => {
        compactScheduled = false;
        if (writer.closed) return;
        try {
          compactNow('compacting database online');
        } catch (e) {
          warn(`${name}: automatic compaction failed: ${(e as Error).message}`);
        }
      });
    }
  };
  const sink = {
    append(record: JsonObject, durable: boolean): void {
      writer.append(record, durable);
      afterAppend();
    },
    appendText(text: string, durable: boolean): void {
      writer.appendText(text, durable);
      afterAppend();
    },
    appendJsonStream(produce: (emit: (s: string) => void) => void, durable: boolean): void {
      writer.appendJsonStream(produce, durable);
      afterAppend();
    },
    appendJsonChunks(chunks: readonly Buffer[], durable: boolean): void {
      writer.appendJsonChunks(chunks, durable);
      afterAppend();
    },
  };
  db.setSink(sink);

  const extras: FileDatabaseExtras = {
    path,
    ...(opened.truncated ? { repairedTail: opened.truncated } : {}),
    compact: async () => { compactNow('compacting database online'); },
    close: async () => {
      db.setSink(undefined);
      writer.close();
    },
    convert: (schema: DatabaseSchema, comment: string): FileDatabase => {
      const converted = convertDatabase(db, schema);
      writer.replace(compactedRecords(converted, comment));
      base = writer.offset;
      lastCompact = Date.now();
      db.setSink(undefined);
      db = converted;
      db.setSink(sink);
      return attach(db, extras);
    },
  };
  return attach(db, extras);
}

/** Creates a new database file holding only `schemaJson` (canonicalised as OVS stores it). Fails
 *  if the file exists (`I/O error: <path>: create failed (File exists)`). */
export async function createDatabaseFile(path: string, schemaJson: unknown): Promise<void> {
  const schema = parseSchema(schemaJson);
  createLog(path, [canonicalSchemaJson(schema)]);
}

/** Writes a compacted (or converted) copy of the database in `src` to `dst`, or in place when `dst`
 *  is undefined (atomically, under the lock), as `ovsdb-tool compact` / `convert` do. */
export async function compactDatabaseFile(src: string, dst: string | undefined, comment: string, newSchema?: DatabaseSchema): Promise<void> {
  if (dst === undefined) {
    let opened: ReturnType<typeof openLogForWrite>;
    try {
      opened = openLogForWrite(src);
    } catch (e) {
      // ovsdb-tool reports a busy lock here without the "I/O error" tag.
      if (e instanceof LockError) throw new LockError(e.message.replace(/^I\/O error: /, ''));
      throw e;
    }
    try {
      if (opened.truncated) throw opened.truncated.error;
      const db = replay(opened.contents, src);
      const out = newSchema ? convertDatabase(db, newSchema) : db;
      opened.writer.replace(compactedRecords(out, comment));
    } finally {
      opened.writer.close();
    }
    return;
  }
  const contents = readLog(src);
  if (contents.tail) throw contents.tail.error;
  const db = replay(contents, src);
  const out = newSchema ? convertDatabase(db, newSchema) : db;
  let target = resolve(dst);
  try { target = realpathSync(target); } catch { /* new file */ }
  const lock = lockDatabase(target, dst);
  try {
    const records = compactedRecords(out, comment);
    writeFileAtomic(target, Buffer.concat(records.map((r) => composeRecord(r))));
  } finally {
    lock.release();
  }
}

/** A copy of `db` under `schema`: tables and columns the new schema lacks are dropped; every value
 *  kept must fit its new column type ("constraint violation" otherwise); values equal to the new
 *  default are not stored. */
export function convertDatabase(db: MemoryDatabase, schema: DatabaseSchema): MemoryDatabase {
  const out = createDatabase(schema);
  const record: JsonObject = {};
  for (const table of schema.tables.values()) {
    if (!db.schema.tables.has(table.name)) continue;
    const rows: JsonObject = {};
    for (const row of db.rows(table.name) as Iterable<RowJson>) {
      const uuidJson = row['_uuid'];
      const uuid = Array.isArray(uuidJson) ? String(uuidJson[1]) : String(uuidJson);
      const newRow: JsonObject = {};
      for (const col of table.columns.values()) {
        if (col.name.startsWith('_')) continue;
        const v = row[col.name];
        if (v === undefined) continue;
        // A value that does not fit fails as OVS's ovsdb_convert fails: with the datum's own
        // error (e.g. syntax error, "expected integer", syntax "br0").
        checkDatumJson(col.type, v as Json);
        if (!datumEqualJson(col.type, v as Json, defaultDatumJson(col.type))) newRow[col.name] = v as Json;
      }
      rows[uuid] = newRow;
    }
    record[table.name] = rows;
  }
  out.applyRecord(record);
  return out;
}

/** Reads only the schema (record 0) of a database file. */
export function readDatabaseSchema(path: string): { schema: DatabaseSchema; json: JsonObject } {
  const contents = readLog(path, path, [OVSDB_MAGIC], 1);
  const first = contents.records[0];
  if (!first) {
    if (contents.tail) throw contents.tail.error;
    throw new LogError('OVSDB_E_LOG_FORMAT', `ovsdb error: ${path}: database file is empty (no schema record)`);
  }
  return { schema: parseSchema(first.json), json: first.json };
}
