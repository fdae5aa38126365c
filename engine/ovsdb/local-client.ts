// An OvsdbClient over in-process databases (no sockets): the same interface the JSON-RPC client
// offers, so ovs-vsctl's library and the management API run unchanged against either.
import type { Database, Json, JsonObject, OvsdbClient, TransactOptions } from './api.js';
import { OvsdbError } from './errors.js';

export class LocalClient implements OvsdbClient {
  private closed = false;

  constructor(private readonly dbs: Map<string, Database>, private readonly options?: TransactOptions) {}

  /** As ovsdb-server answers a request naming a database it does not serve. */
  private db(name: string, method: string, params: Json[]): Database {
    if (this.closed) throw new OvsdbError('connection closed', 'the client was closed');
    const db = this.dbs.get(name);
    if (!db) throw new OvsdbError('unknown database', `${method} request specifies unknown database ${name}`, params);
    return db;
  }

  async listDbs(): Promise<string[]> {
    return [...this.dbs.keys()];
  }

  async getSchema(db: string): Promise<JsonObject> {
    return this.db(db, 'get_schema', [db]).schemaJson;
  }

  /** Rejects with OvsdbError "unknown database" (ovsdb-server's JSON-RPC error, same details and
   *  syntax) for a name it does not serve; otherwise resolves with the RFC 7047 result array. */
  async transact(db: string, ops: Json[]): Promise<Json[]> {
    return this.db(db, 'transact', [db, ...ops]).transact(ops, this.options);
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
