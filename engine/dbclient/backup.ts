// ovsdb-client backup and restore. backup writes a standalone database file to stdout: the schema
// record, then one record with every stored row (row UUIDs kept). restore reads such a file (or
// any standalone database file: its records are replayed) from stdin and, in one transaction,
// replaces the database's contents with it; rows get new UUIDs, references between them are kept.
import { readFileSync } from 'node:fs';
import { isatty } from 'node:tty';
import type { Json, JsonObject } from '../ovsdb/api.js';
import { ovsJsonToTextUnsorted } from '../vsctl/json-text.js';
import type { BaseType, ColumnType, DatabaseSchema } from '../ovsdb/schema.js';
import { ClientSession, checkTransactionReply, fatal } from './session.js';

export async function backupCommand(s: ClientSession): Promise<void> {
  if (isatty(1)) fatal('not writing backup to a terminal; please redirect stdout to a file');
  const schema = await s.fetchSchema();
  const ops = schema.tables.map((t) => ({
    op: 'select', table: t.name, where: [], columns: t.columns.filter((c) => c.persistent).map((c) => c.name),
  }));
  const result = await s.call('transact', [s.database, ...ops]);
  const { composeRecord } = await import('../ovsdb/log-file.js');
  if (!Array.isArray(result) || result.length !== schema.tables.length) {
    fatal(`reply is not array of ${schema.tables.length} elements: ${ovsJsonToTextUnsorted(result)}`);
  }
  const txn: JsonObject = {};
  schema.tables.forEach((t, i) => {
    const r = result[i]!;
    const rows = r !== null && typeof r === 'object' && !Array.isArray(r) ? r.rows : undefined;
    if (!Array.isArray(rows)) fatal(`${t.name} table reply is not an object with a "rows" member array: ${ovsJsonToTextUnsorted(r)}`);
    if (rows.length === 0) return;
    const out: JsonObject = {};
    for (const row of rows) {
      if (row === null || typeof row !== 'object' || Array.isArray(row)) fatal(`${t.name} table reply row is not an object: ${ovsJsonToTextUnsorted(row)}`);
      const { _uuid: uuid, ...rest } = row;
      if (uuid === undefined) fatal(`${t.name} table reply row lacks _uuid member: ${ovsJsonToTextUnsorted(row)}`);
      if (!Array.isArray(uuid) || uuid[0] !== 'uuid' || typeof uuid[1] !== 'string') fatal(`syntax error: expected ["uuid", <string>]`);
      out[uuid[1]] = rest;
    }
    txn[t.name] = out;
  });
  txn._comment = 'produced by "ovsdb-client backup"';
  txn._date = Date.now();
  process.stdout.write(Buffer.concat([composeRecord(schema.json), composeRecord(txn)]));
}

function rowName(uuid: string): string {
  return 'row' + uuid.replace(/-/g, '_');
}

/** A stored value with references to rows written as the named UUIDs of their inserts. */
function withRowNames(value: Json, type: ColumnType): Json {
  const atom = (a: Json, base: BaseType): Json =>
    base.type === 'uuid' && base.refTable !== undefined && Array.isArray(a) && a[0] === 'uuid' ? ['named-uuid', rowName(String(a[1]))] : a;
  if (Array.isArray(value) && value[0] === 'map' && type.value) {
    return ['map', (value[1] as Json[][]).map(([k, v]) => [atom(k!, type.key), atom(v!, type.value!)])];
  }
  if (Array.isArray(value) && value[0] === 'set') return ['set', (value[1] as Json[]).map((a) => atom(a, type.key))];
  return atom(value, type.key);
}

async function readBackup(): Promise<{ schema: DatabaseSchema; rows: Map<string, JsonObject[]> }> {
  const [{ parseLog }, { parseSchema }, { createDatabase }] = await Promise.all([
    import('../ovsdb/log-file.js'), import('../ovsdb/schema.js'), import('../ovsdb/database.js'),
  ]);
  let bytes: Buffer;
  try {
    bytes = readFileSync(0);
  } catch (e) {
    fatal(`/dev/stdin: read failed (${(e as Error).message})`);
  }
  let schema: DatabaseSchema;
  let db;
  try {
    const log = parseLog(bytes, '/dev/stdin');
    if (log.tail) throw log.tail.error;
    if (log.records.length === 0) fatal('/dev/stdin: cannot identify file type');
    schema = parseSchema(log.records[0]!.json);
    db = createDatabase(schema);
    for (const r of log.records.slice(1)) db.applyRecord(r.json);
  } catch (e) {
    fatal((e as Error).message);
  }
  const rows = new Map<string, JsonObject[]>();
  const tables = [...schema.tables.keys()];
  const result = db.transactNow(tables.map((table) => ({ op: 'select', table, where: [] })));
  tables.forEach((table, i) => rows.set(table, ((result?.[i] as JsonObject | undefined)?.rows ?? []) as JsonObject[]));
  return { schema, rows };
}

export async function restoreCommand(s: ClientSession): Promise<void> {
  if (isatty(0)) fatal('not reading backup from a terminal; please redirect stdin from a file');
  const backup = await readBackup();
  const online = await s.fetchSchema();
  const [{ parseSchema }, { schemasEqual }, { defaultDatumJson, datumEqualJson }] = await Promise.all([
    import('../ovsdb/schema.js'), import('../ovsdb/schema-canonical.js'), import('../ovsdb/datum.js'),
  ]);
  const onlineSchema = parseSchema(online.json);
  if (!schemasEqual(backup.schema, onlineSchema)) {
    const why = backup.schema.version !== onlineSchema.version
      ? `backup schema has version "${backup.schema.version}" but database schema has version "${onlineSchema.version}"`
      : `backup schema and database schema are both version ${backup.schema.version} but still differ`;
    if (!s.options.force) fatal(`${why} (use --force to override differences, or "ovsdb-client convert" to change the schema)`);
  }
  const txn: Json[] = [backup.schema.name];
  for (const [table, rows] of backup.rows) {
    const ts = backup.schema.tables.get(table)!;
    txn.push({ op: 'delete', table, where: [] });
    for (const row of rows) {
      const out: JsonObject = {};
      for (const c of ts.columns.values()) {
        if (c.name.startsWith('_') || c.ephemeral) continue;
        const v = row[c.name];
        if (v === undefined || datumEqualJson(c.type, v, defaultDatumJson(c.type))) continue;
        out[c.name] = withRowNames(v, c.type);
      }
      txn.push({ op: 'insert', table, 'uuid-name': rowName(String((row._uuid as Json[])[1])), row: out });
    }
  }
  checkTransactionReply(await s.call('transact', txn));
}
