// The `_Server` database every ovsdb-server offers (ovsdb-server(7)): one row per database in
// table Database, read-only for clients. Clients (the C and Python IDLs, ovs-vsctl) monitor it to
// learn the schema and whether a database is connected / the leader.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { CommittedChange, Database, Json, JsonObject, RowChange, RowJson, TransactOptions } from '../ovsdb/api.js';
import { OvsdbError } from '../ovsdb/errors.js';
import { parseSchema, type DatabaseSchema, type TableSchema } from '../ovsdb/schema.js';
import { projectRoot } from '../setup/paths.js';
import { compileWhere } from '../ovsdb/condition.js';

export const SERVER_DB_NAME = '_Server';

/** The _Server schema: manifests/_server.ovsschema when present, else the same content built here
 *  (db "_Server" version 1.2.0, table Database: name, model, connected, leader, schema, cid, sid,
 *  index). */
export function serverSchemaJson(): JsonObject {
  const file = join(projectRoot, 'manifests', '_server.ovsschema');
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as JsonObject;
  const optional = (key: Json): Json => ({ key, min: 0 });
  return {
    name: SERVER_DB_NAME,
    version: '1.2.0',
    cksum: '3009684573 744',
    tables: {
      Database: {
        columns: {
          name: { type: 'string' },
          model: { type: { key: { type: 'string', enum: ['set', ['clustered', 'relay', 'standalone']] } } },
          connected: { type: 'boolean' },
          leader: { type: 'boolean' },
          schema: { type: optional('string') },
          cid: { type: optional('uuid') },
          sid: { type: optional('uuid') },
          index: { type: optional('integer') },
        },
      },
    },
  };
}

const EMPTY_SET: Json = ['set', []];

/** The in-memory `_Server` database. The server keeps it in step with the databases it serves. */
export class ServerDatabase implements Database {
  readonly name = SERVER_DB_NAME;
  readonly schemaJson: JsonObject;
  readonly schema: DatabaseSchema;
  private readonly table: TableSchema;
  private readonly rowsByUuid = new Map<string, RowJson>();
  private readonly uuidByDb = new Map<string, string>();
  private readonly listeners = new Set<(c: CommittedChange) => void>();
  lastTxnId = '00000000-0000-0000-0000-000000000000';

  constructor() {
    this.schemaJson = serverSchemaJson();
    this.schema = parseSchema(this.schemaJson);
    this.table = this.schema.tables.get('Database')!;
  }

  /** Adds or replaces the row describing `db`. */
  setDatabase(name: string, schemaText: string): void {
    const uuid = this.uuidByDb.get(name) ?? randomUUID();
    const old = this.rowsByUuid.get(uuid);
    const row: RowJson = {
      _uuid: ['uuid', uuid],
      _version: ['uuid', randomUUID()],
      name,
      model: 'standalone',
      connected: true,
      leader: true,
      schema: schemaText,
      cid: EMPTY_SET,
      sid: EMPTY_SET,
      index: EMPTY_SET,
    };
    this.uuidByDb.set(name, uuid);
    this.rowsByUuid.set(uuid, row);
    this.commit(uuid, old ? { old, new: row } : { new: row });
  }

  removeDatabase(name: string): void {
    const uuid = this.uuidByDb.get(name);
    if (!uuid) return;
    const old = this.rowsByUuid.get(uuid)!;
    this.uuidByDb.delete(name);
    this.rowsByUuid.delete(uuid);
    this.commit(uuid, { old });
  }

  private commit(uuid: string, change: RowChange): void {
    this.lastTxnId = randomUUID();
    const c: CommittedChange = { txnId: this.lastTxnId, tables: new Map([['Database', new Map([[uuid, change]])]]) };
    for (const l of this.listeners) l(c);
  }

  rows(table: string): Iterable<RowJson> {
    return table === 'Database' ? [...this.rowsByUuid.values()] : [];
  }

  onCommit(listener: (change: CommittedChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Read-only transactions: select, wait-free comment/commit; anything that writes is
   *  "not allowed" as in ovsdb-server. */
  async transact(ops: Json[], _options?: TransactOptions): Promise<Json[]> {
    const results: Json[] = [];
    for (let i = 0; i < ops.length; i++) {
      try {
        results.push(this.execute(ops[i]!));
      } catch (e) {
        const err = e instanceof OvsdbError ? e : new OvsdbError('internal error', (e as Error).message);
        results.push(err.toJson() as unknown as Json);
        for (let j = i + 1; j < ops.length; j++) results.push(null);
        break;
      }
    }
    return results;
  }

  private execute(op: Json): Json {
    if (op === null || typeof op !== 'object' || Array.isArray(op) || typeof op.op !== 'string') {
      throw new OvsdbError('syntax error', 'operation must be an object with member "op"', op);
    }
    switch (op.op) {
      case 'insert': case 'update': case 'mutate': case 'delete':
        throw new OvsdbError('not allowed', `${op.op} operation not allowed on table in reserved database ${SERVER_DB_NAME}`);
      case 'comment': case 'commit': case 'assert':
        return {};
      case 'abort':
        throw new OvsdbError('aborted', 'aborted by request');
      case 'select': {
        if (op.table !== 'Database') throw new OvsdbError('syntax error', `No table named ${String(op.table)}.`, op.table ?? null);
        const pred = compileWhere(this.table, op.where ?? []);
        let cols: string[];
        if (op.columns === undefined) cols = [...this.table.columns.keys()];
        else if (Array.isArray(op.columns) && op.columns.every((c) => typeof c === 'string' && this.table.columns.has(c))) cols = op.columns as string[];
        else throw new OvsdbError('syntax error', 'bad "columns" in select', op.columns);
        const rows: Json[] = [];
        for (const r of this.rowsByUuid.values()) {
          if (!pred(r)) continue;
          const o: JsonObject = {};
          for (const c of cols) o[c] = r[c] ?? null;
          rows.push(o);
        }
        return { rows };
      }
      default:
        throw new OvsdbError('not supported', `operation "${op.op}" is not supported on ${SERVER_DB_NAME}`);
    }
  }
}
