// An OvsdbClient over in-process databases (no sockets): the same interface the JSON-RPC client
// offers, so ovs-vsctl's library and the management API run unchanged against either.
import type { Database, Json, JsonObject, OvsdbClient, TransactOptions } from './api.js';
import { OvsdbError } from './errors.js';

export class LocalClient implements OvsdbClient {
  private closed = false;

  constructor(private readonly dbs: Map<string, Database>, private readonly options?: TransactOptions) {}

  private db(name: string): Database {
    if (this.closed) throw new OvsdbError('connection closed', 'the client was closed');
    const db = this.dbs.get(name);
    if (!db) throw new OvsdbError('unknown database', `${name} is not a database served by this client`);
    return db;
  }

  async listDbs(): Promise<string[]> {
    return [...this.dbs.keys()];
  }

  async getSchema(db: string): Promise<JsonObject> {
    return this.db(db).schemaJson;
  }

  /** Rejects with OvsdbError "unknown database" for a name it does not serve (as ovsdb-server's
   *  JSON-RPC error); otherwise resolves with the RFC 7047 result array. */
  async transact(db: string, ops: Json[]): Promise<Json[]> {
    return this.db(db).transact(ops, this.options);
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
